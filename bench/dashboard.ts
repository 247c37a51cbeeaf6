// Dashboard page weight and time to first paint in Debian's headless Chromium, over the dashboard tests' data (made
// through the web API). For each page: first contentful paint and the time until its data is shown (charts drawn),
// and the bytes it transferred, on a cold cache (a fresh browser context) and warm (a reload: assets revalidate
// with 304). Usage: node bench/dashboard.ts [loads=5]

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { assetSizes } from '../adapters/http/dashboard/assets.ts';
import { seededApp } from '../test/dashboard/support.ts';
import { line, summary } from './stats.ts';

const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.log(`skipped: no Chromium at ${executablePath}`);
  process.exit(0);
}
const LOADS = Number(process.argv[2] ?? 5);

const sizes = assetSizes();
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
for (const [name, s] of Object.entries(sizes)) line(`asset ${name}`, `${kb(s.gzip)} gzipped (${kb(s.raw)} raw)`);

const s = await seededApp();
const browser = await chromium.launch({
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
// The chat page first: a baseline for what this browser on this machine needs to paint any small page.
const PAGES: [string, number][] = [
  ['/', 0],
  ['/dashboard', 0],
  ['/dashboard/runs', 0],
  [`/dashboard/runs/${s.draftRunId}`, 0],
  ['/dashboard/approvals', 0],
  ['/dashboard/costs', 3],
  ['/dashboard/quality', 4],
  ['/dashboard/violations', 0],
  ['/dashboard/memory', 0],
  ['/dashboard/ops', 0],
];

interface Load {
  fcp: number;
  ready: number;
  bytes: number;
}

// Runs in the page (as a string: this project's TypeScript has no DOM types).
const MEASURE = `(() => {
  const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
  const nav = performance.getEntriesByType('navigation')[0];
  const bytes = [nav, ...performance.getEntriesByType('resource')].reduce((n, e) => n + (e ? e.transferSize : 0), 0);
  return { fcp: paint ? paint.startTime : NaN, ready: performance.now(), bytes };
})()`;

for (const [path, charts] of PAGES) {
  const cold: Load[] = [];
  const warm: Load[] = [];
  for (let i = 0; i < LOADS; i++) {
    // bypassCSP: the chat page's CSP forbids the eval Playwright's string predicates use (the page loads the same).
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const settle = async () => {
      if (path === '/') await page.waitForFunction(`performance.getEntriesByType('paint').length > 0`);
      else await page.locator('main[aria-busy="false"]').waitFor();
      if (charts) await page.waitForFunction(`document.querySelectorAll('.uplot canvas').length === ${charts}`);
      return page.evaluate<Load>(MEASURE);
    };
    await page.goto(`${s.base}${path}`);
    cold.push(await settle());
    await page.reload();
    warm.push(await settle());
    await context.close();
  }
  const label = path === '/' ? '/ (the chat, baseline)' : path.replace(s.draftRunId, '<id>');
  line(
    `${label} first paint, cold`,
    summary(
      cold.map((l) => l.fcp),
      'ms',
      0,
    ),
    '< 300 ms',
  );
  line(
    `${label} data shown, cold`,
    summary(
      cold.map((l) => l.ready),
      'ms',
      0,
    ),
  );
  line(
    `${label} first paint, warm`,
    summary(
      warm.map((l) => l.fcp),
      'ms',
      0,
    ),
  );
  line(`${label} transferred`, `cold ${kb(cold[0]!.bytes)}, warm ${kb(warm[0]!.bytes)}`);
}
await browser.close();
await s.stop();
