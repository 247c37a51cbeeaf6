// A local stand-in for the model hub: serves a model folder at /<model>/resolve/main/<file> over HTTP on 127.0.0.1,
// as the hub does (content-length, HEAD, 404 for unknown files). `down` makes it drop every connection.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface FakeHub {
  url: string;
  requests: string[];
  down: boolean;
  close(): Promise<void>;
}

export async function startFakeHub(root: string): Promise<FakeHub> {
  const hub: FakeHub = { url: '', requests: [], down: false, close: () => new Promise((r) => server.close(() => r())) };
  const server: Server = createServer((req, res) => {
    hub.requests.push(`${req.method} ${req.url}`);
    if (hub.down) {
      req.socket.destroy();
      return;
    }
    const m = /^\/(.+?)\/resolve\/main\/(.+)$/.exec(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = m ? normalize(join(root, m[1] ?? '', m[2] ?? '')) : '';
    if (!m || !file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return hub;
}
