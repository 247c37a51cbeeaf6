// The approval gate on the examples the product must express: invoice thresholds, recipient allow- and
// block-lists, payments always approved, read-only agents, strictest-rule-wins, unknown data treated safely.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, isWriteAction, parseAddress } from '../../src/policy/approvals.ts';
import { describePolicy } from '../../src/policy/describe.ts';
import { DEFAULT_POLICY, parsePolicy } from '../../src/policy/schema.ts';
import {
  reportViolation,
  violationFromBudget,
  violationFromDecision,
  violationFromRateLimit,
} from '../../src/policy/violations.ts';

const eur = (major: number) => ({ minor: Math.round(major * 100), currency: 'EUR' });

const policy = parsePolicy({
  approvals: {
    default_for_writes: 'approve',
    read_only_agents: ['research'],
    rules: [
      { name: 'small invoices go', actions: 'invoice.send', then: 'allow' },
      { name: 'big invoices wait', actions: 'invoice.send', amount_over: '500 EUR', then: 'approve' },
      { name: 'payments wait', actions: 'payment.*', then: 'approve' },
      {
        name: 'known recipients',
        actions: 'email.send',
        recipients_outside: ['consulting.example', '*.client.example', 'anna@gmail.example'],
        then: 'approve',
      },
      { name: 'email otherwise goes', actions: 'email.send', then: 'allow' },
      {
        name: 'never the competitor',
        actions: ['email.send', 'invoice.send'],
        recipients_in: ['competitor.example'],
        then: 'deny',
      },
      { actions: 'calendar.create', then: 'allow' },
    ],
  },
});

describe('decide', () => {
  test('invoices: 500 EUR goes, 500.01 EUR waits, other currency or no amount waits', () => {
    assert.equal(decide({ kind: 'invoice.send', amount: eur(500) }, policy).outcome, 'allow');
    const big = decide({ kind: 'invoice.send', amount: eur(500.01) }, policy);
    assert.equal(big.outcome, 'approve');
    assert.equal(big.rule, 'big invoices wait');
    assert.match(big.reasons.join(), /500\.01 EUR is over 500\.00 EUR/);
    assert.equal(decide({ kind: 'invoice.send', amount: { minor: 100, currency: 'USD' } }, policy).outcome, 'approve');
    assert.equal(decide({ kind: 'invoice.send' }, policy).outcome, 'approve');
  });

  test('all invoices by default, and payments always', () => {
    assert.equal(decide({ kind: 'invoice.send', amount: eur(10) }, DEFAULT_POLICY).outcome, 'approve');
    assert.equal(decide({ kind: 'payment.create', amount: eur(1) }, policy).outcome, 'approve');
    assert.equal(decide({ kind: 'payment.refund.partial' }, policy).outcome, 'approve');
  });

  test('email recipients: allow-list by domain, subdomain and address; block-list denies', () => {
    assert.equal(
      decide(
        {
          kind: 'email.send',
          recipients: ['Anna <anna@consulting.example>', 'x@team.client.example', 'client.example@client.example'],
        },
        policy,
      ).outcome,
      'allow',
    );
    const outside = decide(
      { kind: 'email.send', recipients: ['anna@consulting.example', 'bob@gmail.example'] },
      policy,
    );
    assert.equal(outside.outcome, 'approve');
    assert.match(outside.reasons.join(), /bob@gmail\.example is not on the allowed list/);
    assert.equal(decide({ kind: 'email.send', recipients: ['anna@gmail.example'] }, policy).outcome, 'allow');
    assert.equal(decide({ kind: 'email.send', recipients: ['not an address'] }, policy).outcome, 'approve');
    assert.equal(decide({ kind: 'email.send', recipients: [] }, policy).outcome, 'approve');
    const denied = decide({ kind: 'email.send', recipients: ['ceo@competitor.example'] }, policy);
    assert.equal(denied.outcome, 'deny');
    assert.equal(denied.rule, 'never the competitor');
    assert.equal(
      decide({ kind: 'email.send', recipients: ['x@evilconsulting.example'] }, policy).outcome,
      'approve',
      'a suffix is not the domain',
    );
  });

  test('reads are allowed, unknown writes take the default, read-only agents never write', () => {
    assert.equal(decide({ kind: 'memory.search' }, policy).outcome, 'allow');
    assert.equal(decide({ kind: 'crm.update' }, policy).outcome, 'approve');
    assert.equal(
      decide({ kind: 'crm.update' }, parsePolicy({ approvals: { default_for_writes: 'deny' } })).outcome,
      'deny',
    );
    assert.equal(decide({ kind: 'calendar.create', agent: 'research' }, policy).outcome, 'deny');
    assert.equal(decide({ kind: 'calendar.create', agent: 'draft' }, policy).outcome, 'allow');
    assert.equal(decide({ kind: 'memory.search', agent: 'research' }, policy).outcome, 'allow');
    assert.equal(isWriteAction({ kind: 'web.fetch' }), true);
    assert.equal(
      isWriteAction({ kind: 'web.fetch' }, parsePolicy({ approvals: { read_actions: ['web.fetch'] } })),
      false,
    );
    assert.equal(isWriteAction({ kind: 'memory.search', write: true }), true);
  });

  test('agent-scoped rules and malformed action names', () => {
    const p = parsePolicy({ approvals: { rules: [{ actions: 'email.send', agents: 'outreach', then: 'allow' }] } });
    assert.equal(decide({ kind: 'email.send', agent: 'outreach' }, p).outcome, 'allow');
    assert.equal(decide({ kind: 'email.send', agent: 'draft' }, p).outcome, 'approve');
    assert.equal(decide({ kind: 'send' }, p).outcome, 'deny');
    assert.equal(decide({ kind: 'email.send; drop' }, p).outcome, 'deny');
  });

  test('an engine approval satisfies approve but never overrides deny', () => {
    assert.equal(decide({ kind: 'payment.create', approved: true }, policy).outcome, 'allow');
    assert.equal(
      decide({ kind: 'email.send', recipients: ['a@competitor.example'], approved: true }, policy).outcome,
      'deny',
    );
  });

  test('parseAddress', () => {
    assert.equal(parseAddress('Anna Smith <Anna@Example.COM>'), 'anna@example.com');
    assert.equal(parseAddress('nobody'), undefined);
  });

  test('describePolicy reads like sentences', () => {
    const text = describePolicy(policy);
    assert.match(text, /invoice\.send over 500\.00 EUR: wait for your approval/);
    assert.match(text, /read-only agents: research/);
  });
});

