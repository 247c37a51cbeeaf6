// The dashboard's HTTP side without a browser: the pages and /api/dashboard/ behind the web chat's checks (foreign
// hosts, cross-site requests, the bearer token, JSON-only POSTs), the page served with no outside resource (it works
// offline), bad input answered with one sentence, and the actions (decide, remedy, memory) through the API.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'node:http';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp } from '../support/app.ts';

const TOKEN = 'dashboard-token-0123456789';

/** A card with a text payload, to edit from the dashboard. */
const note = defineWorkflow({
  name: 'note',
  version: 1,
  description: 'send a note after approval',
  input: z.object({ text: z.string() }),
  async run(ctx, input) {
    const outcome = await ctx.approval('approve', {
      card: { title: 'Send a note to Acme', details: ['To: Acme'], text: input.text },
    });
    if (outcome.decision === 'approved') await ctx.say('send', `Sending: ${outcome.text ?? ''}`);
    return outcome.decision;
  },
});

/** A raw GET with any headers (fetch cannot set Host or Sec-Fetch-Site). */
function raw(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
      const chunks: Buffer[] = [];
      res
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
    });
    req.on('error', reject).end();
  });
}

describe('dashboard API on loopback', () => {
  let app: SoloApp;
  before(async () => {
    app = await startTestApp(
      {},
      {
        workflows: [note],
        extend: (r, { engine }) =>
          r.command({
            name: 'note',
            description: 'test',
            run: async (ctx, args) =>
              void (await engine.start(
                'note',
                { text: args },
                { origin: { channel: 'web', chatId: 'operator' }, reply: ctx.reply },
              )),
          }),
      },
    );
  });
  after(() => app.stop());

  test('the page and its assets come from this server only, with a strict CSP', async () => {
    for (const path of ['/dashboard', '/dashboard/runs', '/dashboard/runs/r123', '/dashboard/']) {
      const page = await raw(app.url, path);
      assert.equal(page.status, 200, path);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(String(page.headers['content-security-policy']), /script-src 'self';/);
      assert.equal(page.headers['x-frame-options'], 'DENY');
    }
    const html = (await raw(app.url, '/dashboard')).body;
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(urls.length >= 3);
    assert.ok(
      urls.every((u) => u.startsWith('/') || u.startsWith('#') || u === 'data:,'),
      `no outside resource: ${urls.join(' ')}`,
    );
    const pages = (await raw(app.url, '/dashboard/assets/charts.js')).body;
    assert.match(pages, /\/dashboard\/assets\/uplot\.min\.js/, 'uPlot is loaded from this server');
    const uplot = await raw(app.url, '/dashboard/assets/uplot.min.js', { 'accept-encoding': 'gzip' });
    assert.equal(uplot.status, 200);
    assert.equal(uplot.headers['content-encoding'], 'gzip');
    const again = await raw(app.url, '/dashboard/assets/uplot.min.js', { 'if-none-match': String(uplot.headers.etag) });
    assert.equal(again.status, 304, 'a reload revalidates instead of downloading again');
    assert.equal((await raw(app.url, '/dashboard/assets/..%2F..%2Fpackage.json')).status, 404);
    assert.equal((await raw(app.url, '/dashboard/assets/secret.txt')).status, 404);
    assert.equal((await raw(app.url, '/dashboard/a/b/c/d')).status, 404);
  });

  test('foreign hosts and cross-site requests are refused, as for the chat API', async () => {
    assert.equal(
      (await raw(app.url, '/dashboard', { host: 'evil.example:80' })).status,
      403,
      'DNS rebinding: foreign Host',
    );
    assert.equal((await raw(app.url, '/api/dashboard/summary', { host: 'evil.example' })).status, 403);
    assert.equal((await raw(app.url, '/metrics', { host: 'evil.example' })).status, 403);
    for (const path of ['/api/dashboard/summary', '/metrics']) {
      assert.equal((await raw(app.url, path, { 'sec-fetch-site': 'cross-site' })).status, 403, path);
      assert.equal(
        (await raw(app.url, path, { 'sec-fetch-site': 'same-site' })).status,
        403,
        `${path}: another port of localhost`,
      );
      assert.equal((await raw(app.url, path, { origin: 'http://localhost:9999' })).status, 403, path);
      assert.equal((await raw(app.url, path, { 'sec-fetch-site': 'same-origin' })).status, 200, path);
    }
    const form = await fetch(`${app.url}/api/dashboard/approvals/a123/decide`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"decision":"approved"}',
    });
    assert.equal(form.status, 415, 'a form or no-cors post cannot decide');
  });

  test('bad input gets one sentence, unknown things a 404', async () => {
    const bad = async (path: string, status: number, pattern: RegExp, body?: unknown) => {
      const res = await api(app.url, body === undefined ? 'GET' : 'POST', path, body);
      assert.equal(res.status, status, `${path}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error ?? '', pattern);
    };
    await bad('/api/dashboard/runs?status=bogus', 400, /^status is one of running, suspended/);
    await bad('/api/dashboard/runs?from=yesterday', 400, /YYYY-MM-DD/);
    await bad('/api/dashboard/costs?days=0', 400, /days is 1 to 365/);
    await bad('/api/dashboard/runs/nope', 404, /There is no run nope/);
    await bad('/api/dashboard/memory/abc', 404, /Memory ids are numbers/);
    await bad('/api/dashboard/memory/999', 404, /There is no memory #999/);
    await bad('/api/dashboard/nothing', 404, /no such endpoint/);
    await bad('/api/dashboard/approvals/a123/decide', 400, /decision is "approved" or "rejected"/, {
      decision: 'maybe',
    });
    await bad('/api/dashboard/approvals/a123/decide', 404, /not known/, { decision: 'approved' });
    await bad('/api/dashboard/runs/r1/remedy', 400, /remedy is/, { remedy: 'explode' });
    await bad('/api/dashboard/memory/1/correct', 400, /corrected text/, { text: '  ' });
  });

  test('an approval decided through the API: once, as web:operator via dashboard; a second decision is stale', async () => {
    await say(app.url, '/invoice Hooli 300 design');
    const { body } = await api(app.url, 'GET', '/api/dashboard/approvals');
    const card = (body as unknown as { pending: { id: string; title: string; details: string[] }[] }).pending[0];
    assert.ok(card);
    assert.equal(card.title, 'Invoice to Hooli for 300.00 EUR');
    const first = await api(app.url, 'POST', `/api/dashboard/approvals/${card.id}/decide`, { decision: 'rejected' });
    assert.deepEqual(first.body, {
      status: 'applied',
      approval: { id: card.id, status: 'rejected', decidedBy: 'web:operator', decidedVia: 'dashboard' },
      message: 'Rejected: Invoice to Hooli for 300.00 EUR.',
    });
    const second = await api(app.url, 'POST', `/api/dashboard/approvals/${card.id}/decide`, { decision: 'approved' });
    assert.equal((second.body as unknown as { status: string }).status, 'stale');
    assert.match(
      (second.body as unknown as { message: string }).message,
      /^Already decided \(rejected by web:operator via dashboard\)/,
    );
    assert.deepEqual(await app.store.ledger.listInvoices(), [], 'a rejected invoice takes no number');
    const transcript =
      (await api(app.url, 'GET', '/api/messages?tail=3')).body.messages?.map((m) => m.text).join('\n') ?? '';
    assert.match(transcript, /was not recorded \(rejected\)/, 'the chat that started the run hears the outcome');
  });

  test('a card’s text edited from the dashboard is what goes out once approved', async () => {
    await say(app.url, '/note Hi Acme, see you monday');
    const pending = () =>
      api(app.url, 'GET', '/api/dashboard/approvals').then(
        (r) => (r.body as unknown as { pending: { id: string; title: string; text: string }[] }).pending,
      );
    const card = (await pending()).find((c) => c.title === 'Send a note to Acme');
    assert.ok(card);
    const edited = await api(app.url, 'POST', `/api/dashboard/approvals/${card.id}/edit`, {
      text: 'Hi Acme, see you tuesday',
    });
    assert.equal((edited.body as unknown as { status: string }).status, 'applied');
    assert.equal((await pending()).find((c) => c.id === card.id)?.text, 'Hi Acme, see you tuesday');
    await api(app.url, 'POST', `/api/dashboard/approvals/${card.id}/decide`, { decision: 'approved' });
    const transcript = (await api(app.url, 'GET', '/api/messages?tail=3')).body.messages?.map((m) => m.text) ?? [];
    assert.ok(transcript.includes('Sending: Hi Acme, see you tuesday'), transcript.join('\n'));
    const late = await api(app.url, 'POST', `/api/dashboard/approvals/${card.id}/edit`, { text: 'too late' });
    assert.equal((late.body as unknown as { status: string }).status, 'stale');
  });

  test('memory through the API: correct, undo, forget, restore', async () => {
    const [kept] = await say(app.url, '/remember Umbrella Corp: pays net 60');
    const id = /#(\d+)/.exec(kept?.text ?? '')?.[1] ?? '';
    const corrected = (
      await api(app.url, 'POST', `/api/dashboard/memory/${id}/correct`, { text: 'Umbrella Corp: pays net 45' })
    ).body as unknown as { ok: boolean; undo: { action: string; id: string } };
    assert.equal(corrected.ok, true);
    assert.equal(corrected.undo.action, 'uncorrect');
    const detail = (await api(app.url, 'GET', `/api/dashboard/memory/${corrected.undo.id}`)).body as unknown as {
      corrects: string;
      versions: { id: string }[];
      source: { described: string };
    };
    assert.equal(detail.corrects, id);
    assert.deepEqual(
      detail.versions.map((v) => v.id),
      [id, corrected.undo.id],
    );
    assert.match(detail.source.described, /^said on dashboard/);
    await api(app.url, 'POST', `/api/dashboard/memory/${corrected.undo.id}/uncorrect`);
    assert.equal((await app.memory.get(id))?.forgottenAt, undefined);
    const forgot = (await api(app.url, 'POST', `/api/dashboard/memory/${id}/forget`)).body as unknown as {
      undo: { action: string };
    };
    assert.equal(forgot.undo.action, 'restore');
    const again = (await api(app.url, 'POST', `/api/dashboard/memory/${id}/forget`)).body as unknown as {
      ok: boolean;
      message: string;
    };
    assert.deepEqual(again, { ok: false, message: `Memory #${id} is not live, so there is nothing to forget.` });
    await api(app.url, 'POST', `/api/dashboard/memory/${id}/restore`);
    assert.equal((await app.memory.get(id))?.forgottenAt, undefined);
    const found = (await api(app.url, 'GET', '/api/dashboard/memory?q=Umbrella')).body as unknown as {
      memories: { id: string }[];
    };
    assert.ok(found.memories.some((m) => m.id === id));
  });
});

describe('dashboard API with WEB_TOKEN', () => {
  let app: SoloApp;
  before(async () => {
    app = await startTestApp({ WEB_TOKEN: TOKEN });
  });
  after(() => app.stop());

  test('the data and /metrics need the token; the page itself does not (like the chat page)', async () => {
    assert.equal((await raw(app.url, '/dashboard')).status, 200);
    for (const path of ['/api/dashboard/summary', '/metrics']) {
      assert.equal((await raw(app.url, path)).status, 401, path);
      assert.equal((await raw(app.url, path, { authorization: 'Bearer wrong-token-0123456789' })).status, 401, path);
      assert.equal((await raw(app.url, path, { authorization: `Bearer ${TOKEN}` })).status, 200, path);
    }
    const decide = await fetch(`${app.url}/api/dashboard/approvals/a1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"decision":"approved"}',
    });
    assert.equal(decide.status, 401);
  });
});
