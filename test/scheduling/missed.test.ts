// The missed-run policy on its own, with the clock where the test puts it: a schedule due Monday 08:00 that fires
// on Thursday at 10:00 (Solo OS was down) under skip, once and all-within-a-window; a one-off; a restart that only
// made a fire a little late; and a minutely schedule after a month away.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeRule,
  LATE_AFTER_MS,
  planFires,
  readMissedOption,
  type MissedRule,
} from '../../src/scheduling/missed.ts';
import { nextDue, type When } from '../../src/scheduling/when.ts';

const ZONE = 'Europe/Berlin';
const DAILY: When = { kind: 'cron', cron: '0 8 * * *', text: 'every day at 08:00' };
const MONDAY_8 = new Date('2026-06-01T06:00:00Z');
const THURSDAY_10 = new Date('2026-06-04T08:00:00Z');
const hours = (h: number) => h * 3_600_000;

const plan = (when: When, due: Date, now: Date, rule: MissedRule) => {
  const p = planFires({ due, now, rule, nextDue: (after) => nextDue(when, after, ZONE) });
  return {
    fire: p.fire.map((d) => d.toISOString()),
    missed: p.missed.count,
    skipped: p.skipped,
    next: p.next?.toISOString() ?? null,
  };
};

describe('after downtime across due times (due Mon 08:00, fired Thu 10:00)', () => {
  test('skip: nothing runs; the next run is Friday', () => {
    assert.deepEqual(plan(DAILY, MONDAY_8, THURSDAY_10, { policy: 'skip', windowMs: hours(24) }), {
      fire: [],
      missed: 4,
      skipped: 4,
      next: '2026-06-05T06:00:00.000Z',
    });
  });

  test('once (the default): one run, for the latest due time', () => {
    assert.deepEqual(plan(DAILY, MONDAY_8, THURSDAY_10, { policy: 'once', windowMs: hours(24) }), {
      fire: ['2026-06-04T06:00:00.000Z'],
      missed: 4,
      skipped: 3,
      next: '2026-06-05T06:00:00.000Z',
    });
  });

  test('all within a window: one run per due time inside it, oldest first', () => {
    assert.deepEqual(plan(DAILY, MONDAY_8, THURSDAY_10, { policy: 'all', windowMs: hours(24) }).fire, [
      '2026-06-04T06:00:00.000Z',
    ]);
    assert.deepEqual(plan(DAILY, MONDAY_8, THURSDAY_10, { policy: 'all', windowMs: hours(49) }), {
      fire: ['2026-06-03T06:00:00.000Z', '2026-06-04T06:00:00.000Z'],
      missed: 4,
      skipped: 2,
      next: '2026-06-05T06:00:00.000Z',
    });
    assert.equal(plan(DAILY, MONDAY_8, THURSDAY_10, { policy: 'all', windowMs: hours(24 * 7) }).fire.length, 4);
  });
});

describe('on time', () => {
  for (const policy of ['skip', 'once', 'all'] as const) {
    test(`${policy}: a fire less than ${LATE_AFTER_MS / 1000} s late (a restart, a slow start) just runs`, () => {
      const now = new Date(MONDAY_8.getTime() + LATE_AFTER_MS - 1000);
      assert.deepEqual(plan(DAILY, MONDAY_8, now, { policy, windowMs: hours(1) }), {
        fire: [MONDAY_8.toISOString()],
        missed: 0,
        skipped: 0,
        next: '2026-06-02T06:00:00.000Z',
      });
    });
  }

  test('not due yet (a retry after a crash that already moved the due time on): nothing runs', () => {
    assert.deepEqual(
      plan(DAILY, MONDAY_8, new Date(MONDAY_8.getTime() - 5000), { policy: 'once', windowMs: hours(1) }),
      { fire: [], missed: 0, skipped: 0, next: MONDAY_8.toISOString() },
    );
  });
});

describe('a one-off missed by three hours', () => {
  const once: When = { kind: 'once', at: MONDAY_8.toISOString(), text: 'on 1 Jun at 8' };
  const now = new Date(MONDAY_8.getTime() + hours(3));
  test('skip drops it; once runs it; all runs it only inside the window; none comes again', () => {
    assert.deepEqual(plan(once, MONDAY_8, now, { policy: 'skip', windowMs: hours(24) }), {
      fire: [],
      missed: 1,
      skipped: 1,
      next: null,
    });
    assert.deepEqual(plan(once, MONDAY_8, now, { policy: 'once', windowMs: hours(24) }), {
      fire: [MONDAY_8.toISOString()],
      missed: 1,
      skipped: 0,
      next: null,
    });
    assert.deepEqual(plan(once, MONDAY_8, now, { policy: 'all', windowMs: hours(1) }), {
      fire: [],
      missed: 1,
      skipped: 1,
      next: null,
    });
  });
});

test('a minutely schedule after a month away: once runs the latest minute, and the count says "at least"', () => {
  const minutely: When = { kind: 'cron', cron: '* * * * *', text: 'every 1 minutes' };
  const due = new Date('2026-05-01T00:00:00Z');
  const now = new Date('2026-06-01T00:00:30Z');
  const p = planFires({
    due,
    now,
    rule: { policy: 'once', windowMs: hours(24) },
    nextDue: (after) => nextDue(minutely, after, ZONE),
  });
  assert.deepEqual(
    p.fire.map((d) => d.toISOString()),
    ['2026-06-01T00:00:00.000Z'],
  );
  assert.equal(p.missed.atLeast, true);
  assert.ok(p.missed.count >= 10_000);
  assert.equal(p.next?.toISOString(), '2026-06-01T00:01:00.000Z');
  const all = planFires({
    due,
    now,
    rule: { policy: 'all', windowMs: hours(1) },
    nextDue: (after) => nextDue(minutely, after, ZONE),
  });
  assert.equal(all.fire.length, 60, 'the last hour, minute by minute');
  assert.equal(all.fire.at(-1)?.toISOString(), '2026-06-01T00:00:00.000Z');
});

test('the policy as written at the end of a command', () => {
  assert.deepEqual(readMissedOption('digest every day at 8'), { text: 'digest every day at 8' });
  assert.deepEqual(readMissedOption('digest every day at 8 missed: skip'), {
    text: 'digest every day at 8',
    rule: { policy: 'skip', windowMs: hours(24) },
  });
  assert.deepEqual(readMissedOption('x every hour if missed all within 6h'), {
    text: 'x every hour',
    rule: { policy: 'all', windowMs: hours(6) },
  });
  assert.deepEqual(readMissedOption('x daily missed=all 2 days'), {
    text: 'x daily',
    rule: { policy: 'all', windowMs: hours(48) },
  });
  assert.match(
    (readMissedOption('x daily missed: maybe') as { error: string }).error,
    /^"missed: maybe" is not a policy I know/,
  );
  assert.deepEqual(
    ['skip', 'once', 'all'].map((policy) => describeRule({ policy, windowMs: hours(6) } as MissedRule)),
    ['skip', 'run once', 'run each within 6 h'],
  );
});
