// `npm run bench`: every benchmark, one after another. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';

const ALL = [
  'bench/startup.ts',
  'bench/outage.ts',
  'bench/event-append.ts',
  'bench/store-check.ts',
  'bench/engine.ts',
  'bench/channels.ts',
  'bench/http-client.ts',
  'bench/recall.ts',
  'bench/retrieval.ts',
  'bench/embedding.ts',
  'bench/llm-overhead.ts',
  'bench/router.ts',
  'bench/connector-payments.ts',
  'bench/connector-calendar.ts',
  'bench/connector-mail.ts',
  'bench/connector-limits.ts',
  'bench/scheduler.ts',
  'bench/schedules.ts',
  'bench/instrumentation.ts',
  'bench/dashboard.ts',
];
// `npm run bench -- recall embedding` runs only the named ones.
const wanted = process.argv.slice(2);
for (const script of ALL.filter((s) => wanted.length === 0 || wanted.some((w) => s.includes(w)))) {
  console.log(`\n== ${script}`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
