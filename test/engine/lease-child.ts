// Child process for the lease test: an engine on the shared SQLite file resumes every run it finds and records
// each execution of the one step to a log file (append-only, one line per execution), then exits.

import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import { z } from 'zod';
import { Engine } from '../../src/engine/engine.ts';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { nullDelivery } from '../support/delivery.ts';

const [dataDir = '', logFile = ''] = process.argv.slice(2);
const leased = defineWorkflow({
  name: 'leased',
  version: 1,
  description: 'one slow step',
  input: z.object({}),
  async run(ctx) {
    await ctx.step('work', async () => {
      appendFileSync(logFile, `${ctx.runId} ${process.pid}\n`);
      await new Promise((r) => setTimeout(r, 5));
      return true;
    });
  },
});

const store = new SqliteStore(dataDir);
await store.init();
const engine = new Engine({ store, logger: pino({ level: 'silent' }), delivery: nullDelivery });
engine.register(leased);
process.send?.('ready');
// Both children start resuming at the same moment: the parent says go.
await new Promise<void>((resolve) => process.once('message', () => resolve()));
const { resumed } = await engine.recover();
await engine.idle();
await store.close();
process.stdout.write(`${resumed}\n`);
