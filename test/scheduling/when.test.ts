// Reading `<when>`: the phrases and cron expressions become cron in the operator's zone, one-off times come
// from chrono-node, and the wall clock holds across daylight-saving changes (Europe/Berlin springs forward on
// 29 March 2026 and falls back on 25 October; New York falls back on 1 November). The clock is fixed in every test.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeWhen,
  formatInstant,
  nextDue,
  parseWhen,
  splitWhen,
  wallClock,
  type When,
  type WhenContext,
} from '../../src/scheduling/when.ts';

const BERLIN = 'Europe/Berlin';
/** Saturday 28 March 2026, 11:15 in Berlin (CET, +01:00), the day before the clocks go forward. */
const SATURDAY: WhenContext = { now: new Date('2026-03-28T10:15:00Z'), timeZone: BERLIN };

function when(text: string, context: WhenContext = SATURDAY): When {
  const result = parseWhen(text, context);
  if ('error' in result) assert.fail(`${text}: ${result.error}`);
  return result.when;
}
const cron = (text: string, context?: WhenContext): string => {
  const w = when(text, context);
  assert.equal(w.kind, 'cron', text);
  return w.kind === 'cron' ? w.cron : '';
};
const at = (text: string, context?: WhenContext): string => {
  const w = when(text, context);
  assert.equal(w.kind, 'once', text);
  return w.kind === 'once' ? w.at : '';
};
const error = (text: string, context: WhenContext = SATURDAY): string => {
  const result = parseWhen(text, context);
  assert.ok('error' in result, `${text} should not be read`);
  return result.error;
};
/** The next `n` due times after `from`, as ISO instants. */
function dues(w: When, from: string, n: number, zone = BERLIN): string[] {
  const out: string[] = [];
  let after = new Date(from);
  for (let i = 0; i < n; i++) {
    const next = nextDue(w, after, zone);
    if (!next) break;
    out.push(next.toISOString());
    after = next;
  }
  return out;
}

describe('recurring phrases become cron', () => {
  test("the issue's examples", () => {
    assert.equal(cron('every day at 08:00'), '0 8 * * *');
    assert.equal(cron('every weekday at 8:00'), '0 8 * * 1-5');
    assert.equal(cron('every Monday 9am'), '0 9 * * 1');
    assert.equal(cron('on the 1st of every month'), '0 9 1 * *', 'no time given: 09:00');
  });

  test('other ways of saying it', () => {
    assert.equal(cron('daily at 7:30 pm'), '30 19 * * *');
    assert.equal(cron('every mon and thu at 17:30'), '30 17 * * 1,4');
    assert.equal(cron('every Tuesday, Friday at noon'), '0 12 * * 2,5');
    assert.equal(cron('on Sundays at 10'), '0 10 * * 0');
    assert.equal(cron('every weekend at 10am'), '0 10 * * 0,6');
    assert.equal(cron('every month on the 15th at 09:30'), '30 9 15 * *');
    assert.equal(cron('on the last day of every month at 18:00'), '0 18 L * *');
    assert.equal(cron('monthly'), '0 9 1 * *');
    assert.equal(cron('every hour'), '0 * * * *');
    assert.equal(cron('hourly at :15'), '15 * * * *');
    assert.equal(cron('every 15 minutes'), '*/15 * * * *');
    assert.equal(cron('every 6 hours'), '0 */6 * * *');
    assert.equal(cron('every month on the 3rd'), '0 9 3 * *', '"month" is not read as Monday');
    assert.equal(cron('at 9am every weekday'), '0 9 * * 1-5', 'the time first');
  });

  test('cron expressions are taken as they are (five fields, or six with seconds)', () => {
    assert.equal(cron('0 8 * * 1-5'), '0 8 * * 1-5');
    assert.equal(cron('*/10 * * * * *'), '*/10 * * * * *');
    assert.equal(cron('30 6 * * mon'), '30 6 * * mon');
    assert.match(error('61 8 * * *'), /^That cron expression does not work: /);
  });

  test('what cannot be read gets one sentence saying what to write instead', () => {
    assert.match(
      error('every 7 minutes'),
      /does not divide the hour evenly; use one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30/,
    );
    assert.match(
      error('on the 31st of every month'),
      /Not every month has a 31th; use "on the last day of every month"/,
    );
    assert.match(error('every day at half past something'), /I could not read the time in "at half past something"/);
    assert.match(error('whenever you like'), /^I could not read a time in "whenever you like"\. Try /);
    assert.match(error('tomorrow at 9 or so'), /^I read "tomorrow at 9" as the time, but not "or so"\.$/);
    assert.match(error(''), /^When\?/);
  });
});

