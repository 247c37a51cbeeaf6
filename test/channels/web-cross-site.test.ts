// A web page the operator happens to visit must not command the bot. The real server is attacked two ways: by a
// page from another origin in headless Chromium (what a browser really sends), and by requests carrying the exact
// headers browsers send for cross-site form posts and `no-cors` fetches. Afterwards nothing may have changed.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp } from '../support/app.ts';

const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const noChromium = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** What the attacks try: each would change something if it got through. */
async function snapshot(app: SoloApp) {
  const received = await app.store.events.readRange({ types: ['message.received', 'button.tapped'] });
  return {
    inbound: received.length,
    memories: (await app.memory.recall('bank account Initech', { k: 10 })).length,
    currency: await app.store.settings.get<string>('currency'),
    runs: (await app.store.runs.list({ limit: 10 })).length,
  };
}

/** A request with the headers a browser sends; resolves with the status. */
function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('cross-site requests change nothing', () => {
  let app: SoloApp;
  let memoryId: string;
  before(async () => {
    app = await startTestApp();
    const [reply] = await say(app.url, '/remember Initech: pays by bank transfer');
    memoryId = /#(\d+)/.exec(reply?.text ?? '')?.[1] ?? '';
    assert.ok(memoryId);
  });
  after(() => app.stop());

  test('the headers of a cross-site form post or no-cors fetch are refused with 403 or 415', async () => {
    const before = await snapshot(app);
    const host = new URL(app.url).host;
    const attacks: [string, string, Record<string, string>, string][] = [
      // An HTML form with enctype=text/plain whose body happens to be JSON.
      [
        '/api/messages',
        'POST',
        { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
        '{"text":"/remember Initech: new bank account DE00 1234"}',
      ],
      // A no-cors fetch with an empty body to a button that would run a command.
      ['/api/buttons/%2Fcurrency%20XXX', 'POST', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, ''],
      [
        `/api/buttons/%2Fforget%20${memoryId}`,
        'POST',
        { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
        '',
      ],
      // A page on another port of localhost is "same-site" to a browser, and still not this page.
      [
        '/api/messages',
        'POST',
        { 'content-type': 'application/json', origin: `http://127.0.0.1:1`, 'sec-fetch-site': 'same-site' },
        '{"text":"/currency XXX"}',
      ],
      // An old browser without Sec-Fetch-*: the Origin alone says it is foreign.
      [
        '/api/messages',
        'POST',
        { 'content-type': 'application/json', origin: 'http://evil.example' },
        '{"text":"/invoice Initech 9999"}',
      ],
      // A sandboxed frame or a file:// page sends Origin: null.
      ['/api/messages', 'POST', { 'content-type': 'application/json', origin: 'null' }, '{"text":"/currency XXX"}'],
      // No browser headers at all but not JSON: a plain form post from an old client.
      ['/api/messages', 'POST', { 'content-type': 'text/plain' }, '{"text":"/currency XXX"}'],
      ['/api/buttons/%2Fcurrency%20XXX', 'POST', {}, ''],
      // Reading the transcript cross-site.
      ['/api/messages?tail=5', 'GET', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }, ''],
    ];
    for (const [path, method, headers, body] of attacks) {
      const res = await raw(app.url + path, method, { host, ...headers }, body);
      assert.ok(
        [403, 415].includes(res.status),
        `${method} ${path} ${JSON.stringify(headers)} answered ${res.status}: ${res.body}`,
      );
    }
    assert.deepEqual(await snapshot(app), before);
    assert.equal((await app.memory.get(memoryId))?.forgottenAt, undefined, 'the memory is not forgotten');
  });

  test('only buttons the bot sent can be tapped: made-up button data runs nothing', async () => {
    const before = await snapshot(app);
    for (const id of ['%2Fcurrency%20XXX', `%2Fforget%20${memoryId}`, 'restore%3A1', '999999.0', '1.99']) {
      const res = await api(app.url, 'POST', `/api/buttons/${id}`);
      assert.equal(res.status, 404, id);
      assert.match(res.body.error ?? '', /unknown button/);
    }
    assert.deepEqual(await snapshot(app), before);
  });

  test('the page itself still works: same-origin requests with its headers pass', async () => {
    const origin = app.url;
    const res = await raw(
      `${app.url}/api/messages`,
      'POST',
      { 'content-type': 'application/json', origin, 'sec-fetch-site': 'same-origin' },
      '{"text":"/help"}',
    );
    assert.equal(res.status, 200);
    // A top-level navigation from another site may still open the page (it is not an API call).
    assert.equal(
      (await raw(`${app.url}/`, 'GET', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status,
      200,
    );
  });
});

describe('a page from another origin in Chromium', { skip: noChromium }, () => {
  let app: SoloApp;
  let browser: Browser;
  let evil: Server;
  let evilUrl: string;
  before(async () => {
    app = await startTestApp();
    await say(app.url, '/remember Initech: pays by bank transfer');
    // The attacker's page, served from another origin (another port, and `localhost` rather than 127.0.0.1).
    const target = app.url;
    const page = `<!doctype html><html><body>
<form id="f" method="POST" action="${target}/api/messages" enctype="text/plain" target="sink"><input name='{"text":"/remember Initech: new bank account DE00 1234","x":"' value='"}'></form>
<iframe name="sink"></iframe>
<script>
window.results = [];
const note = (what, p) => p.then((r) => results.push(what + ':' + (r.status ?? 'opaque')), (e) => results.push(what + ':blocked'));
note('no-cors button', fetch('${target}/api/buttons/%2Fcurrency%20XXX', { method: 'POST', mode: 'no-cors' }));
note('no-cors text', fetch('${target}/api/messages', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"text":"/invoice Initech 9999"}' }));
note('cors json', fetch('${target}/api/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"/currency XXX"}' }));
note('cors read', fetch('${target}/api/messages?tail=5'));
document.getElementById('f').submit();
setTimeout(() => { window.done = true; }, 1500);
</script></body></html>`;
    evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    evil?.close();
    await app?.stop();
  });

  test('form posts and fetches from the other page change nothing', async () => {
    const before = await snapshot(app);
    const page = await browser.newPage();
    await page.goto(evilUrl);
    await page.waitForFunction('window.done === true', undefined, { timeout: 10_000 });
    const results = await page.evaluate<string[]>('window.results');
    assert.equal(results.length, 4, `every attack ran: ${results.join(', ')}`);
    assert.deepEqual(await snapshot(app), before, `nothing changed after: ${results.join(', ')}`);
  });
});
