// The web chat's JSON API end to end: a real server on a free port, the real conductor, SQLite on disk.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp } from '../support/app.ts';

describe('web chat API', () => {
  let app: SoloApp;
  let base: string;
  before(async () => {
    app = await startTestApp();
    base = app.url;
  });
  after(() => app.stop());

  test("GET /healthz answers 200 when ready, with each channel's health", async () => {
    assert.deepEqual(await api(base, 'GET', '/healthz'), {
      status: 200,
      body: { status: 'ok', channels: { web: 'ok' } },
    });
  });

  test('GET / serves the chat page', async () => {
    const res = await fetch(base + '/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<form id="form"/);
  });

  test('/help lists the commands from the registry, with a Status button that works', async () => {
    const [help] = await say(base, '/help');
    assert.ok(help);
    for (const c of ['/help', '/status', '/remember', '/recall', '/forget'])
      assert.match(help.text, new RegExp(`^${c}\\b`, 'm'));
    const button = help.buttons.find((b) => b.label === 'Status');
    assert.ok(button, 'help offers a Status button');
    const tap = await api(base, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
    assert.equal(tap.status, 200);
    assert.match(tap.body.messages?.[0]?.text ?? '', /Store: sqlite .*solo\.db/);
    assert.match(tap.body.messages?.[0]?.text ?? '', /Model: not configured/);
    assert.match(tap.body.messages?.[0]?.text ?? '', /Channels: web chat at http:\/\/127\.0\.0\.1:\d+/);
  });

  test('/remember then /recall finds the note, best match first, each with its id', async () => {
    const [r1] = await say(base, '/remember Acme Corp budget for 2027 is 40k EUR');
    await say(base, '/remember Globex prefers calls on Tuesdays');
    await say(base, '/remember Acme Corp contact is Jane Doe');
    const id = /#(\d+)/.exec(r1?.text ?? '')?.[1];
    assert.ok(id, 'the reply names the new note id');
    const [found] = await say(base, '/recall acme budget');
    const lines = (found?.text ?? '').split('\n');
    assert.equal(lines[0], `#${id} Acme Corp budget for 2027 is 40k EUR`);
    assert.ok(
      lines.some((l) => l.includes('Jane Doe')),
      'a weaker match still appears, lower',
    );
    assert.ok(!lines.some((l) => l.includes('Globex')));
  });

  test('/forget hides a note, its Undo brings it back', async () => {
    const [r] = await say(base, '/remember Initech renews in October');
    const id = /#(\d+)/.exec(r?.text ?? '')?.[1] ?? '';
    const [forgot] = await say(base, `/forget #${id}`);
    assert.match(forgot?.text ?? '', new RegExp(`Forgot #${id}`));
    assert.match((await say(base, '/recall initech'))[0]?.text ?? '', /no memories matching/);
    const undo = forgot?.buttons.find((b) => b.label === 'Undo');
    assert.ok(undo);
    const tap = await api(base, 'POST', `/api/buttons/${encodeURIComponent(undo.id)}`);
    assert.match(tap.body.messages?.[0]?.text ?? '', new RegExp(`Restored #${id}`));
    assert.match((await say(base, '/recall initech'))[0]?.text ?? '', new RegExp(`#${id} Initech`));
    assert.match((await say(base, '/forget 99999'))[0]?.text ?? '', /no memory #99999/);
    assert.match((await say(base, '/forget'))[0]?.text ?? '', /Forget which memory/);
  });

  test('commands without arguments, unknown commands and free text get one helpful sentence', async () => {
    assert.match((await say(base, '/remember'))[0]?.text ?? '', /What should I remember/);
    assert.match((await say(base, '/recall'))[0]?.text ?? '', /Recall what/);
    assert.match((await say(base, '/frobnicate now'))[0]?.text ?? '', /don't know \/frobnicate.*\/help/);
    assert.match((await say(base, 'hello there'))[0]?.text ?? '', /OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL/);
  });

  test('a redelivered message (same id) is handled once', async () => {
    const first = await api(base, 'POST', '/api/messages', {
      text: '/remember dedupe probe zebra',
      id: 'client-msg-1',
    });
    const again = await api(base, 'POST', '/api/messages', {
      text: '/remember dedupe probe zebra',
      id: 'client-msg-1',
    });
    assert.equal(first.status, 200);
    assert.equal(first.body.messages?.length, 1);
    assert.deepEqual(again.body, { messages: [], duplicate: true });
    const [found] = await say(base, '/recall zebra');
    assert.equal((found?.text ?? '').split('\n').length, 1);
  });

  test('GET /api/messages?after= returns later bot messages, including their buttons', async () => {
    const [help] = await say(base, '/help');
    const [status] = await say(base, '/status');
    const list = await api(base, 'GET', `/api/messages?after=${Number(help?.id) - 1}`);
    assert.deepEqual(
      list.body.messages?.map((m) => m.id),
      [help?.id, status?.id],
    );
    assert.equal(list.body.messages?.[0]?.buttons[0]?.label, 'Status');
    const tail = await api(base, 'GET', '/api/messages?tail=1');
    assert.deepEqual(
      tail.body.messages?.map((m) => m.id),
      [status?.id],
    );
    assert.equal((await api(base, 'GET', '/api/messages?after=abc')).status, 400);
  });

  test('bad input gets a 4xx JSON error and the server keeps running', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(base + '/api/messages', { method: 'POST', headers: { 'content-type': type }, body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error?: string },
      }));
    const cases = [
      [await post('{"text": '), 400, /not valid JSON/],
      [await post('{"text": "   "}'), 400, /must not be empty/],
      [await post('{"text": 42}'), 400, /must be a string/],
      [await post(JSON.stringify({ text: 'x'.repeat(9000) })), 413, /longer than 8000/],
      [await post(JSON.stringify({ text: 'x'.repeat(300_000) })), 413, /larger than/],
      [await post('text=hi', 'application/x-www-form-urlencoded'), 415, /application\/json/],
      [await api(base, 'POST', '/api/buttons/no-such-action%3A1'), 404, /unknown button/],
      [await api(base, 'POST', '/api/buttons/%E0%A4%A'), 400, /URL encoding/],
      [await api(base, 'GET', '/api/nothing-here'), 404, /no such endpoint/],
      [await api(base, 'DELETE', '/api/messages'), 405, /GET or POST/],
    ] as const;
    for (const [res, status, error] of cases) {
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.error ?? '', error);
    }
    assert.equal((await say(base, '/help')).length, 1, 'still answering');
  });

  test('requests addressed to another host name are refused (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(base + '/api/messages?after=0', { headers: { host: 'attacker.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });
});

