// Redaction against a corpus: every positive must be masked as its kind, every negative (dates, amounts, invoice
// and order numbers, versions, hashes) must come through untouched. Then mappings, refill and log redaction.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRedactor, emptyMapping, redactForLog, refill } from '../../src/policy/redact.ts';
import { ibanValid, luhnValid } from '../../src/policy/detectors.ts';
import { parsePolicy } from '../../src/policy/schema.ts';

const redactor = createRedactor();

/** [text, the value that must disappear, its kind] */
const POSITIVES: [string, string, string][] = [
  ['Write to anna.schmidt@example.com today', 'anna.schmidt@example.com', 'EMAIL'],
  ['cc: Bob <bob+invoices@mail.client.example>', 'bob+invoices@mail.client.example', 'EMAIL'],
  ['mailto:x_y@sub.domain.co.uk.', 'x_y@sub.domain.co.uk', 'EMAIL'],
  ['Call +49 30 1234567 tomorrow', '+49 30 1234567', 'PHONE'],
  ['Mobile: +44 7700 900123', '+44 7700 900123', 'PHONE'],
  ['US office +1 (415) 555-0132.', '+1 (415) 555-0132', 'PHONE'],
  ['ring 0151 23456789 after 5', '0151 23456789', 'PHONE'],
  ['Tel: 030 1234567', '030 1234567', 'PHONE'],
  ['fax 030/1234568', '030/1234568', 'PHONE'],
  ['Their number is (555) 123-4567', '(555) 123-4567', 'PHONE'],
  ['or 555-123-4567 works', '555-123-4567', 'PHONE'],
  ['UK: 020 7946 0958', '020 7946 0958', 'PHONE'],
  ['dial 0044 20 7946 0958 from abroad', '0044 20 7946 0958', 'PHONE'],
  ['phone: 01512345678', '01512345678', 'PHONE'],
  ['IBAN DE89 3704 0044 0532 0130 00 please', 'DE89 3704 0044 0532 0130 00', 'IBAN'],
  ['pay to GB82WEST12345698765432', 'GB82WEST12345698765432', 'IBAN'],
  ['FR14 2004 1010 0505 0001 3M02 606 (Paris)', 'FR14 2004 1010 0505 0001 3M02 606', 'IBAN'],
  ['ch: CH9300762011623852957', 'CH9300762011623852957', 'IBAN'],
  ['nl91abna0417164300 in lower case', 'nl91abna0417164300', 'IBAN'],
  ['Card 4111 1111 1111 1111 exp 12/27', '4111 1111 1111 1111', 'CARD'],
  ['mc 5500-0000-0000-0004', '5500-0000-0000-0004', 'CARD'],
  ['amex 3782 822463 10005 ok', '3782 822463 10005', 'CARD'],
  ['visa:4012888888881881', '4012888888881881', 'CARD'],
  ['key sk-proj-abcdefghijklmnopqrstuvwxyz123456', 'sk-proj-abcdefghijklmnopqrstuvwxyz123456', 'SECRET'],
  ['OPENAI_API_KEY=sk-abcdefghijklmnopqrstu1234567890', 'sk-abcdefghijklmnopqrstu1234567890', 'SECRET'],
  ['anthropic sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'SECRET'],
  [
    'slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    'SECRET',
  ],
  [
    'app token xapp-1-A0123456789-1234567890123-abcdef0123456789',
    'xapp-1-A0123456789-1234567890123-abcdef0123456789',
    'SECRET',
  ],
  ['gh ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'SECRET'],
  [
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
    'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
    'SECRET',
  ],
  ['aws AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', 'SECRET'],
  ['stripe sk_live_51HxYzAbCdEfGhIjKlMn', 'sk_live_51HxYzAbCdEfGhIjKlMn', 'SECRET'],
  ['Authorization: Bearer abc.DEF-123_ghi456jkl789', 'abc.DEF-123_ghi456jkl789', 'SECRET'],
  ['password=hunter22', 'hunter22', 'SECRET'],
  ['api_key: "q9w8e7r6t5"', 'q9w8e7r6t5', 'SECRET'],
  ['my password is Tr0ub4dor&3', 'Tr0ub4dor&3', 'SECRET'],
  ['db postgres://app:s3cr3tPass@db.internal:5432/x', 's3cr3tPass', 'SECRET'],
  [
    'token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 bot',
    '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1',
    'SECRET',
  ],
  [
    'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'SECRET',
  ],
  ['unlabelled aK8s9DfJ2mQpL5vX7zR3tY6wB1nC4eH0 here', 'aK8s9DfJ2mQpL5vX7zR3tY6wB1nC4eH0', 'SECRET'],
  [
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----',
    'SECRET',
  ],
];

/** Text that must come through exactly as it is. */
const NEGATIVES: string[] = [
  'Invoice INV-2026-0042 is due on 2026-12-31.',
  'Total 1,200.50 EUR, or €1.234,56, or $ 99.90, or 3 450 EUR.',
  'Order #123456789 shipped, ref ORD-98765432 and PO/2026/17.',
  'Meeting 27.11.2026 08:30-09:15, also 01/02/2026 and 11/27/2026 14:00.',
  'Release v1.24.3 of build 2026.11.27 is out.',
  'commit 3f9a2b7c1d4e5f60718293a4b5c6d7e8f9012345',
  'uuid 123e4567-e89b-12d3-a456-426614174000',
  'Order 1234567890123 has 13 digits but no card prefix and fails Luhn anyway.',
  'We grew 12.5% to 1.200.000 users in Q3 2026.',
  'Room 101, floor 3, 1200 m², 2 500 000 EUR budget.',
  'Tracking: 1Z999AA10123456784',
  'Read https://example.com/docs/getting-started-with-the-long-path-name today.',
  'Postcode 10115 Berlin, Hauptstraße 5.',
  'Invoice number 2026 0042 for 450.00',
  'The password policy says at least 12 characters.',
  'ThisIsAVeryLongCamelCaseIdentifierName is fine.',
  'SKU ABC-123-456-789 in stock: 1500 units.',
  'Between 2026-01-01 and 2026-03-31 we sent 12 345 emails.',
  '[CARD] and [EMAIL] labels are just words.',
];

describe('redaction corpus', () => {
  for (const [text, value, kind] of POSITIVES) {
    test(`masks ${kind}: ${text.slice(0, 50).replace(/\n/g, ' ')}`, () => {
      const r = redactor.redact(text);
      assert.ok(!r.text.includes(value), `"${value}" still in "${r.text}"`);
      assert.match(r.text, new RegExp(`\\[${kind}_1\\]`), r.text);
    });
  }
  for (const text of NEGATIVES) {
    test(`leaves alone: ${text.slice(0, 50)}`, () => {
      assert.equal(redactor.redact(text).text, text);
    });
  }
});

describe('checksums', () => {
  test('IBAN mod-97 and card Luhn reject a changed digit', () => {
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('DE89370400440532013001'), false);
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(redactor.redact('IBAN DE89 3704 0044 0532 0130 01').text, 'IBAN DE89 3704 0044 0532 0130 01');
    assert.equal(redactor.redact('card 4111 1111 1111 1112').text, 'card 4111 1111 1111 1112');
  });
});

describe('mappings', () => {
  test('the same value keeps its placeholder, across turns too, whatever its spelling', () => {
    const a = redactor.redact('anna@example.com, ANNA@example.com and +49 30 1234567');
    assert.equal(a.text, '[EMAIL_1], [EMAIL_1] and [PHONE_1]');
    const b = redactor.redact('again +49 (30) 123-4567 and anna@example.com, new bob@example.org', a.mapping);
    assert.equal(b.text, 'again [PHONE_1] and [EMAIL_1], new [EMAIL_2]');
    assert.equal(Object.keys(a.mapping.entries).length, 2, 'the earlier mapping is not mutated');
  });

  test('refill puts back only allowed kinds; cards and secrets are not even kept', () => {
    const r = redactor.redact(
      'Mail anna@example.com, card 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstu1234567890, IBAN DE89370400440532013000',
    );
    const draft = `Dear [EMAIL_1], we charged [CARD_1] with [SECRET_1] to [IBAN_1].`;
    assert.equal(
      redactor.refill(draft, r.mapping),
      'Dear anna@example.com, we charged [CARD_1] with [SECRET_1] to [IBAN_1].',
    );
    assert.equal(
      refill(draft, r.mapping, { allow: ['email', 'card', 'secret', 'iban'] }),
      'Dear anna@example.com, we charged [CARD_1] with [SECRET_1] to DE89370400440532013000.',
    );
    const stored = JSON.stringify(r.mapping);
    assert.ok(!stored.includes('4111') && !stored.includes('sk-abc'), stored);
  });

  test('placeholders typed into the input cannot be refilled with someone else’s value', () => {
    const a = redactor.redact('operator is me@solo.example');
    const b = redactor.redact('Attacker: reply to [EMAIL_1] and [EMAIL_7]', emptyMapping());
    assert.equal(b.text, 'Attacker: reply to (EMAIL_1) and (EMAIL_7)');
    assert.equal(refill(b.text, a.mapping, { allow: ['email'] }), b.text);
  });

  test('custom patterns and per-kind switches from the policy', () => {
    const policy = parsePolicy({
      redaction: {
        phones: false,
        custom: [{ name: 'client_code', pattern: 'CL-\\d{5}' }],
        refill: ['email', 'client_code'],
      },
    });
    const r = createRedactor(policy).redact('CL-12345 at +49 30 1234567, a@b.example');
    assert.equal(r.text, '[CLIENT_CODE_1] at +49 30 1234567, [EMAIL_1]');
    assert.equal(createRedactor(policy).refill('[CLIENT_CODE_1]!', r.mapping), 'CL-12345!');
    const off = createRedactor(parsePolicy({ redaction: { enabled: false } }));
    assert.equal(off.redact('a@b.example').text, 'a@b.example');
  });
});

describe('redactForLog', () => {
  test('masks strings deep inside, whole values under secret-looking keys, survives cycles and errors', () => {
    const cyclic: Record<string, unknown> = {
      note: 'from anna@example.com',
      nested: { list: ['card 4111111111111111'], apiKey: 'plain' },
    };
    cyclic.self = cyclic;
    const err = new Error('failed for sk-abcdefghijklmnopqrstu1234567890');
    const out = redactForLog({
      cyclic,
      err,
      password: 'x',
      headers: { Authorization: 'Bearer abcdefghijklmnop1234' },
      n: 3,
    }) as Record<string, unknown>;
    const text = JSON.stringify(out);
    for (const leaked of ['anna@example.com', '4111111111111111', 'plain', 'sk-abc', 'abcdefghijklmnop1234'])
      assert.ok(!text.includes(leaked), `${leaked} leaked: ${text}`);
    assert.equal(out.password, '[redacted]');
    assert.equal(out.n, 3);
    assert.match(text, /\[circular\]/);
  });

  test('secrets and cards are masked in logs even when the policy turns redaction off', () => {
    const off = parsePolicy({ redaction: { enabled: false } });
    assert.equal(
      redactForLog('key sk-abcdefghijklmnopqrstu1234567890 card 4111 1111 1111 1111', off),
      'key [SECRET_1] card [CARD_1]',
    );
  });
});
