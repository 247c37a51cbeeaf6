// /costs and the dashboard's costs over long ranges: the sums of settled days (UTC for /costs, the budgets' time zone
// for the dashboard) are kept in the settings store and read back, the part days come from the log, and the figures
// equal a plain sum over every event, before and after the days are kept. Real SQLite store on disk; events written
// with past times through the store's bulk copy.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import type { StoredEvent } from '../../src/domain/events.ts';
import { costsView, dayRange } from '../../src/dashboard/costs.ts';
import type { DashboardSources } from '../../src/dashboard/sources.ts';
import { costReport } from '../../src/observability/costs.ts';
import { dayIn } from '../../src/policy/budgets.ts';
import type { ReadRangeOptions } from '../../src/ports/store.ts';
import { tempDir } from '../support/app.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-12-05T10:30:00Z');
const dir = tempDir('solo-costs-');
after(() => rmSync(dir, { recursive: true, force: true }));

type Called = Extract<StoredEvent, { type: 'llm.called' }>;

/** The i-th model call, at `t`, with the given data over a small default. */
function called(i: number, t: number, data: Partial<Called['data']>): Called {
  return {
    type: 'llm.called',
    v: 1,
    stream: data.runId ? `run:${data.runId}` : 'chat:web:operator',
    seq: i + 1,
    position: i + 1,
    at: new Date(t),
    data: {
      callId: `c${i}`,
      model: 'fake',
      promptTokens: 10,
      completionTokens: 10,
      costUsd: 0.001,
      latencyMs: 1,
      attempts: 1,
      fallback: false,
      ...data,
    },
  };
}

/** A plain sum over every call since `days` ago, the reference the report must equal. */
function reference(events: Called[], days: number, workflowOf: (runId: string) => string) {
  const since = NOW.getTime() - days * DAY;
  const inRange = events.filter((e) => e.at.getTime() >= since && e.at.getTime() <= NOW.getTime());
  const sum = (key: (e: Called) => string) => {
    const out = new Map<string, { calls: number; costUsd: number; promptTokens: number }>();
    for (const e of inRange) {
      const l = out.get(key(e)) ?? { calls: 0, costUsd: 0, promptTokens: 0 };
      l.calls++;
      l.costUsd += e.data.costUsd;
      l.promptTokens += e.data.promptTokens;
      out.set(key(e), l);
    }
    return out;
  };
  return {
    total: sum(() => 'total').get('total'),
    byDay: sum((e) => e.at.toISOString().slice(0, 10)),
    byAgent: sum((e) => e.data.agent ?? 'none'),
    byWorkflow: sum((e) => (e.data.runId ? workflowOf(e.data.runId) : 'chat (no workflow)')),
  };
}

