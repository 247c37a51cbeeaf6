// Mail settings: SMTP_URL, IMAP_URL and MAIL_FROM come together or not at all, URLs are checked without ever being
// echoed (they carry passwords), MAIL_FROM takes both address forms, and the adapter reads the URLs' parts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createMailConnector } from '../../adapters/connectors/mail/index.ts';
import { parseServerUrl } from '../../adapters/connectors/mail/settings.ts';
import { loadConfig, mailConfigured } from '../../src/config.ts';
import { ConfigError } from '../../src/domain/errors.ts';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
};

const FULL = {
  SMTP_URL: 'smtps://ops%40example.com:p%40ss@mail.example.com:465',
  IMAP_URL: 'imaps://ops%40example.com:p%40ss@mail.example.com',
  MAIL_FROM: 'Jane Doe <Jane@Example.com>',
};

test('unset, the mail connector is off and costs nothing', async () => {
  const c = loadConfig({});
  assert.equal(mailConfigured(c), false);
  assert.equal(c.MAIL_POLL_SECONDS, 60);
  assert.equal(c.MAIL_ALLOW_SELF_SIGNED, 'no');
  assert.equal(await createMailConnector(c, pino({ level: 'silent' })), undefined);
});

test('the three settings parse; MAIL_FROM takes both forms and gives the domain of our Message-IDs', () => {
  const c = loadConfig(FULL);
  assert.equal(mailConfigured(c), true);
  assert.deepEqual(c.MAIL_FROM, { name: 'Jane Doe', address: 'jane@example.com', domain: 'example.com' });
  assert.deepEqual(loadConfig({ ...FULL, MAIL_FROM: 'ops@solo.example' }).MAIL_FROM, {
    address: 'ops@solo.example',
    domain: 'solo.example',
  });
  assert.deepEqual(loadConfig({ ...FULL, MAIL_FROM: '"Ops, Inc" <ops@solo.example>' }).MAIL_FROM, {
    name: 'Ops, Inc',
    address: 'ops@solo.example',
    domain: 'solo.example',
  });
});

test('one without the others names what is missing', () => {
  assert.deepEqual(problems({ SMTP_URL: FULL.SMTP_URL }), [
    'IMAP_URL: required with SMTP_URL (the mail connector needs SMTP_URL, IMAP_URL and MAIL_FROM)',
    'MAIL_FROM: required with SMTP_URL (the mail connector needs SMTP_URL, IMAP_URL and MAIL_FROM)',
  ]);
});

test('a bad URL or address is one line, and a URL (it carries a password) is never echoed', () => {
  const lines = problems({
    ...FULL,
    SMTP_URL: 'http://ops:hunter2@mail.example.com',
    IMAP_URL: 'imaps://',
    MAIL_FROM: 'not-an-address',
    MAIL_POLL_SECONDS: '1',
    MAIL_ALLOW_SELF_SIGNED: 'maybe',
  });
  assert.deepEqual(
    lines.map((l) => l.split(':')[0]),
    ['SMTP_URL', 'IMAP_URL', 'MAIL_FROM', 'MAIL_POLL_SECONDS', 'MAIL_ALLOW_SELF_SIGNED'],
  );
  assert.match(lines[0] ?? '', /^SMTP_URL: expected a URL such as smtps:\/\/user:password@mail\.example\.com:465/);
  assert.ok(!lines.join('\n').includes('hunter2'));
  assert.match(lines[2] ?? '', /\(got "not-an-address"\)$/, 'an address is not a secret: shown');
});

test('the adapter reads scheme, port defaults, STARTTLS policy and percent-encoded credentials', () => {
  assert.deepEqual(parseServerUrl('smtps://ops%40example.com:p%40ss%3Aw@mail.example.com', 'SMTP'), {
    kind: 'SMTP',
    setting: 'SMTP_URL',
    host: 'mail.example.com',
    port: 465,
    secure: true,
    requireStartTls: false,
    user: 'ops@example.com',
    pass: 'p@ss:w',
    display: 'ops@example.com at mail.example.com:465',
  });
  const submission = parseServerUrl('smtp://u:p@mail.example.com', 'SMTP');
  assert.deepEqual(
    [submission.port, submission.secure, submission.requireStartTls],
    [587, false, true],
    'smtp:// off loopback must use STARTTLS',
  );
  const local = parseServerUrl('imap://u:p@127.0.0.1:1143', 'IMAP');
  assert.deepEqual([local.port, local.secure, local.requireStartTls, local.setting], [1143, false, false, 'IMAP_URL']);
  assert.equal(parseServerUrl('imaps://u:p@mail.example.com', 'IMAP').port, 993);
  assert.ok(!parseServerUrl(FULL.SMTP_URL, 'SMTP').display.includes('p@ss'));
});
