// Rate limits from the policy (own line, wildcard line, none; reconfiguration keeps unchanged counters) and quiet
// hours (time zones, windows crossing midnight, whole days, daylight-saving changes, what is held).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isQuiet, nextAllowed } from '../../src/policy/quiet-hours.ts';
import { RateLimits } from '../../src/policy/rate-limits.ts';
import { parsePolicy } from '../../src/policy/schema.ts';

describe('rate limits', () => {
  test('own line, wildcard with a counter per scope, unlimited without a line', async () => {
    const limits = new RateLimits(parsePolicy({ rate_limits: { 'connector:mail': '2/hour', 'agent:*': '1/minute' } }));
    assert.deepEqual(await limits.consume('connector:mail'), { ok: true });
    assert.deepEqual(await limits.consume('connector:mail'), { ok: true });
    const third = await limits.consume('connector:mail');
    assert.equal(third.ok, false);
    if (!third.ok) {
      assert.ok(third.retryAfterMs > 3_500_000 && third.retryAfterMs <= 3_600_000, String(third.retryAfterMs));
      assert.equal(third.limit, 'connector:mail: 2/hour');
      assert.match(third.message, /^connector:mail is over its limit of 2 per hour; it can go again in \d+ s\.$/);
    }
    assert.equal((await limits.consume('agent:draft')).ok, true);
    assert.equal((await limits.consume('agent:research')).ok, true, 'each agent has its own counter');
    assert.equal((await limits.consume('agent:draft')).ok, false);
    for (let i = 0; i < 100; i++) assert.equal((await limits.consume('connector:calendar')).ok, true);
  });

  test('a policy change applies; unchanged lines keep their counters', async () => {
    const limits = new RateLimits(
      parsePolicy({ rate_limits: { 'connector:mail': '1/hour', 'agent:draft': '1/hour' } }),
    );
    await limits.consume('connector:mail');
    await limits.consume('agent:draft');
    limits.update(parsePolicy({ rate_limits: { 'connector:mail': '1/hour', 'agent:draft': '5/hour' } }));
    assert.equal((await limits.consume('connector:mail')).ok, false, 'same line, same counter');
    assert.equal((await limits.consume('agent:draft')).ok, true, 'new limit, new counter');
    limits.update(parsePolicy({ rate_limits: {} }));
    assert.equal((await limits.consume('connector:mail')).ok, true);
    assert.equal(limits.lineFor('connector:mail'), undefined);
  });
});

describe('quiet hours', () => {
  const berlin = parsePolicy({
    quiet_hours: { time_zone: 'Europe/Berlin', hours: '22:00-07:00', all_day: ['sun'], hold: ['proactive'] },
  }).quiet_hours;

  test('a window crossing midnight, in the policy time zone', () => {
    // 2026-11-27 is a Friday; Berlin is UTC+1 in November.
    assert.equal(isQuiet(new Date('2026-11-27T20:59:00Z'), berlin), false); // 21:59
    assert.equal(isQuiet(new Date('2026-11-27T21:00:00Z'), berlin), true); // 22:00
    assert.equal(isQuiet(new Date('2026-11-27T05:59:00Z'), berlin), true); // 06:59
    assert.equal(isQuiet(new Date('2026-11-27T06:00:00Z'), berlin), false); // 07:00
    assert.equal(isQuiet(new Date('2026-11-29T12:00:00Z'), berlin), true, 'Sunday all day');
  });

  test('only what the policy holds is held; disabled means never quiet', () => {
    const night = new Date('2026-11-27T23:00:00Z');
    assert.equal(isQuiet(night, berlin, 'proactive'), true);
    assert.equal(isQuiet(night, berlin, 'notifications'), false);
    assert.equal(isQuiet(night, parsePolicy({ quiet_hours: { enabled: false, hours: '00:00-23:59' } })), false);
    assert.equal(isQuiet(night, parsePolicy({})), false, 'the default has no quiet hours');
  });

  test('nextAllowed: end of the window, across whole quiet days, and now when not quiet', () => {
    const friday = new Date('2026-11-27T23:10:30Z'); // Sat 00:10:30 Berlin
    assert.equal(nextAllowed(friday, berlin).toISOString(), '2026-11-28T06:00:00.000Z');
    const saturday = new Date('2026-11-28T22:00:00Z'); // Sat 23:00 → quiet until Mon 07:00 (Sunday is all day)
    assert.equal(nextAllowed(saturday, berlin).toISOString(), '2026-11-30T06:00:00.000Z');
    const noon = new Date('2026-11-27T11:00:00Z');
    assert.equal(nextAllowed(noon, berlin), noon);
  });

  test('daylight saving: the window ends at 07:00 local on the night the clocks change', () => {
    const q = parsePolicy({ quiet_hours: { time_zone: 'Europe/Berlin', hours: '22:00-07:00' } }).quiet_hours;
    // 2026-03-29: clocks go from 02:00 to 03:00 (UTC+1 → UTC+2). 07:00 CEST is 05:00 UTC.
    assert.equal(nextAllowed(new Date('2026-03-28T23:30:00Z'), q).toISOString(), '2026-03-29T05:00:00.000Z');
    // 2026-10-25: clocks go from 03:00 back to 02:00. 07:00 CET is 06:00 UTC.
    assert.equal(nextAllowed(new Date('2026-10-24T23:30:00Z'), q).toISOString(), '2026-10-25T06:00:00.000Z');
    const ny = parsePolicy({
      quiet_hours: { time_zone: 'America/New_York', hours: ['12:00-13:00', '22:00-07:00'] },
    }).quiet_hours;
    assert.equal(isQuiet(new Date('2026-07-01T16:30:00Z'), ny), true); // 12:30 EDT
    assert.equal(nextAllowed(new Date('2026-07-01T16:30:00Z'), ny).toISOString(), '2026-07-01T17:00:00.000Z');
  });
});
