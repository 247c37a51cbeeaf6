// The policy's connector rate limits on real connector calls (the stripe SDK against the Stripe fake), through the
// app: over `connector:payments` the issue step is refused with a sentence the operator can act on, recorded once as
// a policy violation, and waits for review instead of failing the invoice; after the limit is raised in the policy
// file, Retry issues it — still exactly one Stripe invoice per ledger invoice.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp, tempDir, type ApiMessage } from '../support/app.ts';
import { StripeFake } from '../fakes/stripe/server.ts';

describe('connector rate limits from policy', () => {
  let stripe: StripeFake;
  let app: SoloApp;
  let base: string;
  const policies = tempDir('solo-policies-');

  const tap = async (m: ApiMessage | undefined, label: string): Promise<ApiMessage[]> => {
    const button = m?.buttons.find((b) => b.label === label);
    assert.ok(button, `a ${label} button on: ${m?.text ?? '(none)'}`);
    return (await api(base, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`)).body.messages ?? [];
  };
  const inStripe = (number: string) =>
    stripe.invoices().filter((i) => (i['metadata'] as Record<string, string>)['ledger_invoice'] === number).length;

  before(async () => {
    writeFileSync(join(policies, 'limits.yaml'), 'rate_limits:\n  connector:payments: 1/hour\n');
    stripe = await new StripeFake().start();
    app = await startTestApp({
      STRIPE_SECRET_KEY: stripe.apiKey,
      STRIPE_API_URL: stripe.url,
      POLICIES_DIR: policies,
      RATE_LIMIT_PER_MINUTE: '0',
    });
    base = app.url;
    await say(base, '/business name Sam Solo');
    await say(base, '/business address 1 Main St; Springfield');
    await say(base, '/remember Acme Corp: billing email billing@acme.example');
  });
  after(async () => {
    await app?.stop();
    await stripe?.close();
  });

  test('over the limit the issue waits for review with a readable reason; raised, Retry issues it once', async () => {
    const [first] = await say(base, '/invoice Acme 100');
    assert.match(
      (await tap(first, 'Approve')).at(-1)?.text ?? '',
      /^Recorded INV-0001: Acme Corp, 100\.00 EUR\.\nIssued in Stripe/,
    );
    const [second] = await say(base, '/invoice Acme 200');
    const replies = await tap(second, 'Approve');
    const review = replies.find((m) => m.text.includes('needs your review'));
    assert.match(
      review?.text ?? '',
      /What happened: step "issue" failed 5 times: The payments connector is over its rate limit \(connector:payments: 1\/hour\); it can act again in \d+ s — tap Retry then, or raise the limit in policies\/limits\.yaml\./,
    );
    assert.equal(inStripe('INV-0002'), 0, 'nothing reached Stripe');
    assert.equal((await app.store.ledger.getInvoice(2))?.status, 'recorded', 'the invoice stays recorded, not voided');
    const violations = (await app.store.events.readStream('policy', { types: ['policy.violation'] })).filter(
      (e) => e.type === 'policy.violation' && e.data.rule === 'connector:payments',
    );
    assert.equal(violations.length, 1, 'five refused attempts, one violation');

    const loaded = (await app.store.events.readStream('policy', { types: ['policy.loaded'] })).length;
    writeFileSync(join(policies, 'limits.yaml'), 'rate_limits:\n  connector:payments: 10/hour\n');
    for (
      let i = 0;
      i < 100 && (await app.store.events.readStream('policy', { types: ['policy.loaded'] })).length === loaded;
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    const after = await tap(review, 'Retry step');
    assert.match(after.map((m) => m.text).join('\n'), /Recorded INV-0002: Acme Corp, 200\.00 EUR\.\nIssued in Stripe/);
    assert.deepEqual([inStripe('INV-0001'), inStripe('INV-0002')], [1, 1]);
  });
});
