// The dashboard's static files: the page, its script and styles from static/, and uPlot from node_modules (the
// chart library is bundled with the app, never fetched from a CDN, so the page works offline). Each file is read
// once, gzipped once, and served with an ETag so a reload costs a 304.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const own = (name: string): URL => new URL(`./static/${name}`, import.meta.url);
const packaged = (specifier: string): URL => new URL(import.meta.resolve(specifier));

/** Served name → where the file is. Nothing outside this list is served. */
const FILES: Record<string, URL | (() => URL)> = {
  'index.html': own('index.html'),
  'app.js': own('app.js'),
  'ui.js': own('ui.js'),
  'pages.js': own('pages.js'),
  'pages-data.js': own('pages-data.js'),
  'charts.js': own('charts.js'),
  'style.css': own('style.css'),
  'uplot.min.js': () => packaged('uplot/dist/uPlot.iife.min.js'),
  'uplot.min.css': () => packaged('uplot/dist/uPlot.min.css'),
};

const cache = new Map<string, Asset>();

function load(name: string): Asset | undefined {
  const cached = cache.get(name);
  if (cached) return cached;
  const where = FILES[name];
  if (!where) return undefined;
  const path = fileURLToPath(typeof where === 'function' ? where() : where);
  const body = readFileSync(path);
  const ext = /\.[a-z]+$/.exec(name)?.[0] ?? '';
  const asset = {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type: TYPES[ext] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`,
  };
  cache.set(name, asset);
  return asset;
}

/** The page may load only its own scripts and styles and talk only to this server; no frames, no inline script. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Serves one asset; false when there is no such file. */
export function serveAsset(req: IncomingMessage, res: ServerResponse, name: string): boolean {
  const asset = load(name);
  if (!asset) return false;
  const headers: Record<string, string | number> = {
    'content-type': asset.type,
    'cache-control': 'no-cache',
    etag: asset.etag,
    vary: 'accept-encoding',
    ...PAGE_HEADERS,
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers).end();
    return true;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? asset.gzip : asset.body;
  res.writeHead(200, { ...headers, 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

/** Bytes of every asset as sent gzipped (for the page-weight bench). */
export function assetSizes(): Record<string, { raw: number; gzip: number }> {
  return Object.fromEntries(
    Object.keys(FILES).map((name) => [name, { raw: load(name)!.body.length, gzip: load(name)!.gzip.length }]),
  );
}
