// A Solo OS with real data for the dashboard tests, all made through the web API: memories, invoices (one approved,
// one waiting, one denied by a policy rule), a draft run whose model calls go to the OpenAI-compatible fake and
// whose card the operator edits before approving, router calls from chat, and a run stuck in review. Connector
// health comes from real payments connectors (the Stripe SDK against the Stripe fake: one with a good key, one with a
// refused key); the scheduled jobs are a stand-in list until the scheduler is wired (issue 15).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import type { ApiMessage } from '../support/app.ts';
import { api, say } from '../support/app.ts';
import { startAgentApp, userText, type AgentApp } from '../agents/support.ts';
import { connectorFor } from '../connectors/payments-support.ts';
import { StripeFake } from '../fakes/stripe/server.ts';
import type { ScheduleStatus } from '../../src/dashboard/sources.ts';

const APPROVALS_YAML = `approvals:
  default_for_writes: approve
  rules:
    - name: invoices over 100000 EUR are refused
      actions: invoice.send
      amount_over: 100000 EUR
      then: deny
`;

/** A step that always fails, so its run ends in the review queue. */
const flaky = defineWorkflow({
  name: 'flaky',
  version: 1,
  description: 'a step that cannot succeed',
  input: z.object({}),
  async run(ctx) {
    await ctx.step('prepare', async () => 'ready');
    await ctx.step(
      'call-partner',
      async () => {
        throw new Error('partner API answered 503');
      },
      { maxAttempts: 2, backoff: { minMs: 1, maxMs: 1 } },
    );
    return 'done';
  },
});

export interface Seeded {
  h: AgentApp;
  base: string;
  /** The draft run (model calls, an edited and approved card). */
  draftRunId: string;
  /** The invoice card left waiting. */
  pendingTitle: string;
  flakyRunId: string;
  memoryId: string;
  /** Stops the app and the fakes. */
  stop(): Promise<void>;
}

/** Two jobs as a scheduler would report them: one late, one whose last run failed. */
const SCHEDULES = (now: number): ScheduleStatus[] => [
  {
    name: 'morning digest',
    schedule: '0 8 * * 1-5',
    nextRunAt: new Date(now - 3 * 60_000),
    lastRunAt: new Date(now - 24 * 3600_000),
    lastOutcome: 'ok',
  },
  {
    name: 'invoice follow-ups',
    schedule: 'every 1 h',
    nextRunAt: new Date(now + 40 * 60_000),
    lastRunAt: new Date(now - 20 * 60_000),
    lastOutcome: 'failed',
    lastError: 'IMAP login refused',
    lateMs: 0,
  },
];

const button = (m: ApiMessage | undefined, label: string) => {
  const b = m?.buttons.find((x) => x.label === label);
  assert.ok(b, `a ${label} button in ${JSON.stringify(m)}`);
  return b;
};
const tap = async (base: string, b: { id: string }) => {
  const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(b.id)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.messages ?? [];
};

export async function seededApp(env: Record<string, string> = {}): Promise<Seeded> {
  const stripe = await new StripeFake().start();
  const payments = await connectorFor(stripe);
  const refused = await connectorFor(stripe, { apiKey: 'sk_test_refusedrefusedrefused' });
  const h = await startAgentApp(
    {
      router: (body) => {
        const text = userText(body);
        if (/draft/i.test(text))
          return {
            json: {
              action: 'workflow',
              workflow: 'draft',
              understood: 'Draft a follow-up email to Acme.',
              client: 'Acme',
              instructions: 'A follow-up email to Acme about the proposal.',
            },
          };
        return { json: { action: 'reply', understood: 'A greeting.', reply: 'Hello! How can I help today?' } };
      },
      draft: () => ({
        json: {
          to: 'Acme Corp',
          subject: 'Following up on our proposal',
          body: 'Hi Jane,\n\nFollowing up on the proposal. Happy to talk.\n\nBest',
        },
      }),
    },
    {
      // Budgets near what the fake model costs, so the charts show spending against them.
      budgets: 'budgets:\n  per_run_usd: 0.003\n  per_day_usd: 0.005\n  per_agent_usd_per_day:\n    draft: 0.003\n',
      env,
      start: {
        workflows: [flaky],
        watch: {
          schedules: async () => SCHEDULES(Date.now()),
          connectors: () => Promise.all([payments.health(), refused.health()]),
        },
        extend: (r, { engine }) =>
          r.command({
            name: 'flaky',
            description: 'test',
            run: async (ctx) =>
              void (await engine.start(
                'flaky',
                {},
                { origin: { channel: 'web', chatId: 'operator' }, reply: ctx.reply },
              )),
          }),
      },
    },
  );
  // The policy file with a deny rule; the loader picks it up (it watches the folder) before the denied invoice.
  writeFileSync(join(h.policiesDir, 'approvals.yaml'), APPROVALS_YAML);
  await h.app.policies.load();
  const base = h.app.url;
  await say(base, '/remember Acme Corp: proposal for the website rebrand sent on monday, 12000 EUR');
  const remembered = await say(base, '/remember Acme Corp: prefers invoices in EUR, net 30');
  const memoryId = /#(\d+)/.exec(remembered[0]?.text ?? '')?.[1] ?? '';

  // An invoice approved in chat, one left waiting, one the policy refuses.
  const [card] = await say(base, '/invoice Acme Corp 1200 March workshop');
  await tap(base, button(card, 'Approve'));
  const [waiting] = await say(base, '/invoice Globex 450 April retainer');
  assert.match(waiting?.text ?? '', /Approval needed: Invoice to Globex/);
  const denied = await say(base, '/invoice Initech 250000 whole year');
  assert.match(denied.map((m) => m.text).join('\n'), /not allowed by policy/);

  // Chat turns through the router, then a draft run: the operator edits the draft, then approves it.
  await say(base, 'hello there');
  const replies = await say(base, 'Draft a follow-up email to Acme about the proposal');
  const draftCard = replies.find((m) => m.text.startsWith('Approval needed:'));
  await tap(base, button(draftCard, 'Edit'));
  const edited = (await say(base, 'Hi Jane, following up on the proposal from monday. Best, Sam')).find((m) =>
    m.text.startsWith('Approval needed:'),
  );
  await tap(base, button(edited, 'Approve'));
  const draftRun = (await h.app.store.runs.list({ limit: 50 })).find((r) => r.workflow === 'draft');
  assert.ok(draftRun);

  const flakyReplies = await say(base, '/flaky');
  const flakyRunId = /Run (r\w+)/.exec(flakyReplies.map((m) => m.text).join('\n'))?.[1] ?? '';
  assert.ok(flakyRunId, JSON.stringify(flakyReplies));
  await h.app.engine.idle();
  const stop = async () => {
    await h.stop();
    await Promise.all([payments.close(), refused.close()]);
    await stripe.close();
  };
  return {
    h,
    base,
    draftRunId: draftRun.id,
    pendingTitle: 'Invoice to Globex for 450.00 EUR',
    flakyRunId,
    memoryId,
    stop,
  };
}
