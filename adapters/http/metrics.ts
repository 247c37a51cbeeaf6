// GET /metrics: the Prometheus text exposition, behind the web chat's API checks (loopback, or the WEB_TOKEN as a
// bearer token: Prometheus sends it with `authorization: { credentials: <token> }` in the scrape config).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../channels/shared/http.ts';

const METRICS_PATH = '/metrics';

export function metricsHandler(
  scrape: () => Promise<{ contentType: string; body: string }>,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  return async (req, res, url) => {
    if (url.pathname !== METRICS_PATH) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'use GET on /metrics');
    const { contentType, body } = await scrape();
    res.writeHead(200, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