describe('one-off times', () => {
  test("the issue's examples, in the operator's zone", () => {
    assert.equal(at('in 3 days'), '2026-03-31T09:15:00.000Z', 'same wall-clock time (11:15), now in summer time');
    assert.equal(at('tomorrow at 9'), '2026-03-29T07:00:00.000Z', '09:00 CEST: the clocks go forward overnight');
    assert.equal(at('on 12 Jan'), '2027-01-12T08:00:00.000Z', 'a day without a time: 09:00');
  });

  test('durations are exact, whatever the wall clock does', () => {
    assert.equal(at('in 90 minutes'), '2026-03-28T11:45:00.000Z');
    assert.equal(at('in 26 hours'), '2026-03-29T12:15:00.000Z', '26 real hours, across the missing hour');
    assert.equal(at('in 20 seconds'), '2026-03-28T10:15:20.000Z');
  });

  test('the same words in another zone are another instant', () => {
    const newYork = { ...SATURDAY, timeZone: 'America/New_York' };
    assert.equal(at('tomorrow at 9', newYork), '2026-03-29T13:00:00.000Z');
  });

  test('a time that has passed is refused', () => {
    assert.equal(error('on 12 January 2020'), 'Sun 12 Jan 2020 09:00 has already passed; give a time in the future.');
  });

  test('a wall-clock time skipped by the change moves forward; a repeated one is the first', () => {
    assert.equal(
      wallClock({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, BERLIN).toUTC().toISO(),
      '2026-03-29T01:30:00.000Z',
      '03:30 CEST',
    );
    assert.equal(
      wallClock({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, BERLIN).toUTC().toISO(),
      '2026-10-25T00:30:00.000Z',
      'the first 02:30 (CEST)',
    );
  });
});

describe('splitting <when> from <what>', () => {
  const split = (text: string) => {
    const result = splitWhen(text, SATURDAY);
    if ('error' in result) assert.fail(`${text}: ${result.error}`);
    return {
      kind: result.when.kind,
      due: nextDue(result.when, SATURDAY.now, BERLIN)?.toISOString(),
      rest: result.rest,
    };
  };

  test('time first or (for one-offs) last', () => {
    assert.deepEqual(split('tomorrow at 9 to call Bob'), {
      kind: 'once',
      due: '2026-03-29T07:00:00.000Z',
      rest: 'call Bob',
    });
    assert.deepEqual(split('call Bob tomorrow at 9'), {
      kind: 'once',
      due: '2026-03-29T07:00:00.000Z',
      rest: 'call Bob',
    });
    assert.deepEqual(split('in 3 days renew the domain'), {
      kind: 'once',
      due: '2026-03-31T09:15:00.000Z',
      rest: 'renew the domain',
    });
    assert.deepEqual(split('every Monday 9am water the plants'), {
      kind: 'cron',
      due: '2026-03-30T07:00:00.000Z',
      rest: 'water the plants',
    });
    assert.deepEqual(split('0 9 * * 1 pay the rent'), {
      kind: 'cron',
      due: '2026-03-30T07:00:00.000Z',
      rest: 'pay the rent',
    });
    assert.deepEqual(split('0 9 * * mon call Bob'), {
      kind: 'cron',
      due: '2026-03-30T07:00:00.000Z',
      rest: 'call Bob',
    });
    assert.deepEqual(
      split('*/30 * * * * * tick'),
      { kind: 'cron', due: '2026-03-28T10:15:30.000Z', rest: 'tick' },
      'six fields: seconds first',
    );
  });

  test('no time at all is one sentence', () => {
    const result = splitWhen('call Bob', SATURDAY);
    assert.ok('error' in result);
    assert.match(result.error, /^I could not read a time in "call Bob"/);
  });
});

describe('due times across daylight-saving changes', () => {
  test('08:00 every day stays 08:00 when the clocks go forward', () => {
    assert.deepEqual(dues(when('every day at 08:00'), '2026-03-27T12:00:00Z', 4), [
      '2026-03-28T07:00:00.000Z',
      '2026-03-29T06:00:00.000Z',
      '2026-03-30T06:00:00.000Z',
      '2026-03-31T06:00:00.000Z',
    ]);
  });

  test('a daily time inside the skipped hour fires once that day, at the first time that exists', () => {
    assert.deepEqual(dues(when('every day at 2:30'), '2026-03-27T12:00:00Z', 3), [
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  test('a daily time inside the repeated hour fires once that day, not twice', () => {
    assert.deepEqual(dues(when('every day at 2:30'), '2026-10-23T12:00:00Z', 3), [
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  test('hourly counts real hours through the repeated hour', () => {
    assert.deepEqual(dues(when('every hour'), '2026-10-24T23:30:00Z', 4), [
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });

  test('every Monday 9am in New York, either side of 1 November', () => {
    const zone = 'America/New_York';
    assert.deepEqual(
      dues(
        when('every Monday 9am', { now: new Date('2026-10-20T12:00:00Z'), timeZone: zone }),
        '2026-10-20T12:00:00Z',
        2,
        zone,
      ),
      ['2026-10-26T13:00:00.000Z', '2026-11-02T14:00:00.000Z'],
    );
  });

  test('a one-off is due once, and not after its time', () => {
    const once = when('tomorrow at 9');
    assert.equal(nextDue(once, SATURDAY.now, BERLIN)?.toISOString(), '2026-03-29T07:00:00.000Z');
    assert.equal(nextDue(once, new Date('2026-03-29T07:00:00Z'), BERLIN), null);
  });
});

test('how schedules are shown', () => {
  assert.equal(describeWhen(when('every weekday at 8:00'), BERLIN), 'every weekday at 8:00');
  assert.equal(describeWhen(when('0 8 * * 1-5'), BERLIN), 'cron 0 8 * * 1-5');
  assert.equal(describeWhen(when('tomorrow at 9'), BERLIN, SATURDAY.now), 'once, Sun 29 Mar 09:00');
  assert.equal(formatInstant(new Date('2027-01-12T08:00:00Z'), BERLIN, SATURDAY.now), 'Tue 12 Jan 2027 09:00');
});
