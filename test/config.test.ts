import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, maskUri } from '../src/config.ts';
import { ConfigError } from '../src/domain/errors.ts';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
};

test('with nothing set, it runs locally on the embedded store', () => {
  const c = loadConfig({});
  assert.equal(c.PORT, 3000);
  assert.equal(c.HOST, '127.0.0.1');
  assert.equal(c.DATA_DIR, './data');
  assert.equal(c.MONGODB_URI, undefined);
  assert.equal(c.RATE_LIMIT_PER_MINUTE, 60);
});

test('empty values count as unset', () => {
  const c = loadConfig({ PORT: '', MONGODB_URI: '', OPENAI_MODEL: '' });
  assert.equal(c.PORT, 3000);
  assert.equal(c.MONGODB_URI, undefined);
});

test('each bad value gets one line naming the variable and what it expects', () => {
  const lines = problems({
    PORT: '70000',
    LOG_LEVEL: 'loud',
    MONGODB_URI: 'postgres://x',
    RATE_LIMIT_PER_MINUTE: '-1',
    OPENAI_BASE_URL: 'not a url',
  });
  assert.deepEqual(
    lines.map((l) => l.split(':')[0]),
    ['PORT', 'MONGODB_URI', 'LOG_LEVEL', 'RATE_LIMIT_PER_MINUTE', 'OPENAI_BASE_URL', 'OPENAI_MODEL'],
  );
  assert.match(lines[0] ?? '', /^PORT: expected a port number from 1 to 65535.*\(got "70000"\)$/);
  assert.ok(!lines.some((l) => l.includes('postgres://x')), 'a connection string is never echoed');
});

test('binding beyond loopback needs WEB_TOKEN, reported with the other problems', () => {
  assert.deepEqual(
    problems({ HOST: '0.0.0.0', PORT: 'x' }).map((l) => l.split(':')[0]),
    ['PORT', 'WEB_TOKEN'],
  );
  assert.match(
    problems({ HOST: '0.0.0.0', WEB_TOKEN: 'short' })[0] ?? '',
    /WEB_TOKEN: expected a token of at least 16 characters$/,
  );
  assert.equal(loadConfig({ HOST: '0.0.0.0', WEB_TOKEN: 'sixteen-chars-ok' }).HOST, '0.0.0.0');
  assert.equal(loadConfig({ HOST: '127.0.0.2' }).HOST, '127.0.0.2');
});

test('a model endpoint needs a model name', () => {
  assert.deepEqual(problems({ OPENAI_API_KEY: 'sk-test' }), [
    'OPENAI_MODEL: required when OPENAI_BASE_URL or OPENAI_API_KEY is set',
  ]);
  assert.equal(
    loadConfig({ OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_MODEL: 'llama3.1' }).OPENAI_MODEL,
    'llama3.1',
  );
});

test('MongoDB passwords are masked for display', () => {
  assert.equal(maskUri('mongodb://solo:hunter2@db:27017/solo'), 'mongodb://solo:***@db:27017/solo');
  assert.equal(maskUri('mongodb://db:27017/solo'), 'mongodb://db:27017/solo');
});

test('IMPORT_DIR defaults to the import folder inside DATA_DIR and can be moved', () => {
  assert.equal(loadConfig({}).IMPORT_DIR, join('./data', 'import'));
  assert.equal(loadConfig({ DATA_DIR: '/srv/solo' }).IMPORT_DIR, '/srv/solo/import');
  assert.equal(loadConfig({ DATA_DIR: '/srv/solo', IMPORT_DIR: '/home/me/inbox' }).IMPORT_DIR, '/home/me/inbox');
  assert.equal(loadConfig({ IMPORT_DIR: '' }).IMPORT_DIR, join('./data', 'import'));
});

