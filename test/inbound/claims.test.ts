// The inbound chain's promises about one update: handled at most once even when sent several times at once, and
// a message the rate limit refused is not thereby "handled" (sent again later, it runs).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { api, startTestApp, tempDir } from '../support/app.ts';

const post = (app: SoloApp, text: string, id: string) => api(app.url, 'POST', '/api/messages', { text, id });

describe('one update id, many deliveries', () => {
  test('ten simultaneous POSTs with one id run the command once', async () => {
    const app = await startTestApp();
    try {
      const remembers = await Promise.all(
        Array.from({ length: 10 }, () => post(app, '/remember Zeta Inc: prefers invoices by post', 'same-id-1')),
      );
      assert.deepEqual(
        remembers.map((r) => r.status),
        Array(10).fill(200),
      );
      assert.equal(
        remembers.filter((r) => !r.body.duplicate).length,
        1,
        'one answer is the real one, nine are duplicates',
      );
      const hits = await app.memory.recall('Zeta invoices by post', { k: 10 });
      assert.equal(hits.length, 1, 'one memory');
      const remembered = await app.store.events.readRange({ types: ['memory.added', 'memory.updated'] });
      assert.equal(remembered.length, 1, 'one memory event');

      const links = await Promise.all(Array.from({ length: 10 }, () => post(app, '/link', 'same-id-2')));
      const codes = links
        .flatMap((r) => (r.body.messages ?? []).map((m) => /\b([a-z0-9]{8})\b/.exec(m.text)?.[1]))
        .filter(Boolean);
      assert.equal(codes.length, 1, `one link code, got ${codes.join(', ')}`);
    } finally {
      await app.stop();
    }
  });

  test('a rate-limited message is not lost: sent again with its id once allowed, it runs', async () => {
    const dataDir = tempDir();
    const first = await startTestApp({ DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1' });
    try {
      assert.equal((await post(first, '/help', 'm1')).status, 200);
      const limited = await post(first, '/remember Yoyodyne: renews in March', 'm2');
      assert.equal(limited.status, 429);
      const again = await post(first, '/remember Yoyodyne: renews in March', 'm2');
      assert.equal(again.status, 429, 'still over the limit: refused again, not answered as a duplicate');
      assert.notEqual(again.body.duplicate, true);
    } finally {
      await first.stop();
    }
    // A new process has a fresh limit (the limit window has passed, as far as this message is concerned).
    const second = await startTestApp({ DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1' });
    try {
      const resent = await post(second, '/remember Yoyodyne: renews in March', 'm2');
      assert.equal(resent.status, 200);
      assert.notEqual(resent.body.duplicate, true);
      assert.match(resent.body.messages?.[0]?.text ?? '', /Remembered/);
      assert.equal((await second.memory.recall('Yoyodyne renews', { k: 5 })).length, 1);
    } finally {
      await second.stop();
    }
  });
});
