// The budget ledger on a real SQLite store: reserve/settle/release, each budget scope, concurrent reserves that
// must not both squeeze under a limit, an approved overspend, and totals rebuilt from the event log after a restart.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BudgetLedger, dayIn } from '../../src/policy/budgets.ts';
import { parsePolicy, type Policy } from '../../src/policy/schema.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';

async function openStore(dir = tempDir('solo-budget-')): Promise<SqliteStore> {
  const store = new SqliteStore(dir);
  await store.init();
  return store;
}

const holder = (policy: Policy) => ({
  policy,
  current() {
    return this.policy;
  },
});
const UTC = { time_zone: 'UTC' };

describe('BudgetLedger', () => {
  test('reserve counts the estimate, settle replaces it with the actual cost, release drops it', async () => {
    const store = await openStore();
    const ledger = new BudgetLedger({
      events: store.events,
      policy: holder(parsePolicy({ budgets: { per_day_usd: 1, ...UTC } })),
    });
    await ledger.init();
    const a = await ledger.reserve({ estimateUsd: 0.2, runId: 'r1', agent: 'draft' });
    assert.ok(a.ok);
    assert.equal(await ledger.spent({}), 0.2);
    await ledger.settle(a.reservationId, 0.05);
    await ledger.settle(a.reservationId, 0.9); // a second settle changes nothing
    assert.equal(await ledger.spent({}), 0.05);
    assert.equal(await ledger.spent({ runId: 'r1' }), 0.05);
    assert.equal(await ledger.spent({ agent: 'draft' }), 0.05);
    const b = await ledger.reserve({ estimateUsd: 0.3 });
    assert.ok(b.ok);
    await ledger.release(b.reservationId);
    assert.equal(await ledger.spent({}), 0.05);
    await assert.rejects(ledger.settle('res_nope', 1), /no budget reservation res_nope/);
    await assert.rejects(ledger.reserve({ estimateUsd: -1 }), /0 or more dollars/);
    const types = (await store.events.readStream('budget:run:r1')).map((e) => e.type);
    assert.deepEqual(types, ['budget.reserved', 'budget.settled']);
    await store.close();
  });

  test('each scope stops the call before it is made, with a sentence and a budget.exceeded event', async () => {
    const store = await openStore();
    const policy = parsePolicy({
      budgets: { per_run_usd: 0.5, per_day_usd: 2, per_agent_usd_per_day: { draft: 0.3, '*': 1 }, ...UTC },
    });
    const ledger = new BudgetLedger({ events: store.events, policy: holder(policy) });
    assert.ok((await ledger.reserve({ estimateUsd: 0.45, runId: 'r1' })).ok);
    const run = await ledger.reserve({ estimateUsd: 0.1, runId: 'r1' });
    assert.equal(run.ok, false);
    if (!run.ok) {
      assert.equal(run.scope, 'per_run_usd');
      assert.equal(run.limitUsd, 0.5);
      assert.equal(run.spentUsd, 0.45);
      assert.equal(run.neededUsd, 0.05);
      assert.match(run.message, /would take this run over its \$0\.50 budget \(\$0\.45 already spent or reserved\)/);
    }
    const agent = await ledger.reserve({ estimateUsd: 0.31, agent: 'draft' });
    assert.equal(agent.ok ? undefined : agent.scope, 'per_agent_usd_per_day');
    assert.ok((await ledger.reserve({ estimateUsd: 0.31, agent: 'research' })).ok, '"*" gives other agents $1');
    assert.ok((await ledger.reserve({ estimateUsd: 0.9 })).ok);
    const day = await ledger.reserve({ estimateUsd: 0.5 });
    assert.equal(day.ok ? undefined : day.scope, 'per_day_usd');
    const exceeded = (await store.events.readRange({ types: ['budget.exceeded'] })).map((e) =>
      e.type === 'budget.exceeded' ? e.data.scope : '',
    );
    assert.deepEqual(exceeded, ['per_run_usd', 'per_agent_usd_per_day', 'per_day_usd']);
    await store.close();
  });

  test('concurrent reserves cannot both pass the last dollar', async () => {
    const store = await openStore();
    const ledger = new BudgetLedger({
      events: store.events,
      policy: holder(parsePolicy({ budgets: { per_day_usd: 1, ...UTC } })),
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.reserve({ estimateUsd: 0.3, runId: `r${i}` })),
    );
    assert.equal(results.filter((r) => r.ok).length, 3);
    assert.ok((await ledger.spent({})) <= 1);
    await store.close();
  });

  test('two ledgers on one store (two processes) count each other’s spending before they reserve', async () => {
    const dir = tempDir('solo-budget-');
    const [one, two] = [await openStore(dir), await openStore(dir)];
    const policy = holder(parsePolicy({ budgets: { per_day_usd: 1, per_run_usd: 5, ...UTC } }));
    const a = new BudgetLedger({ events: one.events, policy });
    const b = new BudgetLedger({ events: two.events, policy });
    await a.init();
    await b.init();
    assert.equal((await a.reserve({ estimateUsd: 0.6, runId: 'ra' })).ok, true);
    const refused = await b.reserve({ estimateUsd: 0.6, runId: 'rb' });
    assert.equal(refused.ok, false, 'the other process already spent 0.6 of the 1.0 day budget');
    assert.equal(refused.ok ? 0 : refused.spentUsd, 0.6);
    assert.equal((await b.reserve({ estimateUsd: 0.3, runId: 'rb' })).ok, true);
    assert.equal((await a.reserve({ estimateUsd: 0.3, runId: 'ra' })).ok, false, 'and the first sees the second');
    await one.close();
    await two.close();
  });

  test('an approved overspend lets exactly the next call of that run through, and is audited', async () => {
    const store = await openStore();
    const ledger = new BudgetLedger({
      events: store.events,
      policy: holder(parsePolicy({ budgets: { per_run_usd: 0.1, ...UTC } })),
    });
    assert.ok((await ledger.reserve({ estimateUsd: 0.08, runId: 'r1' })).ok);
    const refused = await ledger.reserve({ estimateUsd: 0.05, runId: 'r1' });
    assert.equal(refused.ok, false);
    await ledger.allowOverspend({ runId: 'r1', amountUsd: 0.05 });
    assert.equal((await ledger.reserve({ estimateUsd: 0.05, runId: 'r2' })).ok, true, 'r2 has its own budget');
    assert.equal(
      (await ledger.reserve({ estimateUsd: 0.2, runId: 'r1' })).ok,
      false,
      'a much bigger call is not covered',
    );
    const passed = await ledger.reserve({ estimateUsd: 0.05, runId: 'r1' });
    assert.ok(passed.ok);
    assert.equal((await ledger.reserve({ estimateUsd: 0.01, runId: 'r1' })).ok, false, 'the grant was one call');
    const reserved = await store.events.readStream('budget:run:r1', { types: ['budget.reserved'] });
    assert.ok(reserved.some((e) => e.type === 'budget.reserved' && e.data.scopes.includes('grant:next')));
    await assert.rejects(ledger.allowOverspend({ runId: 'r1', amountUsd: 0 }), /more than 0/);
    await store.close();
  });

  test('after a restart the totals come back from the event log: today, and whole runs', async () => {
    const dir = tempDir('solo-budget-');
    let store = await openStore(dir);
    const policy = holder(parsePolicy({ budgets: { per_run_usd: 1, per_day_usd: 1, ...UTC } }));
    let ledger = new BudgetLedger({ events: store.events, policy });
    const yesterday = new Date(Date.now() - 86_400_000);
    const old = await ledger.reserve({ estimateUsd: 0.4, runId: 'long', now: yesterday });
    assert.ok(old.ok);
    const a = await ledger.reserve({ estimateUsd: 0.3, runId: 'long', agent: 'draft' });
    assert.ok(a.ok);
    await ledger.settle(a.reservationId, 0.25);
    const open = await ledger.reserve({ estimateUsd: 0.2, agent: 'draft' }); // never settled: still counts
    assert.ok(open.ok);
    await ledger.allowOverspend({ runId: 'long', amountUsd: 1, grantId: 'card-1' });
    assert.ok((await ledger.reserve({ estimateUsd: 0.9, runId: 'long' })).ok);
    await store.close();

    store = await openStore(dir);
    ledger = new BudgetLedger({ events: store.events, policy });
    await ledger.init();
    assert.equal(await ledger.spent({}), 0.25 + 0.2 + 0.9);
    assert.equal(await ledger.spent({ agent: 'draft' }), 0.45);
    assert.equal(await ledger.spent({ runId: 'long' }), 0.4 + 0.25 + 0.9);
    assert.equal(await ledger.spent({ day: dayIn(yesterday, 'UTC') }), 0.4);
    // A replayed grant that was already used is not granted again; a settle of a pre-restart reservation works.
    await ledger.allowOverspend({ runId: 'long', amountUsd: 1, grantId: 'card-1' });
    assert.equal((await ledger.reserve({ estimateUsd: 0.01, runId: 'long' })).ok, false);
    await ledger.settle(open.reservationId, 0);
    assert.equal(await ledger.spent({ agent: 'draft' }), 0.25);
    // A retried reserve with the same id does not count twice.
    const first = await ledger.reserve({ estimateUsd: 0.01, reservationId: 'res_step_1' });
    const again = await ledger.reserve({ estimateUsd: 0.01, reservationId: 'res_step_1' });
    assert.deepEqual(first, again);
    await store.close();
  });

  test('the day follows the policy time zone and policy changes apply to the next reserve', async () => {
    const at = new Date('2026-11-27T23:30:00Z');
    assert.equal(dayIn(at, 'UTC'), '2026-11-27');
    assert.equal(dayIn(at, 'Europe/Berlin'), '2026-11-28');
    assert.equal(dayIn(at, 'America/Los_Angeles'), '2026-11-27');
    const store = await openStore();
    const policy = holder(parsePolicy({ budgets: { per_day_usd: 0.1, ...UTC } }));
    const ledger = new BudgetLedger({ events: store.events, policy });
    assert.equal((await ledger.reserve({ estimateUsd: 0.2 })).ok, false);
    policy.policy = parsePolicy({ budgets: { per_day_usd: 5, ...UTC } });
    assert.equal((await ledger.reserve({ estimateUsd: 0.2 })).ok, true);
    policy.policy = parsePolicy({ budgets: {} });
    assert.equal((await ledger.reserve({ estimateUsd: 1000 })).ok, true, 'no line, no limit');
    await store.close();
  });
});
