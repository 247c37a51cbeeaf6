// The calendar settings: CALDAV_URL turns the connector on and needs a user and password; credentials never end up
// in a problem line or the log.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/domain/errors.ts';
import { REDACT_PATHS } from '../../src/observability/logger.ts';
import { captureLog } from '../support/calendar.ts';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
};

test('CALDAV_URL with a user and password is accepted; CALDAV_CALENDAR is optional', () => {
  const c = loadConfig({
    CALDAV_URL: 'https://caldav.fastmail.com/dav/calendars/user/me@example.com/',
    CALDAV_USERNAME: 'me@example.com',
    CALDAV_PASSWORD: 'app-password',
  });
  assert.equal(c.CALDAV_URL, 'https://caldav.fastmail.com/dav/calendars/user/me@example.com/');
  assert.equal(c.CALDAV_CALENDAR, undefined);
  assert.equal(loadConfig({}).CALDAV_URL, undefined, 'unset: no calendar connector');
});

test('each missing or wrong calendar setting gets one line, and no secret is echoed', () => {
  assert.deepEqual(problems({ CALDAV_URL: 'https://cal.example.com/' }), [
    'CALDAV_USERNAME: required when CALDAV_URL is set',
    'CALDAV_PASSWORD: required when CALDAV_URL is set',
  ]);
  assert.deepEqual(problems({ CALDAV_USERNAME: 'me', CALDAV_PASSWORD: 'pw' }), [
    "CALDAV_URL: required when CALDAV_USERNAME, CALDAV_PASSWORD are set (the calendar's URL or the CalDAV server's)",
  ]);
  const withCredentials = problems({
    CALDAV_URL: 'https://me:hunter2@cal.example.com/',
    CALDAV_USERNAME: 'me',
    CALDAV_PASSWORD: 'hunter2',
  });
  assert.deepEqual(withCredentials, [
    'CALDAV_URL: expected a URL without user:password@ (put them in CALDAV_USERNAME and CALDAV_PASSWORD)',
  ]);
  const notUrl = problems({ CALDAV_URL: 'caldav.example.com', CALDAV_USERNAME: 'me', CALDAV_PASSWORD: 'pw' });
  assert.match(notUrl[0] ?? '', /^CALDAV_URL: expected an http\(s\) URL/);
  assert.ok(!notUrl.join().includes('caldav.example.com'), 'the URL (which may hold a secret) is not echoed');
});

test('the password is redacted when the config is logged', async () => {
  assert.ok(REDACT_PATHS.includes('config.CALDAV_PASSWORD'));
  const log = await captureLog();
  log.logger.info({ config: { CALDAV_PASSWORD: 'sekrit-value-123', CALDAV_USERNAME: 'me' } }, 'settings');
  assert.ok(!log.text().includes('sekrit-value-123'));
  assert.ok(log.text().includes('"CALDAV_USERNAME":"me"'));
});

test('a plain-http CALDAV_URL off this machine is warned about at start; loopback is not', async () => {
  const { createCalendarConnector } = await import('../../adapters/connectors/calendar/index.ts');
  const log = await captureLog();
  const settings = { CALDAV_USERNAME: 'me', CALDAV_PASSWORD: 'pw-not-logged', CALDAV_CALENDAR: undefined };
  await (
    await createCalendarConnector({ ...settings, CALDAV_URL: 'http://127.0.0.1:5232/me/work/' }, log.logger)
  )?.close();
  assert.ok(!log.text().includes('plain http'));
  await (
    await createCalendarConnector({ ...settings, CALDAV_URL: 'http://nas.local:5232/me/work/' }, log.logger)
  )?.close();
  assert.match(log.text(), /CALDAV_URL is plain http: the password crosses the network unencrypted; use https/);
  assert.ok(!log.text().includes('pw-not-logged'));
});
