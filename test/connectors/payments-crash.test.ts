// The acceptance test of the payments connector: a child process issues 10 approved invoices through the real
// SDK and is SIGKILLed at random points (while requests are in flight at the fake, between Stripe's commit and
// its answer, between the answer and the journal), then started again until it finishes. Stripe must end with
// exactly 10 invoices, each with its lines and one email; the report compares requests with an effect key
// against the effects performed.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/app.ts';
import { prng } from '../support/prng.ts';
import { invoicesOf, StripeFake } from './payments-support.ts';

const CHILD = fileURLToPath(new URL('./payments-crash-child.ts', import.meta.url));
const COUNT = 10;
/** At most this many kills; the child may finish all the work before (each run gets 1-12 requests in). */
const KILLS = Number(process.env['PAYMENTS_CRASH_KILLS'] ?? 15);

test(
  `${COUNT} invoices approved with up to ${KILLS} kill -9s in between: exactly ${COUNT} invoices in Stripe`,
  { timeout: 240_000 },
  async (t) => {
    const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
    t.diagnostic(`CRASH_SEED=${seed}`);
    const random = prng(seed);
    const fake = await new StripeFake().start();
    fake.latency = [0, 20];
    const journal = join(tempDir('solo-payments-crash-'), 'journal.jsonl');
    const env = {
      PATH: process.env['PATH'] ?? '',
      JOURNAL: journal,
      COUNT: String(COUNT),
      STRIPE_SECRET_KEY: fake.apiKey,
      STRIPE_API_URL: fake.url,
    };
    let kills = 0;
    let killsInFlight = 0;
    let runs = 0;
    try {
      for (;;) {
        runs++;
        assert.ok(runs < 200, 'the child never finished');
        const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (c: Buffer) => (output += c.toString()));
        child.stderr.on('data', (c: Buffer) => (output += c.toString()));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        if (kills < KILLS) {
          // Let the child make 1-12 requests, then kill it a few ms after one (often before its answer is read).
          const target = fake.log.length + 1 + Math.floor(random() * 12);
          while (fake.log.length < target && child.exitCode === null) await new Promise((r) => setTimeout(r, 1));
          await new Promise((r) => setTimeout(r, random() * 8));
          if (child.exitCode === null) {
            if (fake.inFlight > 0) killsInFlight++;
            child.kill('SIGKILL');
            kills++;
            await exited;
            continue;
          }
        }
        const code = await exited;
        assert.equal(code, 0, output);
        assert.match(output, /all issued/);
        break;
      }
      await fake.settled();

      const issued = Array.from({ length: COUNT }, (_, n) => invoicesOf(fake, `crash-run-${n}:issue`));
      for (const [n, found] of issued.entries()) {
        const key = `crash-run-${n}:issue`;
        assert.equal(found.length, 1, `${key}: ${found.length} invoices`);
        assert.deepEqual(
          [found[0]?.status, found[0]?.lines, found[0]?.emails],
          ['open', [`${key}:item:0`, `${key}:item:1`], 1],
          key,
        );
      }
      assert.equal(fake.invoices().length, COUNT, 'no other invoice at all');
      assert.equal(fake.state.customers.size, 3, 'one customer per client');
      const journaled = readFileSync(journal, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"invoice"'))
        .map((l) => (JSON.parse(l) as { invoice: string }).invoice);
      assert.deepEqual(
        journaled.sort(),
        issued.map((f) => f[0]?.id ?? '').sort(),
        'the journal holds the invoices Stripe has',
      );

      const report = fake.report();
      assert.deepEqual(report.duplicates, [], 'no key performed twice');
      assert.equal(fake.unkeyedEffects, 0);
      const replayed = fake.log.filter((r) => r.replayed).length;
      t.diagnostic(`kills ${kills} (${killsInFlight} with a request in flight at Stripe), runs ${runs}`);
      t.diagnostic(
        `attempted: ${report.attempted} requests with an effect key (${replayed} answered as replays); performed: ${report.performed} effects under ${report.keys} distinct keys`,
      );
      assert.equal(
        report.performed,
        [...fake.effects.keys()].length,
        'effects performed = distinct keys with an effect',
      );
      assert.ok(kills >= Math.min(KILLS, 5), `only ${kills} kills`);
    } finally {
      await fake.close();
    }
  },
);
