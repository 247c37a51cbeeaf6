// `npm run bench`: every benchmark, one after another. Figures are printed, never asserted.
import { spawnSync } from 'node:child_process';

for (const script of ['bench/startup.ts', 'bench/event-append.ts', 'bench/engine.ts', 'bench/channels.ts']) {
  console.log(`\n== ${script}`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