describe('web chat with WEB_TOKEN', () => {
  test('the API needs the bearer token; /healthz does not', async () => {
    const app = await startTestApp({ WEB_TOKEN: 'a-long-enough-test-token' });
    try {
      assert.equal((await api(app.url, 'GET', '/healthz')).status, 200);
      assert.equal((await api(app.url, 'POST', '/api/messages', { text: '/help' })).status, 401);
      assert.equal(
        (
          await api(
            app.url,
            'POST',
            '/api/messages',
            { text: '/help' },
            { authorization: 'Bearer wrong-token-wrong-token' },
          )
        ).status,
        401,
      );
      const ok = await api(
        app.url,
        'POST',
        '/api/messages',
        { text: '/help' },
        { authorization: 'Bearer a-long-enough-test-token' },
      );
      assert.equal(ok.status, 200);
      assert.match(ok.body.messages?.[0]?.text ?? '', /\/remember/);
    } finally {
      await app.stop();
    }
  });
});

describe('rate limit', () => {
  test('a sender over the limit hears once how long to wait; the rest is dropped', async () => {
    const app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++)
        assert.equal((await api(app.url, 'POST', '/api/messages', { text: '/help' })).status, 200);
      const over = await api(app.url, 'POST', '/api/messages', { text: '/help' });
      assert.equal(over.status, 429);
      assert.match(over.body.messages?.[0]?.text ?? '', /Try again in \d+ s/);
      const again = await api(app.url, 'POST', '/api/messages', { text: '/help' });
      assert.equal(again.status, 429);
      assert.deepEqual(again.body.messages, []);
      const limited = await app.store.events.readRange({ types: ['rate.limited'] });
      assert.equal(limited.length, 1);
    } finally {
      await app.stop();
    }
  });
});
