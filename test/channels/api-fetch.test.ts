// apiFetch (adapters/channels/shared/fetch.ts) against a real node:http server on 127.0.0.1, with the global fetch as
// the oracle wherever it is one: what the server receives (method, headers in every form, string / URLSearchParams /
// byte bodies), what the caller reads (status, headers incl. repeated ones, json/text/arrayBuffer/bytes, the
// once-only body, body/blob/clone through the real Response), 204 and non-2xx answers, aborts and timeouts, a refused
// connection, the three redirect modes, FormData and Request inputs handed to fetch, keep-alive reuse, and the
// keep-alive race (a reused connection closed under a call).

import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { apiFetch } from '../../adapters/channels/shared/fetch.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

const clients = [
  ['fetch', fetch],
  ['apiFetch', apiFetch],
] as const;
const REPLY = { ok: true, text: 'héllo ✓' };

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<{ server: Server; base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  return { server, base, close };
}

/** Calls fn; a synchronous throw becomes the string 'threw', so a test can tell it from a rejected promise. */
function call<T>(fn: () => Promise<T>): Promise<T> | 'threw' {
  try {
    return fn();
  } catch {
    return 'threw';
  }
}

describe('apiFetch', () => {
  const seen: Seen[] = [];
  const arrivals = new EventEmitter();
  let base = '';
  let close: () => Promise<void>;
  const last = (): Seen => {
    const s = seen.at(-1);
    assert.ok(s, 'the server saw no request');
    return s;
  };

  before(async () => {
    ({ base, close } = await listen((req, res, body) => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      const url = new URL(req.url ?? '/', base);
      switch (url.pathname) {
        case '/echo':
          res.writeHead(200, {
            'content-type': 'application/json',
            'set-cookie': ['a=1; Path=/', 'b=2'],
            'x-many': ['one', 'two'],
          });
          res.end(JSON.stringify(REPLY));
          return;
        case '/empty':
          res.writeHead(204).end();
          return;
        case '/status': {
          const code = Number(url.searchParams.get('code'));
          res.writeHead(code, { 'content-type': 'application/json', ...(code === 429 ? { 'retry-after': '3' } : {}) });
          res.end(JSON.stringify({ ok: false, error_code: code }));
          return;
        }
        case '/hold':
          arrivals.emit('hold');
          return; // never answered
        case '/redirect':
          res.writeHead(302, { location: '/target' }).end();
          return;
        case '/target':
          res.end('target');
          return;
        default:
          res.writeHead(404).end();
      }
    }));
  });
  after(() => close());

  test('a JSON POST arrives exactly, with headers as a record, a Headers or pairs', async () => {
    const body = JSON.stringify({ chat_id: 42, text: 'héllo ✓ "quoted"' });
    const forms = {
      record: { 'Content-Type': 'application/json', 'X-Token': 'secret-1' },
      Headers: new Headers({ 'Content-Type': 'application/json', 'X-Token': 'secret-1' }),
      pairs: [
        ['Content-Type', 'application/json'],
        ['X-Token', 'secret-1'],
      ] as [string, string][],
    };
    for (const [form, headers] of Object.entries(forms)) {
      const res = await apiFetch(`${base}/echo?x=1`, { method: 'POST', headers, body });
      assert.deepEqual(await res.json(), REPLY, form);
      const s = last();
      assert.equal(s.method, 'POST', form);
      assert.equal(s.url, '/echo?x=1', form);
      assert.equal(s.headers['content-type'], 'application/json', form);
      assert.equal(s.headers['x-token'], 'secret-1', form);
      assert.equal(s.headers['content-length'], String(Buffer.byteLength(body)), form);
      assert.equal(s.body.toString('utf8'), body, form);
    }
  });

  test('the answer reads as the global fetch reads it: status, url, headers (repeated ones too) and every body reader', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    const read = async (f: typeof fetch) => {
      const res = await f(`${base}/echo`, init);
      return {
        status: res.status,
        statusText: res.statusText,
        ok: res.ok,
        url: res.url,
        redirected: res.redirected,
        type: res.headers.get('content-type'),
        many: res.headers.get('x-many'),
        cookie: res.headers.get('set-cookie'),
        cookies: res.headers.getSetCookie(),
        json: await res.json(),
        text: await (await f(`${base}/echo`, init)).text(),
        buffer: new Uint8Array(await (await f(`${base}/echo`, init)).arrayBuffer()),
        bytes: await (await f(`${base}/echo`, init)).bytes(),
      };
    };
    const mine = await read(apiFetch);
    assert.deepEqual(mine, await read(fetch));
    assert.equal(mine.status, 200);
    assert.equal(mine.ok, true);
    assert.equal(mine.url, `${base}/echo`);
    assert.equal(mine.many, 'one, two');
    assert.deepEqual(mine.cookies, ['a=1; Path=/', 'b=2']);
    assert.deepEqual(mine.json, REPLY);
    assert.equal(mine.text, JSON.stringify(REPLY));
    assert.deepEqual(mine.bytes, new Uint8Array(Buffer.from(JSON.stringify(REPLY))));
  });

  test('a URLSearchParams body is form-encoded; a given content-type is kept, whatever its case', async () => {
    const params = new URLSearchParams({ a: '1', b: 'é x&y' });
    for (const [name, f] of clients) {
      await (await f(`${base}/echo`, { method: 'POST', body: params })).text();
      assert.equal(last().headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8', name);
      assert.equal(last().body.toString(), 'a=1&b=%C3%A9+x%26y', name);
    }
    for (const headers of [
      { 'CONTENT-TYPE': 'text/plain' },
      { 'Content-type': 'text/plain' },
      new Headers({ 'Content-Type': 'text/plain' }),
    ]) {
      await (await apiFetch(`${base}/echo`, { method: 'POST', headers, body: params })).text();
      const types = last().rawHeaders.filter(
        (_, i) => i % 2 === 0 && last().rawHeaders[i]?.toLowerCase() === 'content-type',
      );
      assert.equal(types.length, 1, 'exactly one content-type header');
      assert.equal(last().headers['content-type'], 'text/plain');
    }
  });

  test('Uint8Array (also a view into a larger buffer) and ArrayBuffer bodies arrive byte-exact', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const bodies = { Uint8Array: all, view: new Uint8Array(all.buffer, 7, 100), ArrayBuffer: all.buffer.slice(200) };
    for (const [kind, body] of Object.entries(bodies)) {
      await (await apiFetch(`${base}/echo`, { method: 'POST', body })).text();
      const expected = Buffer.from(body instanceof ArrayBuffer ? new Uint8Array(body) : body);
      assert.deepEqual(last().body, expected, kind);
      assert.equal(last().headers['content-length'], String(expected.length), kind);
    }
  });

  test('the body can be read once; body, blob() and clone() work when used first', async () => {
    const res = await apiFetch(`${base}/echo`);
    assert.equal(res.bodyUsed, false);
    assert.equal(await res.text(), JSON.stringify(REPLY));
    assert.equal(res.bodyUsed, true);
    for (const again of [() => res.text(), () => res.json(), () => res.arrayBuffer(), () => res.bytes()]) {
      await assert.rejects(again(), TypeError);
    }
    assert.throws(() => res.clone(), TypeError);

    const streamed = await apiFetch(`${base}/echo`);
    assert.ok(streamed.body instanceof ReadableStream);
    assert.equal(await new Response(streamed.body).text(), JSON.stringify(REPLY));
    assert.equal(streamed.bodyUsed, true);
    await assert.rejects(streamed.text(), TypeError);

    const blob = await (await apiFetch(`${base}/echo`)).blob();
    assert.equal(blob.type, 'application/json');
    assert.equal(await blob.text(), JSON.stringify(REPLY));

    const original = await apiFetch(`${base}/echo`);
    const copy = original.clone();
    assert.deepEqual(await copy.json(), REPLY);
    assert.deepEqual(await original.json(), REPLY);
    assert.equal(original.bodyUsed, true);
  });

  test('after the body was read, blob() and formData() return a rejected promise, as fetch does, rather than throw', async () => {
    for (const [name, f] of clients) {
      const res = await f(`${base}/echo`);
      await res.text();
      for (const [reader, fn] of [
        ['blob', () => res.blob()],
        ['formData', () => res.formData()],
      ] as const) {
        const pending = call<unknown>(fn);
        assert.notEqual(pending, 'threw', `${name}.${reader}() threw synchronously`);
        await assert.rejects(pending as Promise<unknown>, TypeError);
      }
    }
  });

  test('a 204 has a null body, text() is empty and json() fails with a SyntaxError, as with fetch', async () => {
    for (const [name, f] of clients) {
      const res = await f(`${base}/empty`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 204, name);
      assert.equal(res.body, null, name);
      assert.equal(await (await f(`${base}/empty`)).text(), '', name);
      await assert.rejects((await f(`${base}/empty`)).json(), SyntaxError, name);
    }
  });

  test('400, 429 and 500 are answers, not errors: ok is false and headers and body are readable', async () => {
    for (const code of [400, 429, 500]) {
      const theirs = await fetch(`${base}/status?code=${code}`, { method: 'POST', body: '{}' });
      const res = await apiFetch(`${base}/status?code=${code}`, { method: 'POST', body: '{}' });
      assert.equal(res.status, code);
      assert.equal(res.ok, false);
      assert.equal(res.statusText, theirs.statusText);
      assert.equal(res.headers.get('retry-after'), code === 429 ? '3' : null);
      assert.equal(res.headers.get('retry-after'), theirs.headers.get('retry-after'));
      assert.deepEqual(await res.json(), { ok: false, error_code: code });
    }
  });

  test('an abort signal rejects with its reason, before the call or while the server holds it; a timeout is a TimeoutError', async () => {
    const reason = new Error('stop now');
    await assert.rejects(apiFetch(`${base}/echo`, { signal: AbortSignal.abort(reason) }), (err) => err === reason);
    for (const [name, f] of clients) {
      const sent = seen.length;
      await assert.rejects(f(`${base}/echo`, { signal: AbortSignal.abort() }), { name: 'AbortError' }, name);
      assert.equal(seen.length, sent, `${name} sent an already aborted call`);
    }

    const controller = new AbortController();
    const arrived = once(arrivals, 'hold');
    const pending = apiFetch(`${base}/hold`, { method: 'POST', body: 'x', signal: controller.signal });
    await arrived;
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);

    for (const [name, f] of clients) {
      await assert.rejects(f(`${base}/hold`, { signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' }, name);
    }
  });

  test('a refused connection rejects with TypeError "fetch failed" whose cause is the network error', async () => {
    const gone = await listen(() => {});
    await gone.close();
    for (const [name, f] of clients) {
      const err = await f(`${gone.base}/echo`, { method: 'POST', body: '{}' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof TypeError, name);
      assert.equal(err.message, 'fetch failed', name);
      assert.equal((err.cause as { code?: string } | undefined)?.code, 'ECONNREFUSED', name);
    }
  });

  test('redirects: "error" rejects with a TypeError, the default follows to the target, "manual" returns the 302', async () => {
    const hits = (): number => seen.filter((s) => s.url === '/redirect').length;
    for (const [name, f] of clients) {
      const sent = hits();
      await assert.rejects(f(`${base}/redirect`, { method: 'POST', body: '{}', redirect: 'error' }), TypeError, name);
      assert.equal(hits() - sent, 1, `${name}: with redirect 'error' the call is sent once`);

      const before = seen.length;
      const followed = await f(`${base}/redirect`, { method: 'POST', body: '{}' });
      assert.equal(followed.status, 200, name);
      // As fetch does: the POST is sent once, and a 302 after a POST continues as a GET.
      assert.deepEqual(
        seen.slice(before).map((s) => `${s.method} ${s.url}`),
        ['POST /redirect', 'GET /target'],
        name,
      );
      assert.equal(followed.url, `${base}/target`, name);
      assert.equal(await followed.text(), 'target', name);

      const manual = await f(`${base}/redirect`, { redirect: 'manual' });
      assert.equal(manual.status, 302, name);
      assert.equal(manual.headers.get('location'), '/target', name);
      assert.equal(manual.url, `${base}/redirect`, name);
    }
  });

  test('a FormData body and a Request input go through the global fetch and arrive intact', async () => {
    const form = new FormData();
    form.append('chat_id', '42');
    form.append('document', new Blob(['file body ✓'], { type: 'text/plain' }), 'note.txt');
    assert.equal((await apiFetch(`${base}/echo`, { method: 'POST', body: form })).status, 200);
    const multipart = last();
    assert.match(multipart.headers['content-type'] ?? '', /^multipart\/form-data; boundary=.+/);
    const parsed = await new Response(multipart.body, {
      headers: { 'content-type': multipart.headers['content-type'] ?? '' },
    }).formData();
    assert.equal(parsed.get('chat_id'), '42');
    const file = parsed.get('document');
    assert.ok(file instanceof File);
    assert.equal(file.name, 'note.txt');
    assert.equal(await file.text(), 'file body ✓');

    const res = await apiFetch(
      new Request(`${base}/echo?via=request`, {
        method: 'PUT',
        headers: { 'x-from': 'request' },
        body: 'request body',
      }),
    );
    assert.deepEqual(await res.json(), REPLY);
    assert.equal(last().method, 'PUT');
    assert.equal(last().url, '/echo?via=request');
    assert.equal(last().headers['x-from'], 'request');
    assert.equal(last().body.toString(), 'request body');
  });

  test('header pairs that repeat a name arrive combined, as fetch sends them', async () => {
    const headers: [string, string][] = [
      ['x-dup', 'one'],
      ['x-dup', 'two'],
    ];
    for (const [name, f] of clients) {
      await (await f(`${base}/echo`, { method: 'POST', headers, body: '{}' })).text();
      assert.equal(last().headers['x-dup'], 'one, two', name);
    }
  });

  test('a lower-case standard method is sent upper-case, as fetch normalizes it', async () => {
    for (const [name, f] of clients) {
      const res = await f(`${base}/echo`, { method: 'post', body: '{}' });
      assert.equal(res.status, 200, name);
      assert.equal(last().method, 'POST', name);
    }
  });
});

// undici hands the next call to the pool a moment before the previous socket is marked idle, so back-to-back calls
// alternate between two kept-alive sockets (the global fetch does the same); without keep-alive it would be one each.
test('sequential calls to one origin reuse kept-alive connections instead of opening one per call', async (t) => {
  const { server, base, close } = await listen((_req, res) => res.end('{"ok":true}'));
  t.after(close);
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  for (let i = 0; i < 10; i += 1) {
    const res = await apiFetch(`${base}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"i":${i}}`,
    });
    assert.deepEqual(await res.json(), { ok: true });
  }
  assert.ok(connections >= 1 && connections <= 2, `10 calls opened ${connections} connections`);
});

