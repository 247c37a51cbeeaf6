// A connector fake that honours idempotency keys like a payment API: the first request with a key performs the
// effect (counted), a repeat with the same key replays the first answer with `Idempotent-Replayed: true`.
// It answers after a short random delay, so kills land between "effect done" and "journal written".

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EffectsFake {
  url: string;
  /** Effects performed per idempotency key. */
  effects: Map<string, number>;
  /** Requests received per key (replays included). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function startEffectsFake(): Promise<EffectsFake> {
  const effects = new Map<string, number>();
  const requests = new Map<string, number>();
  const answers = new Map<string, string>();
  let next = 0;
  const server: Server = createServer((req, res) => {
    const key = req.headers['idempotency-key'];
    req.resume();
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/effects' || typeof key !== 'string' || key === '') {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":"POST /effects with an Idempotency-Key"}');
        return;
      }
      requests.set(key, (requests.get(key) ?? 0) + 1);
      let body = answers.get(key);
      const replayed = body !== undefined;
      if (body === undefined) {
        effects.set(key, (effects.get(key) ?? 0) + 1);
        body = JSON.stringify({ effectId: `fx_${++next}` });
        answers.set(key, body);
      }
      const answer = body;
      setTimeout(
        () =>
          res
            .writeHead(200, { 'content-type': 'application/json', 'idempotent-replayed': String(replayed) })
            .end(answer),
        Math.random() * 15,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    effects,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
