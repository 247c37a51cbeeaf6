// The dashboard in a real headless Chromium (Debian's chromium + playwright-core), over data made through the web
// API: every page opens with that data, an approval is decided from the page with the keyboard (through the engine,
// as web:operator via dashboard), a run's trace is followed from the runs list, memory is corrected and forgotten
// with Undo, a digest and its sources link to each other, and the charts are drawn (series pixels on the canvases,
// not empty ones). Screenshots of every page go to test/artifacts/.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { compactMemories } from '../../src/memory/compaction.ts';
import { say } from '../support/app.ts';
import { seededApp, type Seeded } from './support.ts';

const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;
const ARTIFACTS = new URL('../artifacts/', import.meta.url);

/**
 * Pixels in the first two series colours (#1f77b4 and #d62728: bars, lines, points) on each chart canvas of the
 * page. Axes and grid lines are grey, so a chart without its data counts none.
 */
async function seriesPixels(page: Page): Promise<number[]> {
  // Runs in the page (as a string: this project's TypeScript has no DOM types).
  return page.evaluate(`[...document.querySelectorAll('.uplot canvas')].map((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const near = (i, [r, g, b]) => Math.abs(data[i] - r) < 25 && Math.abs(data[i + 1] - g) < 25 && Math.abs(data[i + 2] - b) < 25;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 60 && (near(i, [31, 119, 180]) || near(i, [214, 39, 40]))) n++;
    return n;
  })`);
}

/** The focused element: its text and the heading of the approval card it is in. */
const focus = (page: Page): Promise<[string, string]> =>
  page.evaluate<[string, string]>(
    `[document.activeElement?.textContent ?? '', document.activeElement?.closest('section.approval')?.querySelector('h2')?.textContent ?? '']`,
  );

/** Waits until the page shows `n` drawn charts. */
const charts = (page: Page, n: number) =>
  page.waitForFunction(`document.querySelectorAll('.uplot canvas').length === ${n}`);