describe('violations', () => {
  test('a denied action becomes a policy.violation event and one redacted sentence', () => {
    const action = { kind: 'email.send', recipients: ['ceo@competitor.example'], agent: 'outreach' };
    const report = violationFromDecision(action, decide(action, policy), 'run_abc');
    assert.ok(report);
    assert.equal(report.event.type, 'policy.violation');
    assert.equal(report.event.stream, 'policy');
    const data = report.event.data;
    assert.equal(data.rule, 'never the competitor');
    assert.equal(data.runId, 'run_abc');
    assert.equal(data.agent, 'outreach');
    assert.ok(!data.detail.includes('ceo@competitor.example'), data.detail);
    assert.match(
      report.notice,
      /^Blocked by policy \(run run_abc\): email\.send proposed by outreach was refused: .*\.$/,
    );
    assert.equal(violationFromDecision(action, { outcome: 'approve', reasons: [], write: true }), undefined);
  });

  test('budget and rate-limit refusals, and free-form ones', () => {
    const b = violationFromBudget(
      {
        ok: false,
        scope: 'per_run_usd',
        limitUsd: 0.5,
        spentUsd: 0.48,
        estimateUsd: 0.05,
        neededUsd: 0.03,
        message: 'This call would take this run over its $0.50 budget.',
      },
      { runId: 'r1' },
    );
    assert.equal((b?.event.data as { rule: string }).rule, 'per_run_usd');
    const r = violationFromRateLimit({
      ok: false,
      retryAfterMs: 1000,
      limit: 'connector:mail: 20/hour',
      message: 'connector:mail is over its limit.',
    });
    assert.equal((r?.event.data as { rule: string }).rule, 'connector:mail');
    assert.equal(violationFromRateLimit({ ok: true }), undefined);
    assert.equal(
      reportViolation({ policy: 'redaction', rule: 'x', detail: 'key sk-abcdefghijklmnopqrstu1234567890 leaked' })
        .notice,
      'Blocked by policy: key [SECRET_1] leaked.',
    );
  });
});