// The keep-alive race: a server closes an idle kept-alive connection just as the next call reuses it. The server
// here closes the connection on reading a second request on it (the request it never answers), which is what the
// client sees in that race: a reset on a reused socket before any answer.
test('a call whose reused connection is closed under it is sent once more; a reset on a fresh connection is not retried', async (t) => {
  const bodies: string[] = [];
  const perSocket = new WeakMap<object, number>();
  const { server, base, close } = await listen((req, res, body) => {
    bodies.push(body.toString());
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n > 1) return void req.socket.destroy();
    res.end('{"ok":true}');
  });
  t.after(close);
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  const post = (i: number): Promise<Response> =>
    apiFetch(`${base}/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"i":${i}}` });
  assert.equal((await post(1)).status, 200);
  const res = await post(2);
  assert.deepEqual([res.status, await res.json()], [200, { ok: true }]);
  assert.deepEqual(
    bodies,
    ['{"i":1}', '{"i":2}', '{"i":2}'],
    'the second call went twice: on the closed connection, then once more',
  );
  assert.equal(connections, 2);

  // Another server, so that the call opens a connection of its own.
  let resets = 0;
  const fresh = await listen((req) => {
    resets += 1;
    req.socket.destroy();
  });
  t.after(fresh.close);
  await assert.rejects(
    apiFetch(`${fresh.base}/reset`, { method: 'POST', body: '{}' }),
    (err: unknown) => err instanceof TypeError && err.message === 'fetch failed',
  );
  assert.equal(resets, 1, 'a reset on a new connection is not sent again');
});
