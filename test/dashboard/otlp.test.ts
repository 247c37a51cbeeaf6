// Traces over OTLP to a collector written here (OTLP/HTTP with JSON bodies on 127.0.0.1): a finished draft run
// arrives as one trace — the run the root span, its steps children of the run, the model call a child of the step
// that made it, with token and cost attributes, the approval with who decided where — and a chat turn's router
// call as a trace of its own. A collector that refuses a batch gets it again at the next tick.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { api, say } from '../support/app.ts';
import { startAgentApp, type AgentApp } from '../agents/support.ts';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
}
interface Export {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** An OTLP/HTTP collector: takes POST /v1/traces JSON; refuses the first `refuse` batches with 400. */
class Collector {
  readonly exports: Export[] = [];
  refused = 0;
  refuse = 0;
  readonly #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => {
        if (
          req.method !== 'POST' ||
          req.url !== '/v1/traces' ||
          !/^application\/json/.test(req.headers['content-type'] ?? '')
        )
          return void res.writeHead(404).end();
        if (this.refused < this.refuse) {
          this.refused++;
          return void res
            .writeHead(400, { 'content-type': 'application/json' })
            .end('{"code":3,"message":"refused for the test"}');
        }
        this.exports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Export);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
  });

  async start(): Promise<string> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
  spans(): OtlpSpan[] {
    return this.exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  }
  async waitFor(check: (spans: OtlpSpan[]) => boolean, what: string): Promise<OtlpSpan[]> {
    for (let i = 0; i < 300; i++) {
      if (check(this.spans())) return this.spans();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(
      `the collector never received ${what}; it has: ${this.spans()
        .map((s) => s.name)
        .join(', ')}`,
    );
  }
}

const attr = (span: OtlpSpan | undefined, key: string): string | number | boolean | undefined => {
  const v = span?.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.doubleValue ?? v.boolValue;
};

describe('OTLP traces', () => {
  const collector = new Collector();
  let h: AgentApp;
  before(async () => {
    const endpoint = await collector.start();
    h = await startAgentApp(
      {
        router: (body) => {
          const text = JSON.stringify(body['messages']);
          return /Draft/.test(text)
            ? {
                json: {
                  action: 'workflow',
                  workflow: 'draft',
                  understood: 'Draft an email to Acme.',
                  client: 'Acme',
                  instructions: 'A follow-up email to Acme.',
                },
              }
            : { json: { action: 'reply', understood: 'A greeting.', reply: 'Hello!' } };
        },
        draft: () => ({ json: { to: 'Acme Corp', subject: 'Following up', body: 'Hi Jane, following up. Best' } }),
      },
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'solo-test' } },
    );
  });
  after(async () => {
    await h?.stop();
    await collector.stop();
  });

  test('a finished run is one trace: run → steps → model call, with tokens, cost and who approved', async () => {
    const replies = await say(h.app.url, 'Draft a follow-up email to Acme');
    const card = replies.find((m) => m.text.startsWith('Approval needed:'));
    const approve = card?.buttons.find((b) => b.label === 'Approve');
    assert.ok(approve);
    await api(h.app.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`);
    const run = (await h.app.store.runs.list({ limit: 5 })).find((r) => r.workflow === 'draft');
    assert.equal(run?.status, 'completed');

    const spans = await collector.waitFor((all) => all.some((s) => s.name === 'run draft'), 'the draft run');
    const root = spans.find((s) => s.name === 'run draft')!;
    const trace = spans.filter((s) => s.traceId === root.traceId);
    assert.ok(!root.parentSpanId, 'the run is the root');
    assert.equal(attr(root, 'solo.run_id'), run.id);
    assert.equal(attr(root, 'solo.run_status'), 'completed');
    const step = trace.find((s) => s.name === 'step draft-1');
    assert.equal(step?.parentSpanId, root.spanId, 'a step is a child of the run');
    const llm = trace.find((s) => s.name === 'llm draft');
    assert.equal(llm?.parentSpanId, step.spanId, 'the model call is a child of the step that made it');
    const called = (await h.app.store.events.readRange({ types: ['llm.called'] })).find(
      (e) => e.type === 'llm.called' && e.data.agent === 'draft',
    );
    assert.ok(called?.type === 'llm.called');
    assert.equal(attr(llm, 'gen_ai.usage.input_tokens'), called.data.promptTokens);
    assert.equal(attr(llm, 'gen_ai.usage.output_tokens'), called.data.completionTokens);
    assert.equal(attr(llm, 'llm.cost_usd'), called.data.costUsd);
    assert.equal(attr(llm, 'gen_ai.request.model'), 'gpt-4o-mini');
    assert.equal(attr(llm, 'solo.prompt_version'), 'v1');
    const approval = trace.find((s) => s.name === 'approval send');
    assert.equal(approval?.parentSpanId, root.spanId);
    assert.equal(attr(approval, 'solo.approval.decided_by'), 'web:operator');
    assert.equal(attr(approval, 'solo.approval.decided_via'), 'web');
    assert.equal(
      attr(
        trace.find((s) => s.name === 'step deliver:policy'),
        'solo.policy.outcome',
      ),
      'approve',
    );
    for (const s of trace) {
      assert.ok(BigInt(s.startTimeUnixNano) <= BigInt(s.endTimeUnixNano), `${s.name} ends after it starts`);
      if (s !== root)
        assert.ok(BigInt(s.startTimeUnixNano) >= BigInt(root.startTimeUnixNano), `${s.name} starts inside the run`);
    }
    const resource = collector.exports[0]!.resourceSpans[0]!.resource.attributes;
    assert.equal(resource.find((a) => a.key === 'service.name')?.value.stringValue, 'solo-test');
  });

  test('a chat turn’s model call outside any run is a trace of its own', async () => {
    const before = collector.spans().filter((s) => s.name === 'llm router').length;
    await say(h.app.url, 'hello there');
    const spans = await collector.waitFor(
      (all) => all.filter((s) => s.name === 'llm router').length > before,
      'the router call',
    );
    const router = spans.filter((s) => s.name === 'llm router').at(-1);
    assert.ok(!router?.parentSpanId);
    assert.ok(Number(attr(router, 'gen_ai.usage.input_tokens')) > 0);
  });

  test('a batch the collector refuses is sent again, not lost', async () => {
    collector.refuse = collector.refused + 1;
    const before = collector.spans().filter((s) => s.name === 'llm router').length;
    await say(h.app.url, 'hello once more');
    await collector.waitFor(
      (all) => all.filter((s) => s.name === 'llm router').length > before,
      'the refused batch again',
    );
    assert.equal(collector.refused, collector.refuse, 'the first attempt was refused');
  });
});