describe('dashboard in Chromium', { skip }, () => {
  let s: Seeded;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const shot = (name: string) =>
    page.screenshot({ path: new URL(`dashboard-${name}.png`, ARTIFACTS).pathname, fullPage: true });
  const open = async (path: string) => {
    await page.goto(`${s.base}${path}`);
    await page.locator('main[aria-busy="false"]').waitFor({ timeout: 15_000 });
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    s = await seededApp();
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
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    // Errors on dashboard pages (the chat page, opened once to follow its link, asks for a favicon it has not got).
    const onDashboard = () => new URL(page.url()).pathname.startsWith('/dashboard');
    page.on('pageerror', (err) => void (onDashboard() && errors.push(err.message)));
    page.on(
      'console',
      (m) => void (m.type() === 'error' && onDashboard() && errors.push(`${page.url()}: ${m.text()}`)),
    );
  });
  after(async () => {
    await browser?.close();
    await s?.stop();
  });

  test('the overview, opened from the chat page, counts what the API made', async () => {
    await page.goto(`${s.base}/`);
    await page.getByRole('link', { name: 'dashboard' }).click();
    await page.waitForURL(`${s.base}/dashboard`);
    await page.locator('main[aria-busy="false"]').waitFor({ timeout: 15_000 });
    const text = await page.locator('main').innerText();
    assert.match(text, /Approvals waiting\s+1/);
    assert.match(text, /Runs waiting for review\s+1/);
    assert.match(text, /Policy violations \(7 days\)\s+1/);
    assert.match(text, /Model cost today\s+\$0\.000\d of \$0\.0050/);
    await shot('overview');
  });

  test('runs: a run’s trace followed from the list, with its model call under its step and who decided where', async () => {
    await open('/dashboard/runs');
    await page.getByRole('link', { name: s.draftRunId }).click();
    await page.waitForURL(`**/dashboard/runs/${s.draftRunId}`);
    await page.getByRole('heading', { name: `Run ${s.draftRunId}` }).waitFor();
    const names = await page.locator('.waterfall li .name').allInnerTexts();
    const items = page.locator('.waterfall li');
    const rows = await Promise.all(
      names.map(async (name, i) => ({ name, depth: (await items.nth(i).getAttribute('class')) ?? '' })),
    );
    const at = (name: string) => rows.findIndex((r) => r.name === name);
    assert.equal(rows[0]?.name, 'run draft');
    assert.ok(at('step draft-1') > 0 && rows[at('step draft-1')]!.depth.includes('depth-1'), JSON.stringify(rows));
    assert.equal(at('llm draft'), at('step draft-1') + 1, 'the model call sits right under the step that made it');
    assert.ok(rows[at('llm draft')]!.depth.includes('depth-2'));
    assert.ok(rows.some((r) => r.name === 'approval send'));
    const main = await page.locator('main').innerText();
    assert.match(
      main,
      /approved by web:operator via web \(edited\)/,
      'the approval step says who decided where, and that the draft was edited',
    );
    assert.match(
      main,
      /draft\s+v1\s+gpt-4o-mini\s+257\s+34\s+\$0\.0001\s+\d+ ms/,
      'the model call with agent, prompt version, tokens, cost and latency',
    );
    assert.match(main, /policy: email\.send \(outreach\)\s+approve/);
    await shot('run-trace');
  });

  test('runs: filters, and the review queue’s remedies as buttons', async () => {
    await open('/dashboard/runs?workflow=invoice&status=completed');
    const listed = await page.locator('main table tbody tr').allInnerTexts();
    assert.equal(listed.length, 2, listed.join('\n'));
    assert.ok(listed.every((r) => /invoice\s+completed/.test(r)));
    await open('/dashboard/runs');
    const queue = page.locator('.approval', { hasText: s.flakyRunId });
    assert.match(await queue.innerText(), /step "call-partner" failed 2 times: partner API answered 503/);
    assert.deepEqual(await queue.getByRole('button').allInnerTexts(), [
      'Retry step',
      'Skip step',
      'Cancel and compensate',
    ]);
    await shot('runs');
    await queue.getByRole('button', { name: 'Skip step' }).click();
    await page.locator('main', { hasText: 'No run is waiting for review.' }).waitFor({ timeout: 15_000 });
    assert.equal((await s.h.app.store.runs.get(s.flakyRunId))?.status, 'completed');
  });

  test('approvals: decided from the page with the keyboard, through the engine', async () => {
    await open('/dashboard/approvals');
    const card = page.locator('section.approval', { hasText: s.pendingTitle });
    assert.match(await card.innerText(), /To: Globex\nAmount: 450\.00 EUR/);
    await shot('approvals');
    // Tab through the page until the card's Approve button has the focus, then press Enter.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if ((await focus(page)).join('|') === `Approve|${s.pendingTitle}`) break;
    }
    assert.deepEqual(await focus(page), ['Approve', s.pendingTitle], 'Approve is reachable with Tab');
    await page.keyboard.press('Enter');
    await card.getByText(`Approved: ${s.pendingTitle}.`).waitFor({ timeout: 15_000 });
    const pending = await s.h.app.store.approvals.listPending();
    assert.equal(pending.length, 0);
    const decided = (await s.h.app.store.events.readRange({ types: ['approval.decided'] })).at(-1);
    assert.ok(decided?.type === 'approval.decided');
    assert.deepEqual(
      { decision: decided.data.decision, by: decided.data.by, via: decided.data.via },
      { decision: 'approved', by: 'web:operator', via: 'dashboard' },
    );
    const invoices = await s.h.app.store.ledger.listInvoices();
    assert.equal(invoices[0]?.client, 'Globex', 'the run went on and recorded the invoice');
  });

  test('costs and quality: charts drawn with their series, against the budgets', async () => {
    await open('/dashboard/costs');
    await charts(page, 3);
    const costs = await seriesPixels(page);
    assert.equal(costs.length, 3);
    assert.ok(
      costs.every((n) => n > 20),
      `every chart shows its first series: ${costs.join(', ')} pixels`,
    );
    const main = await page.locator('main').innerText();
    assert.match(main, /daily budget/);
    assert.match(main, /per-run budget: \$0\.0030, far above what is spent here, so not drawn\./);
    await shot('costs');
    await open('/dashboard/quality');
    await charts(page, 4);
    const quality = await seriesPixels(page);
    assert.ok(
      quality.every((n) => n > 3),
      `quality charts show their points: ${quality.join(', ')} pixels`,
    );
    const table = await page.locator('main table').first().innerText();
    assert.match(
      table,
      /draft v1\s+1\s+1\s+100%\s+100%\s+100%/,
      'the draft version: one run, completed, approved, edited before approval',
    );
    assert.match(table, /router v1\s+2\s+0\s+100%/);
    await shot('quality');
  });

  test('violations: the rule, its file and line, what was stopped', async () => {
    await open('/dashboard/violations');
    const row = await page.locator('main table tbody tr').first().innerText();
    assert.match(
      row,
      /approvals\s+invoices over 100000 EUR are refused\s+solo-policies-\w+\/approvals\.yaml:4\s+invoice\.send was refused/,
    );
    await shot('violations');
  });

  test('memory: search, provenance, correct and forget with Undo', async () => {
    await open('/dashboard/memory?q=Acme%20invoices');
    await page.getByRole('link', { name: `#${s.memoryId}` }).click();
    await page.getByRole('heading', { name: `Memory #${s.memoryId}` }).waitFor();
    assert.match(
      await page.locator('main').innerText(),
      /Message\s+“\/remember Acme Corp: prefers invoices in EUR, net 30” \(web,/,
    );
    await shot('memory');
    await page.locator('#correct-text').fill('Acme Corp: prefers invoices in EUR, net 45');
    await page.getByRole('button', { name: 'Save correction' }).click();
    await page
      .locator('main')
      .getByText(new RegExp(`^Corrected #${s.memoryId} → #\\d+\\.$`))
      .waitFor();
    assert.ok((await s.h.app.memory.get(s.memoryId))?.replacedBy);
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('heading', { name: `Memory #${s.memoryId}` }).waitFor();
    await page.getByRole('button', { name: 'Forget' }).waitFor();
    const back = await s.h.app.memory.get(s.memoryId);
    assert.ok(back && !back.forgottenAt, 'Undo brought the original back');
    await page.getByRole('button', { name: 'Forget' }).click();
    await page.locator('main').getByText(`Forgot #${s.memoryId}.`).waitFor();
    assert.ok((await s.h.app.memory.get(s.memoryId))?.forgottenAt);
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: 'Forget' }).waitFor();
    assert.equal((await s.h.app.memory.get(s.memoryId))?.forgottenAt, undefined);
  });

  test('memory: a digest and the memories it summarises link to each other', async () => {
    const texts = [
      'Initech: the TPS report review is on fridays',
      'Initech: invoices go to Bill Lumbergh',
      'Initech: parking is in the basement, level B',
    ];
    const ids: string[] = [];
    for (const text of texts) ids.push((await s.h.app.memory.remember({ text, source: { channel: 'web' } })).memory.id);
    // A year from now these are old enough to be summarised.
    const report = await compactMemories(s.h.app.memory, s.h.app.store, {
      now: new Date(Date.now() + 400 * 86_400_000),
    });
    const digest = report.digests.find((d) => d.entities.includes('client:initech'));
    assert.ok(digest, JSON.stringify(report.digests.map((d) => d.text)));
    assert.deepEqual(new Set(digest.digestOf), new Set(ids));
    await open(`/dashboard/memory/${ids[1]}`);
    const main = page.locator('main');
    assert.match(await main.innerText(), new RegExp(`Summarised in\\s+digest #${digest.id}`));
    await main.getByRole('link', { name: `digest #${digest.id}` }).click();
    await page.getByRole('heading', { name: `Memory #${digest.id}` }).waitFor();
    await page.getByRole('heading', { name: 'Summarises' }).waitFor();
    for (const [i, id] of ids.entries()) {
      await main.getByRole('link', { name: `#${id}`, exact: true }).waitFor();
      assert.ok((await main.innerText()).includes(texts[i]!), `the digest page lists #${id}`);
    }
    await shot('memory-digest');
    await main.getByRole('link', { name: `#${ids[2]}`, exact: true }).click();
    await page.getByRole('heading', { name: `Memory #${ids[2]}` }).waitFor();
    assert.match(await main.innerText(), new RegExp(`digest #${digest.id}`));
  });

  test('schedules: next and last runs, lateness; connectors: their health', async () => {
    await open('/dashboard/ops');
    const [jobs, connectors] = await Promise.all(
      [0, 1].map((i) => page.locator('main table').nth(i).locator('tbody tr').allInnerTexts()),
    );
    assert.match(
      jobs?.[0] ?? '',
      /^morning digest\s+0 8 \* \* 1-5\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+ok\s+3 min$/,
      'the late job says how late',
    );
    assert.match(jobs?.[1] ?? '', /invoice follow-ups.*failed: IMAP login refused\s+on time/);
    assert.match(connectors?.[0] ?? '', /^payments\s+ok\s+Stripe \(test mode\) at 127\.0\.0\.1:\d+: ok/);
    assert.match(connectors?.[1] ?? '', /^payments\s+misconfigured\s+.*check STRIPE_SECRET_KEY/);
    await shot('ops');
  });

  test('on a phone: nothing scrolls sideways, charts fit the screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      for (const path of ['/dashboard', '/dashboard/costs', `/dashboard/runs/${s.draftRunId}`]) {
        await phone.goto(`${s.base}${path}`);
        await phone.locator('main[aria-busy="false"]').waitFor();
        if (path.endsWith('costs')) await charts(phone, 3);
        const [scroll, width] = await phone.evaluate<[number, number]>(
          '[document.documentElement.scrollWidth, window.innerWidth]',
        );
        assert.ok(scroll <= width, `${path}: page is ${scroll}px wide on a ${width}px screen`);
        await phone.screenshot({
          path: new URL(`dashboard-phone-${path.split('/')[2] ?? 'overview'}.png`, ARTIFACTS).pathname,
          fullPage: true,
        });
      }
    } finally {
      await phone.close();
    }
  });

  test('no script errors on any page; the chat still works beside it', async () => {
    assert.deepEqual(errors, []);
    assert.match((await say(s.base, '/status'))[0]?.text ?? '', /Store: sqlite/);
  });
});