test('a long /costs range: kept day sums, fresh part days, and the same figures as a plain sum', async () => {
  const store = new SqliteStore(dir, { idleCheckpoints: false });
  await store.init();
  // 40 days of calls, every 5 hours (so part days at both ends), plus one 20 minutes before NOW and one just
  // before midnight of the day that ended 10.5 hours ago.
  const events: Called[] = [];
  const runs = ['r-invoice', 'r-draft'];
  const workflowOf = (runId: string) => (runId === 'r-invoice' ? 'invoice' : 'draft');
  const times: number[] = [];
  for (let t = NOW.getTime() - 40 * DAY; t < NOW.getTime(); t += 5 * 3_600_000) times.push(t);
  times.push(NOW.getTime() - 20 * 60_000, Date.parse('2026-12-04T23:59:59Z'));
  times.sort((a, b) => a - b);
  times.forEach((t, i) => {
    const runId = i % 3 === 2 ? undefined : runs[i % 2]!;
    events.push(
      called(i, t, {
        agent: i % 4 === 0 ? 'draft' : 'router',
        ...(runId && { runId }),
        promptTokens: 100 + i,
        costUsd: 0.001 * (1 + (i % 7)),
      }),
    );
  });
  await store.copy.write('events', events);
  for (const id of runs)
    await store.copy.write('runs', [
      {
        id,
        workflow: workflowOf(id),
        version: 1,
        status: 'completed',
        input: {},
        origin: { channel: 'web', chatId: 'operator' },
        createdAt: new Date(NOW.getTime() - 41 * DAY),
        updatedAt: new Date(NOW.getTime() - 41 * DAY),
      },
    ]);

  // Every range read, to see which days come from the log.
  const reads: ReadRangeOptions[] = [];
  const readRange = store.events.readRange.bind(store.events);
  store.events.readRange = (o: ReadRangeOptions = {}) => (reads.push(o), readRange(o));

  const check = async (days: number) => {
    const r = await costReport(store, { days, now: NOW });
    const want = reference(events, days, workflowOf);
    assert.equal(r.total.calls, want.total!.calls, `${days} days: calls`);
    assert.ok(Math.abs(r.total.costUsd - want.total!.costUsd) < 1e-9, `${days} days: cost`);
    assert.equal(r.total.promptTokens, want.total!.promptTokens);
    for (const [name, lines] of [
      ['day', r.byDay],
      ['agent', r.byAgent],
      ['workflow', r.byWorkflow],
    ] as const) {
      const ref = name === 'day' ? want.byDay : name === 'agent' ? want.byAgent : want.byWorkflow;
      assert.deepEqual(
        new Map(lines.map((l) => [l.key, l.calls])),
        new Map([...ref].map(([k, l]) => [k, l.calls])),
        `${days} days, per ${name}`,
      );
    }
    return r;
  };

  const first = await check(30);
  assert.equal(first.byDay.length, 31, 'two part days and 29 whole ones');
  const settledDays = reads.filter((o) => o.from && o.to && o.to.getTime() - o.from.getTime() === DAY);
  assert.equal(settledDays.length, 29, 'whole days were counted one by one the first time');
  assert.ok(await store.settings.get('costs.v1.UTC.2026-11-20'), 'and kept');
  // Yesterday ended 10.5 hours ago: settled and kept; today is not.
  assert.ok(await store.settings.get('costs.v1.UTC.2026-12-04'));
  assert.equal(await store.settings.get('costs.v1.UTC.2026-12-05'), undefined);

  reads.length = 0;
  await check(30);
  assert.ok(
    reads.every((o) => !(o.from && o.to && o.to.getTime() - o.from.getTime() === DAY)),
    'the second time no whole day is read from the log',
  );
  const fromLog = reads.reduce((n, o) => n + ((o.to?.getTime() ?? NOW.getTime()) - o.from!.getTime()), 0);
  assert.ok(fromLog < 2 * DAY, `only the part days come from the log (${fromLog / 3_600_000} hours)`);

  // Kept sums are what the report uses: a longer range mixes kept days with newly counted ones and still adds up.
  await check(35);
  await check(1);
  // A day that ended within the hour is still read from the log, not kept (a call finishing at 23:59:59 may be
  // written after midnight).
  await store.settings.set('costs.v1.UTC.2026-12-04', null);
  const early = await costReport(store, { days: 2, now: new Date('2026-12-05T00:20:00Z') });
  assert.equal(await store.settings.get('costs.v1.UTC.2026-12-04'), null, 'not kept 20 minutes after it ended');
  assert.equal(
    early.byDay.find((l) => l.key === '2026-12-04')?.calls,
    events.filter((e) => e.at.toISOString().startsWith('2026-12-04')).length,
    'but counted whole from the log',
  );
  await store.close();
});

test("the dashboard's costs: days in the budgets' time zone, kept per zone, the same figures as a plain sum", async () => {
  const zoneDir = tempDir('solo-costs-zone-');
  after(() => rmSync(zoneDir, { recursive: true, force: true }));
  const store = new SqliteStore(zoneDir, { idleCheckpoints: false });
  await store.init();
  const zone = 'Europe/Berlin';
  // Every 3 hours for 9 days, so calls fall on both sides of Berlin's midnight (23:00 UTC in winter).
  const events: Called[] = [];
  for (let t = NOW.getTime() - 9 * DAY, i = 0; t < NOW.getTime(); t += 3 * 3_600_000, i++) {
    events.push(
      called(i, t, {
        agent: i % 2 ? 'draft' : 'research',
        ...(i % 5 ? { runId: `r-zone-${i % 3}` } : {}),
        costUsd: 0.01 * (1 + (i % 4)),
      }),
    );
  }
  await store.copy.write('events', events);
  const sources = {
    store,
    engine: { now: () => NOW },
    policies: { current: () => ({ budgets: { time_zone: zone, per_agent_usd_per_day: {} } }) },
  } as unknown as DashboardSources;
  const view = await costsView(sources, 7);
  assert.deepEqual(view.days, dayRange(NOW, 7, zone));
  const inView = events.filter((e) => view.days.includes(dayIn(e.at, zone)));
  assert.equal(view.total.calls, inView.length);
  for (const d of view.byDay)
    assert.equal(d.calls, inView.filter((e) => dayIn(e.at, zone) === d.key).length, `calls on ${d.key}`);
  const perRun = new Map<string, number>();
  for (const e of inView) if (e.data.runId) perRun.set(e.data.runId, (perRun.get(e.data.runId) ?? 0) + e.data.costUsd);
  const workflowRow = view.byWorkflow.find((w) => w.key === 'unknown run');
  assert.equal(workflowRow?.runs, perRun.size);
  assert.ok(Math.abs((workflowRow?.maxRunUsd ?? 0) - Math.max(...perRun.values())) < 1e-9);
  // Settled Berlin days are kept under the zone; the view from kept sums is the same.
  assert.ok(await store.settings.get(`costs.v1.${zone}.${view.days[1]}`));
  assert.equal(await store.settings.get(`costs.v1.${zone}.${view.days.at(-1)}`), undefined, 'not today');
  assert.deepEqual(await costsView(sources, 7), view);
  await store.close();
});
