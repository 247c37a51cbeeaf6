// The web chat page in a real headless Chromium (Debian's chromium + playwright-core): type /help, see the
// reply, tap a button, see its answer.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { SoloApp } from '../../src/main.ts';
import { startTestApp } from '../support/app.ts';

const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;

describe('web chat page in Chromium', { skip }, () => {
  let app: SoloApp;
  let browser: Browser;
  before(async () => {
    app = await startTestApp();
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
    await app?.stop();
  });

  test('type /help, see the reply, tap a button', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.fill('#text', '/help');
    await page.press('#text', 'Enter');
    const help = page.locator('.msg.bot', { hasText: '/remember <text>' });
    await help.waitFor({ timeout: 10_000 });
    assert.match(await help.innerText(), /\/recall <words>/);
    assert.equal(await page.locator('.msg.me').last().innerText(), '/help');

    await help.getByRole('button', { name: 'Status' }).click();
    const status = page.locator('.msg.bot', { hasText: 'Store: sqlite' });
    await status.waitFor({ timeout: 10_000 });
    assert.match(await status.innerText(), /Channels: web chat at http:\/\/127\.0\.0\.1:\d+/);
    if (process.env['SCREENSHOT']) await page.screenshot({ path: process.env['SCREENSHOT'] });
  });

  test('a reloaded page shows the earlier conversation and proactive messages arrive by polling', async () => {
    const page = await browser.newPage();
    await page.goto(app.url);
    await page.locator('.msg.bot', { hasText: 'Store: sqlite' }).waitFor({ timeout: 10_000 });
    // A message produced outside this page (another client of the API) shows up without a reload.
    await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '/remember polled note about Hooli' }),
    });
    await page.locator('.msg.bot', { hasText: 'polled note about Hooli' }).waitFor({ timeout: 10_000 });
  });
});
