// Small HTTP helpers for the adapters' endpoints (web chat, webhooks): JSON replies, bounded body reading,
// constant-time secret checks.

import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** A short plain-text answer (errors and refusals of the webhook endpoints). */
export function sendText(res: ServerResponse, status: number, text = ''): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

/**
 * The request body, or undefined when it exceeds `max` bytes (reading stops there; the caller answers 413 and Node
 * closes the connection). Listeners rather than `for await`: the async iterator costs more than a small body.
 */
export function readBytes(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      done();
      req.pause();
      resolve(undefined);
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** The request body as text, or undefined when it exceeds `max` bytes. */
export async function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return (await readBytes(req, max))?.toString('utf8');
}

/**
 * Reads a JSON body of at most `limit` bytes; an empty body is `{}`. The content type must say JSON even when the
 * body is empty: a web page can send a cross-site form or `no-cors` request without a CORS preflight only with a
 * "simple" content type (or none), so requiring JSON keeps other pages from posting here.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'send the body as application/json (an empty body too)');
  const body = await readBody(req, limit);
  if (body === undefined) throw new HttpError(413, `request body is larger than ${limit} bytes`);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Compares digests, so neither the content nor the length of the secret leaks through timing. */
export function tokenMatches(given: string | string[] | undefined, expected: string): boolean {
  const value = Array.isArray(given) ? given[0] : given;
  return value !== undefined && timingSafeEqual(digest(value), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 7235). */
export function bearer(req: IncomingMessage): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Whether a browser says this request comes from another site: `Sec-Fetch-Site` other than same-origin/none
 * (a page on another port of localhost is "same-site" and still refused), or an `Origin` whose host is not the one
 * the request is addressed to. Clients that are not browsers (curl, scripts) send neither header.
 */
export function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== (req.headers.host ?? '').toLowerCase();
  } catch {
    return true; // "null" (sandboxed frames, file:// pages) and anything unparsable
  }
}

/** A client that went away mid-request (closed tab, aborted fetch): nothing to report as an error. */
export const clientGone = (err: unknown): boolean =>
  ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(
    (err as NodeJS.ErrnoException | undefined)?.code ?? '',
  ) ||
  (err instanceof Error && err.message === 'aborted');
