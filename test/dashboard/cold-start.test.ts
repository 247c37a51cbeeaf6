// Cold start stays as it was when nobody watches: the real process (bin/solo.js) loads neither the OpenTelemetry SDK
// nor prom-client, nor the dashboard's own code, until they are needed. A module hook in the child writes every
// module it loads to a file; the test reads that list at start, after the first requests, and with
// OTEL_EXPORTER_OTLP_ENDPOINT set.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { tempDir } from '../support/app.ts';
import { killHard, startProcess } from '../support/process.ts';

const HOOK = `import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
const out = process.env.LOADED_MODULES_FILE;
registerHooks({ load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); } });
`;

/** Starts the real process with the hook; `loaded()` is what it has loaded so far. */
async function start(env: Record<string, string> = {}) {
  const dir = tempDir('solo-cold-');
  const hook = join(dir, 'hook.mjs');
  const list = join(dir, 'loaded.txt');
  writeFileSync(hook, HOOK);
  writeFileSync(list, '');
  const started = await startProcess({
    DATA_DIR: join(dir, 'data'),
    NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`,
    LOADED_MODULES_FILE: list,
    ...env,
  });
  const loaded = () => readFileSync(list, 'utf8').split('\n').filter(Boolean);
  return { ...started, loaded, stop: () => killHard(started.child) };
}

const matching = (urls: string[], pattern: RegExp) => urls.filter((u) => pattern.test(u));
const OTEL = /@opentelemetry\/|adapters\/telemetry\//;
const OTEL_SDK = /@opentelemetry\/(?!api\/)|adapters\/telemetry\//;
const OWN = /\/src\/dashboard\/|\/adapters\/http\/|\/src\/observability\/(metrics|tracing|spans)\.ts/;
const PROM = /\/prom-client\//;

describe('cold start with the dashboard, /metrics and tracing', () => {
  test('without OTEL_EXPORTER_OTLP_ENDPOINT: no tracing, metrics or dashboard code at start; each on its first request', async () => {
    const p = await start();
    try {
      const atStart = p.loaded();
      assert.ok(
        atStart.some((u) => u.endsWith('/src/main.ts')),
        'the hook sees the app’s own modules',
      );
      assert.ok(
        atStart.some((u) => u.endsWith('/src/compose/dashboard.ts')),
        'the dashboard is wired',
      );
      assert.deepEqual(
        matching(atStart, OWN),
        [],
        'the dashboard’s and the metrics’ own code waits for its first request',
      );
      assert.deepEqual(matching(atStart, OTEL), []);
      assert.deepEqual(matching(atStart, PROM), []);
      assert.deepEqual(
        matching(atStart, /\/uplot\//),
        [],
        'the chart library is a file the page loads, not a module of the server',
      );
      assert.equal((await fetch(`${p.url}/dashboard`)).status, 200);
      assert.ok(
        p.loaded().some((u) => u.endsWith('/adapters/http/dashboard/routes.ts')),
        'the first page request loaded the dashboard',
      );
      const res = await fetch(`${p.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^# TYPE solo_messages_total counter$/m);
      assert.ok(matching(p.loaded(), PROM).length > 0, 'the first scrape loaded prom-client');
      // prom-client itself imports @opentelemetry/api (for exemplars); the SDK and exporter stay out.
      assert.deepEqual(matching(p.loaded(), OTEL_SDK), []);
    } finally {
      await p.stop();
    }
  });

  test('with OTEL_EXPORTER_OTLP_ENDPOINT: the OpenTelemetry SDK is loaded at start', async () => {
    const p = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    try {
      const otel = matching(p.loaded(), OTEL);
      assert.ok(
        otel.some((u) => u.includes('@opentelemetry/exporter-trace-otlp-http')),
        otel.join('\n'),
      );
      assert.match(p.output(), /exporting run traces over OTLP/);
    } finally {
      await p.stop();
    }
  });
});
