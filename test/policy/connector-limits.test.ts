// The connector rate-limit gate with the real RateLimits (rate-limiter-flexible): effects count once per step key, so
// the engine's retries and a resumed run do not use up the limit; a refusal is a retryable ConnectorError the operator
// can read, reported once however often it is retried; unlimited methods (reads, compensations) never count.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { connectorGate, limited } from '../../src/policy/connector-limits.ts';
import { RateLimits } from '../../src/policy/rate-limits.ts';
import { parsePolicy } from '../../src/policy/schema.ts';
import { ConnectorError } from '../../src/ports/connector.ts';
import type { ViolationReport } from '../../src/policy/violations.ts';

class Target {
  readonly sent: string[] = [];
  #cancelled = 0;
  async send(to: string, _effect: { idempotencyKey: string }): Promise<string> {
    this.sent.push(to);
    return `sent ${to}`;
  }
  async cancel(): Promise<number> {
    return ++this.#cancelled;
  }
}

function setup(limit: string) {
  const reports: (ViolationReport | undefined)[] = [];
  const gate = connectorGate({
    rateLimits: new RateLimits(parsePolicy({ rate_limits: { 'connector:mail': limit } })),
    report: async (v) => void reports.push(v),
    logger: pino({ level: 'silent' }),
  });
  const target = new Target();
  return { target, reports, mail: limited(target, 'mail', ['send'], gate) };
}

test('a retry with the same step key is the same effect: it counts once', async () => {
  const { mail, target } = setup('2/hour');
  for (let i = 0; i < 4; i++)
    assert.equal(await mail.send('a@x.example', { idempotencyKey: 'run1:mail' }), 'sent a@x.example');
  assert.equal(await mail.send('b@x.example', { idempotencyKey: 'run2:mail' }), 'sent b@x.example');
  assert.equal(target.sent.length, 5, 'every call still reaches the connector (its key keeps the effect single)');
  await assert.rejects(mail.send('c@x.example', { idempotencyKey: 'run3:mail' }), (err: unknown) => {
    assert.ok(err instanceof ConnectorError);
    assert.equal(err.code, 'mail_rate_limited');
    assert.equal(err.retryable, true);
    assert.match(
      err.userMessage,
      /^The mail connector is over its rate limit \(connector:mail: 2\/hour\); it can act again in \d+ s — tap Retry then, or raise the limit in policies\/limits\.yaml\.$/,
    );
    return true;
  });
  assert.equal(
    await mail.send('a@x.example', { idempotencyKey: 'run1:mail' }),
    'sent a@x.example',
    'a key let through before still passes',
  );
});

test('a refused key is refused again and reported once; methods not gated never count', async () => {
  const { mail, reports, target } = setup('1/hour');
  await mail.send('a@x.example', { idempotencyKey: 'run1:mail' });
  for (let i = 0; i < 3; i++)
    await assert.rejects(mail.send('b@x.example', { idempotencyKey: 'run2:mail' }), ConnectorError);
  assert.equal(reports.length, 1, 'three refused attempts, one violation');
  assert.deepEqual(target.sent, ['a@x.example']);
  for (let i = 0; i < 5; i++)
    assert.equal(
      await mail.cancel(),
      i + 1,
      'compensations are never held back (private fields work through the proxy)',
    );
});
