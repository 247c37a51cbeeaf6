// Input limits answer with a clear 4xx and one sentence, reads are bounded by what they return, and the details
// of the token check: Bearer in any case, no token of spaces, a client that goes away is not an error.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/domain/errors.ts';
import type { ReadStreamOptions } from '../../src/ports/store.ts';
import { api, say, startTestApp } from '../support/app.ts';

describe('web chat limits', () => {
  test('a memory over 4000 characters gets a 400 and one sentence, not a 500', async () => {
    const app = await startTestApp();
    try {
      for (const length of [4001, 6000, 7990]) {
        const res = await api(app.url, 'POST', '/api/messages', { text: `/remember ${'a'.repeat(length)}` });
        assert.equal(res.status, 400, `${length}: ${JSON.stringify(res.body).slice(0, 200)}`);
        assert.match(res.body.error ?? '', /at most 4000/);
        assert.match(res.body.messages?.[0]?.text ?? '', /at most 4000/);
      }
      // Counted as characters a person sees: 3000 emoji families (33000 UTF-16 units) are 3000 characters.
      const emoji = await api(app.url, 'POST', '/api/messages', { text: `/remember ${'👨‍👩‍👧‍👦'.repeat(3000)}` });
      assert.equal(emoji.status, 200, JSON.stringify(emoji.body).slice(0, 200));
      const long = await api(app.url, 'POST', '/api/messages', { text: '👍🏽'.repeat(8001) });
      assert.equal(long.status, 413);
      assert.match(long.body.error ?? '', /longer than 8000 characters/);
    } finally {
      await app.stop();
    }
  });

  test('?tail=N reads N messages from the store, not the whole transcript', async () => {
    const app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      for (let i = 0; i < 60; i++) await say(app.url, `/recall nothing ${i}`);
      const events = app.store.events;
      const read = events.readStream.bind(events);
      let returned = 0;
      events.readStream = async (stream: string, options?: ReadStreamOptions) => {
        const result = await read(stream, options);
        returned += result.length;
        return result;
      };
      const tail = await api(app.url, 'GET', '/api/messages?tail=3');
      assert.equal(tail.status, 200);
      assert.equal(tail.body.messages?.length, 3);
      assert.match(tail.body.messages?.[2]?.text ?? '', /nothing 59/);
      assert.equal(returned, 3, 'the store returned only the three messages asked for');
      const bad = await api(app.url, 'GET', '/api/messages?tail=abc');
      assert.equal(bad.status, 400);
      assert.match(bad.body.error ?? '', /tail must be a number of messages/);
    } finally {
      await app.stop();
    }
  });
});

describe('web token details', () => {
  test('the Bearer scheme is case-insensitive', async () => {
    const app = await startTestApp({ WEB_TOKEN: 'a-long-enough-test-token' });
    try {
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        assert.equal(
          (
            await api(
              app.url,
              'POST',
              '/api/messages',
              { text: '/help' },
              { authorization: `${scheme} a-long-enough-test-token` },
            )
          ).status,
          200,
          scheme,
        );
      }
    } finally {
      await app.stop();
    }
  });

  test('a WEB_TOKEN of spaces is refused at start', () => {
    assert.throws(
      () => loadConfig({ WEB_TOKEN: ' '.repeat(20) }),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => /WEB_TOKEN.*without spaces/.test(p)),
    );
  });

  test('a client that goes away mid-request is not logged as an error', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    const app = await startTestApp({}, { logger });
    try {
      const { port } = new URL(app.url);
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /api/messages HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"text":`,
          );
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
        socket.on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await say(app.url, '/help')).length, 1, 'still answering');
      assert.deepEqual(
        lines.filter((l) => l.level >= 50).map((l) => l.msg),
        [],
        'no error lines',
      );
    } finally {
      await app.stop();
    }
  });
});