test('APPROVAL_EXPIRY_HOURS: hours above 0 up to a year, fractions allowed; anything else is one line', () => {
  assert.equal(loadConfig({}).APPROVAL_EXPIRY_HOURS, 72);
  assert.equal(loadConfig({ APPROVAL_EXPIRY_HOURS: '0.5' }).APPROVAL_EXPIRY_HOURS, 0.5);
  assert.equal(loadConfig({ APPROVAL_EXPIRY_HOURS: '168' }).APPROVAL_EXPIRY_HOURS, 168);
  for (const bad of ['abc', '0', '-3', '9000', 'Infinity']) {
    assert.deepEqual(
      problems({ APPROVAL_EXPIRY_HOURS: bad }),
      [
        `APPROVAL_EXPIRY_HOURS: expected a number of hours above 0 and at most 8760 (a year), e.g. 72 or 0.5 (got "${bad}")`,
      ],
      bad,
    );
  }
});

test('Stripe settings: the key and webhook secret are checked and never echoed; the API URL defaults to Stripe and is https off loopback', () => {
  const c = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_51Habcdefgh', STRIPE_WEBHOOK_SECRET: 'whsec_abcdefgh1234' });
  assert.equal(c.STRIPE_API_URL, 'https://api.stripe.com');
  assert.equal(loadConfig({}).STRIPE_SECRET_KEY, undefined);
  assert.equal(loadConfig({ STRIPE_API_URL: 'http://127.0.0.1:12111' }).STRIPE_API_URL, 'http://127.0.0.1:12111');
  const lines = problems({
    STRIPE_SECRET_KEY: 'pk_test_publishable123',
    STRIPE_WEBHOOK_SECRET: 'secret-1234567',
    STRIPE_API_URL: 'http://stripe.example.com',
  });
  assert.deepEqual(
    lines.map((l) => l.split(':')[0]),
    ['STRIPE_SECRET_KEY', 'STRIPE_API_URL', 'STRIPE_WEBHOOK_SECRET'],
  );
  assert.match(lines[0] ?? '', /expected a secret key starting with sk_test_ or sk_live_/);
  assert.match(lines[1] ?? '', /plain http is only allowed on loopback/);
  assert.ok(
    !lines.some((l) => l.includes('pk_test_publishable123') || l.includes('secret-1234567')),
    'secrets are never echoed',
  );
  assert.match(
    problems({ STRIPE_API_URL: 'https://proxy.example.com/stripe' })[0] ?? '',
    /^STRIPE_API_URL: expected only a scheme, host and port/,
  );
});

test('TIMEZONE: an IANA zone, canonicalised; the machine zone by default; anything else is one line', () => {
  assert.equal(loadConfig({}).TIMEZONE, Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal(loadConfig({ TIMEZONE: 'Europe/Berlin' }).TIMEZONE, 'Europe/Berlin');
  assert.equal(loadConfig({ TIMEZONE: 'america/new_york' }).TIMEZONE, 'America/New_York');
  assert.equal(loadConfig({ TIMEZONE: 'UTC' }).TIMEZONE, 'UTC');
  for (const bad of ['Mars/Olympus', 'GMT+2 hours', '../etc/passwd']) {
    assert.deepEqual(
      problems({ TIMEZONE: bad }),
      [`TIMEZONE: expected an IANA time zone such as Europe/Berlin, America/New_York or UTC (got "${bad}")`],
      bad,
    );
  }
});

test('DIGEST_TIME and DIGEST_WHEN_EMPTY: 08:00 and skip by default; off turns the digest off', () => {
  const c = loadConfig({});
  assert.deepEqual([c.DIGEST_TIME, c.DIGEST_WHEN_EMPTY], ['08:00', 'skip']);
  assert.equal(loadConfig({ DIGEST_TIME: 'off' }).DIGEST_TIME, 'off');
  assert.equal(loadConfig({ DIGEST_TIME: '7:30', DIGEST_WHEN_EMPTY: 'send' }).DIGEST_WHEN_EMPTY, 'send');
  assert.deepEqual(
    problems({ DIGEST_TIME: '25:00', DIGEST_WHEN_EMPTY: 'maybe' }).map((l) => l.split(':')[0]),
    ['DIGEST_TIME', 'DIGEST_WHEN_EMPTY'],
  );
});
