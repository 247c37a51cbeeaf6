// /metrics scraped over HTTP after real traffic through the web API, parsed as Prometheus text: messages, runs by
// status, step latency, model tokens and cost (equal to what the event log recorded), queue depths, violations and
// event-loop lag, scheduler lateness and connector health; a second scrape does not count the same events twice, and new traffic shows up.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { say } from '../support/app.ts';
import { parsePrometheusText, valueOf, type Family } from '../support/prometheus-text.ts';
import { seededApp, type Seeded } from './support.ts';

describe('/metrics', () => {
  let s: Seeded;
  let m: Map<string, Family>;
  const scrape = async () => {
    const res = await fetch(`${s.base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await res.text());
  };

  before(async () => {
    s = await seededApp();
    m = await scrape();
  });
  after(() => s?.stop());

  test('messages in and out, by channel', async () => {
    const received = (await s.h.app.store.events.readRange({ types: ['message.received'] })).length;
    assert.equal(valueOf(m, 'solo_messages_total', { channel: 'web', direction: 'in', kind: 'message' }), received);
    assert.ok(
      (valueOf(m, 'solo_messages_total', { channel: 'web', direction: 'in', kind: 'button' }) ?? 0) >= 3,
      'taps',
    );
    assert.ok((valueOf(m, 'solo_messages_total', { channel: 'web', direction: 'out' }) ?? 0) > received);
  });

  test('runs by status, finished and current', () => {
    assert.equal(
      valueOf(m, 'solo_runs_finished_total', { workflow: 'invoice', status: 'completed' }),
      2,
      'the approved and the refused invoice',
    );
    assert.equal(valueOf(m, 'solo_runs_finished_total', { workflow: 'draft', status: 'completed' }), 1);
    assert.equal(valueOf(m, 'solo_runs', { status: 'needs_review' }), 1);
    assert.equal(valueOf(m, 'solo_runs', { status: 'suspended' }), 1, 'the invoice waiting for approval');
    assert.equal(valueOf(m, 'solo_runs_started_total', { workflow: 'flaky' }), 1);
    assert.equal(valueOf(m, 'solo_step_retries_total', { workflow: 'flaky' }), 1);
  });

  test('step latency as a histogram per workflow and step kind', () => {
    const draftSteps = valueOf(m, 'solo_step_duration_seconds_count', { workflow: 'draft', kind: 'run' });
    assert.ok(draftSteps !== undefined && draftSteps >= 3, `draft steps counted: ${draftSteps}`);
    assert.ok((valueOf(m, 'solo_step_duration_seconds_sum', { workflow: 'draft', kind: 'run' }) ?? -1) >= 0);
    assert.equal(
      valueOf(m, 'solo_step_duration_seconds_bucket', { workflow: 'draft', kind: 'run', le: '+Inf' }),
      draftSteps,
    );
  });

  test('model tokens and cost equal what the event log recorded', async () => {
    const calls = await s.h.app.store.events.readRange({ types: ['llm.called'] });
    const sum = (
      agent: string,
      pick: (d: { promptTokens: number; completionTokens: number; costUsd: number }) => number,
    ) => calls.reduce((n, e) => n + (e.type === 'llm.called' && e.data.agent === agent ? pick(e.data) : 0), 0);
    for (const agent of ['router', 'draft']) {
      assert.equal(
        valueOf(m, 'solo_llm_tokens_total', { agent, model: 'gpt-4o-mini', type: 'prompt' }),
        sum(agent, (d) => d.promptTokens),
        agent,
      );
      assert.equal(
        valueOf(m, 'solo_llm_tokens_total', { agent, type: 'completion' }),
        sum(agent, (d) => d.completionTokens),
        agent,
      );
      const cost = valueOf(m, 'solo_llm_cost_usd_total', { agent }) ?? -1;
      assert.ok(Math.abs(cost - sum(agent, (d) => d.costUsd)) < 1e-12, `${agent}: ${cost}`);
    }
    assert.equal(valueOf(m, 'solo_llm_calls_total', { agent: 'router', outcome: 'ok' }), 2);
    assert.equal(valueOf(m, 'solo_llm_latency_seconds_count', { agent: 'draft' }), 1);
  });

  test('queue depths, approvals, violations, event-loop lag', () => {
    assert.equal(valueOf(m, 'solo_approvals_pending'), 1);
    assert.equal(valueOf(m, 'solo_messages_held'), 0);
    assert.equal(valueOf(m, 'solo_approvals_decided_total', { decision: 'approved', via: 'web' }), 2);
    assert.equal(valueOf(m, 'solo_policy_violations_total', { policy: 'approvals' }), 1);
    assert.ok(m.has('nodejs_eventloop_lag_seconds'), 'event-loop lag');
    assert.ok(m.has('process_cpu_seconds_total'));
    assert.equal(m.get('solo_step_duration_seconds')?.type, 'histogram');
  });

  test('scheduler lateness and connector health, from the providers the app was given', () => {
    const late = valueOf(m, 'solo_schedule_lateness_seconds', { schedule: 'morning digest' }) ?? 0;
    assert.ok(late >= 170 && late < 600, `the digest is about 3 minutes late: ${late} s`);
    assert.equal(valueOf(m, 'solo_schedule_lateness_seconds', { schedule: 'invoice follow-ups' }), 0);
    assert.ok(
      (valueOf(m, 'solo_schedule_next_run_timestamp_seconds', { schedule: 'invoice follow-ups' }) ?? 0) >
        Date.now() / 1000,
    );
    assert.equal(
      valueOf(m, 'solo_connector_up', { connector: 'payments', state: 'ok' }),
      1,
      'the Stripe connector with a good key',
    );
    assert.equal(
      valueOf(m, 'solo_connector_up', { connector: 'payments', state: 'misconfigured' }),
      0,
      'the one with a refused key',
    );
  });

  test('a second scrape counts nothing twice; new traffic shows up', async () => {
    const before = valueOf(m, 'solo_messages_total', { channel: 'web', direction: 'in', kind: 'message' }) ?? 0;
    const again = await scrape();
    assert.equal(valueOf(again, 'solo_messages_total', { channel: 'web', direction: 'in', kind: 'message' }), before);
    assert.equal(valueOf(again, 'solo_runs_finished_total', { workflow: 'invoice', status: 'completed' }), 2);
    await say(s.base, '/remember Hooli: a new client');
    await say(s.base, 'hello again');
    const after = await scrape();
    assert.equal(
      valueOf(after, 'solo_messages_total', { channel: 'web', direction: 'in', kind: 'message' }),
      before + 2,
    );
    assert.equal(valueOf(after, 'solo_llm_calls_total', { agent: 'router', outcome: 'ok' }), 3);
  });

  test('the parser rejects what Prometheus would', () => {
    assert.throws(() => parsePrometheusText('# TYPE a counter\na{x="1" 2\n'), /bad labels|not a sample/);
    assert.throws(() => parsePrometheusText('b 1\n'), /undeclared family/);
    assert.throws(
      () => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n'),
      /not cumulative/,
    );
  });
});
