// An adversarial pass over the web API, kept as a test: malformed, oversized, duplicated, concurrent and slow
// requests against the real server. Whatever arrives, the server keeps answering, nothing acknowledged is lost,
// and nothing runs twice. `PROBE_SEED` replays a sequence.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp } from '../support/app.ts';
import { prng } from '../support/prng.ts';

const seed = Number(process.env['PROBE_SEED'] ?? 1337);

/** Sends raw bytes as one HTTP request and returns the status line's code (0 when the server closed without one). */
function rawRequest(port: number, bytes: Buffer | string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (head += chunk));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.on('error', () => undefined);
  });
}

describe('adversarial web API', () => {
  let app: SoloApp;
  let port: number;
  before(async () => {
    app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
    port = Number(new URL(app.url).port);
  });
  after(() => app.stop());

  test('malformed bodies and headers get 4xx, never a 5xx, and the server keeps answering', async () => {
    const random = prng(seed);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const host = `127.0.0.1:${port}`;
    const request = (body: Buffer | string, headers = 'content-type: application/json') =>
      Buffer.concat([
        Buffer.from(
          `POST /api/messages HTTP/1.1\r\nhost: ${host}\r\n${headers}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`,
        ),
        Buffer.from(body),
      ]);
    const bodies: (Buffer | string)[] = [
      '{"text":"\ud800 lone surrogate"}',
      '{"text":"nul \u0000 byte"}',
      `{"text":${'['.repeat(50_000)}`,
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{"text":"/remember x","id":' + '9'.repeat(400) + '}',
      '{"text":"/remember x","id":"' + 'i'.repeat(200) + '"}',
      '{"__proto__":{"text":"/currency XXX"}}',
      '{"text":["/currency","XXX"]}',
      'null',
      '"just a string"',
      ...Array.from({ length: 200 }, () => bytes(1 + Math.floor(random() * 300))),
    ];
    const statuses = await Promise.all(bodies.map((b) => rawRequest(port, request(b))));
    const weird = [
      await rawRequest(
        port,
        `POST /api/messages HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: -5\r\n\r\n`,
      ),
      await rawRequest(
        port,
        `POST /api/messages HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n{}`,
      ),
      await rawRequest(
        port,
        `GET /api/messages?after=${'9'.repeat(40)} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`,
      ),
      await rawRequest(
        port,
        `GET /api/messages?tail=99999999999&limit=-1 HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`,
      ),
      await rawRequest(
        port,
        `POST /api/buttons/${'%'.repeat(300)} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      ),
      await rawRequest(port, `GARBAGE\r\n\r\n`),
    ];
    for (const status of [...statuses, ...weird])
      assert.ok(status === 0 || (status >= 200 && status < 500), `a request got ${status}`);
    assert.equal((await app.store.settings.get('currency')) ?? null, null, 'no setting changed');
    assert.equal((await say(app.url, '/help')).length, 1, 'still answering');
  });

  test('200 messages at once with distinct ids are all kept; each id resent is answered as a duplicate', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `/remember Probe client ${i}: code ${i * 7}`);
    const first = await Promise.all(
      texts.map((text, i) => api(app.url, 'POST', '/api/messages', { text, id: `probe-${i}` })),
    );
    assert.deepEqual(new Set(first.map((r) => r.status)), new Set([200]));
    const again = await Promise.all(
      texts.map((text, i) => api(app.url, 'POST', '/api/messages', { text, id: `probe-${i}` })),
    );
    assert.ok(
      again.every((r) => r.body.duplicate === true),
      'every resend is a duplicate',
    );
    const added = await app.store.events.readRange({ types: ['memory.added'], limit: 1000 });
    for (let i = 0; i < 200; i += 37)
      assert.equal(
        added.filter((e) => e.type === 'memory.added' && e.data.text === `Probe client ${i}: code ${i * 7}`).length,
        1,
        `probe ${i} kept once`,
      );
    assert.equal(added.filter((e) => e.type === 'memory.added' && e.data.text.startsWith('Probe client ')).length, 200);
  });

  test('slow clients (headers dribbled, bodies never finished) do not hold up others', async () => {
    const sockets: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        i % 2
          ? 'POST /api/messages HTTP/1.1\r\nhost: x\r\n'
          : `POST /api/messages HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"te`,
      );
      sockets.push(socket);
    }
    try {
      const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => say(app.url, `/recall slow ${i}`)));
      assert.equal(replies.length, 5);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
