// apiFetch behind a proxy: with HTTP_PROXY set before its first call, API calls go through the proxy (http://
// targets forwarded in absolute form, https:// ones through a CONNECT tunnel, as undici's proxy agent sends them),
// and NO_PROXY hosts go direct. Its own file: the proxy choice is made once per process.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';

/** What the proxy carried: `forward <url>` or `connect <host:port>`. */
const carried: string[] = [];
let target: Server;
let proxy: Server;
let targetUrl = '';

before(async () => {
  target = createServer(
    (req, res) =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path: req.url })),
  );
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  // A forward proxy: absolute-form requests are passed on; CONNECT opens a tunnel.
  proxy = createServer((req, res) => {
    if (!req.url?.startsWith('http://')) return void res.writeHead(400).end();
    carried.push(`forward ${req.url}`);
    const upstream = httpRequest(req.url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.on('connect', (req, client, head) => {
    carried.push(`connect ${req.url ?? ''}`);
    const [host = '', port = ''] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  // Both spellings: undici reads the lower-case ones first, and CI sets no_proxy for loopback.
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  for (const name of ['HTTP_PROXY', 'http_proxy']) process.env[name] = proxyUrl;
  for (const name of ['NO_PROXY', 'no_proxy']) process.env[name] = 'localhost';
});
after(() => {
  target.closeAllConnections();
  proxy.closeAllConnections();
  target.close();
  proxy.close();
});

test('with HTTP_PROXY set, API calls go through the proxy', async () => {
  const { apiFetch } = await import('../../adapters/channels/shared/fetch.ts');
  const res = await apiFetch(`${targetUrl}/bot1/getMe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, path: '/bot1/getMe' });
  assert.deepEqual(carried, [`forward ${targetUrl}/bot1/getMe`]);
});

test('a NO_PROXY host is called directly', async () => {
  const { apiFetch } = await import('../../adapters/channels/shared/fetch.ts');
  const before = carried.length;
  const res = await apiFetch(`${targetUrl.replace('127.0.0.1', 'localhost')}/direct`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ok: true, path: '/direct' });
  assert.equal(carried.length, before);
});
