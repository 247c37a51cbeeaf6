// The daily digest on the whole app: the template's sections from real runs, approvals, memory and spending, with
// approval buttons that decide; nothing to say is not sent unless DIGEST_WHEN_EMPTY=send; quiet hours hold it
// across a restart and it arrives once; with a model the daily-digest agent writes it (the real openai client
// against the local fake) and over budget the template does; today's events from a real Radicale calendar.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import { pino } from 'pino';
import { createCalendarConnector } from '../../adapters/connectors/calendar/index.ts';
import { newEvent } from '../../src/domain/events.ts';
import { defineWorkflow, NonRetriableError } from '../../src/engine/workflow.ts';
import type { SoloApp } from '../../src/main.ts';
import { collectDigest, renderDigest } from '../../src/scheduling/digest.ts';
import { SCHEDULER_ORIGIN } from '../../src/scheduling/schedules.ts';
import { localDay } from '../../src/scheduling/when.ts';
import { startAgentApp, userText, type AgentApp } from '../agents/support.ts';
import { api, say, startTestApp, tempDir, type ApiMessage } from '../support/app.ts';
import { makeCalendarFor, radicaleMissing, startRadicale } from '../support/radicale.ts';
import { until } from '../scheduler/helpers.ts';

const ZONE = 'Europe/Berlin';
const apps: SoloApp[] = [];
const agentApps: AgentApp[] = [];
after(async () => {
  for (const app of apps) await app.stop();
  for (const a of agentApps) await a.stop();
});

const breaks = defineWorkflow({
  name: 'breaks',
  version: 1,
  description: 'fails for good',
  input: z.object({}),
  run: async (ctx) =>
    void (await ctx.step('try', async () => {
      throw new NonRetriableError('the bank said no');
    })),
});

async function start(env: Record<string, string> = {}): Promise<SoloApp> {
  const app = await startTestApp({ TIMEZONE: ZONE, ...env }, { workflows: [breaks] });
  apps.push(app);
  await app.scheduling.ready();
  return app;
}

const transcript = async (app: SoloApp): Promise<ApiMessage[]> =>
  (await api(app.url, 'GET', '/api/messages?tail=200')).body.messages ?? [];
const digests = async (app: SoloApp): Promise<ApiMessage[]> =>
  (await transcript(app)).filter((m) => m.text.startsWith('Daily digest'));
const tap = async (app: SoloApp, message: ApiMessage | undefined, label: string): Promise<ApiMessage[]> => {
  const button = message?.buttons.find((b) => b.label.startsWith(label));
  assert.ok(button, `a ${label} button on ${message?.text}`);
  return (await api(app.url, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`)).body.messages ?? [];
};

describe('what the digest says', () => {
  test('approvals waiting, with buttons that decide; yesterday’s runs, failure and model cost; memory changes', async () => {
    const app = await start();
    await say(app.url, '/invoice Acme 1200');
    const [digest] = await say(app.url, '/digest');
    assert.match(
      digest?.text ?? '',
      /^Daily digest, \w{3} \d+ \w{3}\n\nWaiting for your approval \(1\):\n {2}• Invoice to Acme for 1,200\.00 EUR \(run r\w+\)$/,
    );
    assert.deepEqual(
      digest?.buttons.map((b) => b.label),
      ['Approve: Invoice to Acme for 1,200.00 EUR', 'Reject', 'All approvals'],
    );
    const answer = await tap(app, digest, 'Approve');
    assert.match(answer.map((m) => m.text).join('\n'), /Recorded INV-0001: Acme, /);

    await app.engine.start('breaks', {}, { origin: { channel: 'web', chatId: 'operator' } });
    await say(app.url, '/remember Acme Corp: pays net 30');
    await app.store.events.append(
      newEvent('llm.called', 'llm', {
        callId: 'c1',
        model: 'gpt-4o-mini',
        agent: 'draft',
        promptTokens: 900,
        completionTokens: 120,
        costUsd: 0.0123,
        latencyMs: 800,
        attempts: 1,
        fallback: false,
      }),
    );
    // Tomorrow, all of this is yesterday (the invoice, /digest's own run, the failure).
    const tomorrow = new Date(Date.now() + 86_400_000);
    const facts = await collectDigest(
      { approvals: app.store.approvals, events: app.store.events, followUps: async () => [], timeZone: ZONE },
      tomorrow,
    );
    const text = renderDigest(facts, tomorrow);
    const today = localDay(new Date(), ZONE).label;
    assert.match(
      text,
      new RegExp(
        `^Yesterday \\(${today}\\): 3 runs finished, 2 completed, 1 failed; model cost \\$0\\.01 \\(1 call\\)\\.$`,
        'm',
      ),
    );
    assert.match(text, /^ {2}• failed: breaks run r\w+: step "try" failed: the bank said no$/m);
    assert.match(text, /^Memory yesterday: 1 added\.\n {2}• new: Acme Corp: pays net 30$/m);
    assert.doesNotMatch(text, /approval/, 'nothing is waiting any more');
  });

  test('nothing to say: not sent by default; sent with DIGEST_WHEN_EMPTY=send', async () => {
    for (const [env, expected] of [
      [{}, 0],
      [{ DIGEST_WHEN_EMPTY: 'send' }, 1],
    ] as const) {
      const app = await start(env);
      const [made] = await say(app.url, '/schedule digest in 1 second');
      const id = /^Scheduled (s\w+)/.exec(made?.text ?? '')?.[1] ?? '';
      const fired = await until(
        async () => (await app.store.events.readStream(`schedule:${id}`)).find((e) => e.type === 'schedule.fired'),
        'the digest to fire',
      );
      assert.ok(fired.type === 'schedule.fired');
      await app.engine.idle();
      const run = await app.store.runs.get(fired.data.runId);
      assert.deepEqual(run?.result, expected ? { status: 'sent', by: 'template' } : { status: 'empty' });
      const sent = await digests(app);
      assert.equal(sent.length, expected);
      if (expected) assert.match(sent[0]!.text, /\n\nNothing waiting, nothing due, and nothing happened yesterday\.$/);
    }
  });
});

describe('quiet hours', () => {
  test('hold the digest (never drop it): it arrives once when they are over, here after a restart', async () => {
    const DATA_DIR = tempDir();
    const quiet = tempDir('solo-policies-');
    writeFileSync(
      join(quiet, 'quiet.yaml'),
      'quiet_hours:\n  all_day: [mon, tue, wed, thu, fri, sat, sun]\n  hold: [proactive]\n',
    );
    const first = await start({ DATA_DIR, POLICIES_DIR: quiet, DIGEST_WHEN_EMPTY: 'send' });
    await first.engine.start('digest', {}, { id: 'r-digest-quiet', origin: SCHEDULER_ORIGIN });
    assert.deepEqual((await first.store.runs.get('r-digest-quiet'))?.result, { status: 'held', by: 'template' });
    assert.equal((await digests(first)).length, 0);
    const { port } = (await first.scheduling.ready()) as unknown as {
      port: { get(kind: string, key: string): Promise<{ due: Date | null } | undefined> };
    };
    const release = await port.get('system', 'quiet-hours release');
    assert.ok(release?.due && release.due > new Date(), 'the scheduler will wake the release when quiet hours end');
    await first.stop();
    apps.splice(apps.indexOf(first), 1);

    const second = await start({ DATA_DIR, DIGEST_WHEN_EMPTY: 'send' });
    await until(async () => (await digests(second)).length === 1, 'the held digest to go out');
    await second.delivery.releaseHeld();
    assert.equal((await digests(second)).length, 1, 'released once');
  });
});

describe('written by the daily-digest agent', () => {
  test('with a model it writes the text from the facts and the buttons stay; over budget the template writes it', async () => {
    const script = {
      'daily-digest': () => ({ json: { text: 'Daily digest (by the model): one invoice to Acme waits for you.' } }),
    };
    const withModel = await startAgentApp(script, { env: { TIMEZONE: ZONE } });
    agentApps.push(withModel);
    await say(withModel.app.url, '/invoice Acme 1200');
    const [digest] = await say(withModel.app.url, '/digest');
    assert.equal(digest?.text, 'Daily digest (by the model): one invoice to Acme waits for you.');
    assert.deepEqual(
      digest?.buttons.map((b) => b.label),
      ['Approve: Invoice to Acme for 1,200.00 EUR', 'Reject', 'All approvals'],
    );
    const asked = withModel.fake.completions.at(-1)!;
    assert.match(JSON.stringify(asked.body['messages']), /Waiting for your approval \(1\):.*Invoice to Acme for/);
    assert.match(userText(asked.body), /^Write today's digest from the facts\.$/);

    const broke = await startAgentApp(script, { env: { TIMEZONE: ZONE }, budgets: 'budgets:\n  per_day_usd: 0\n' });
    agentApps.push(broke);
    await say(broke.app.url, '/invoice Acme 1200');
    const before = broke.fake.completions.length;
    const replies = await say(broke.app.url, '/digest');
    const fromTemplate = replies.find((m) => m.text.startsWith('Daily digest'));
    assert.match(fromTemplate?.text ?? '', /^Daily digest, .*\n\nWaiting for your approval \(1\):/);
    assert.equal(broke.fake.completions.length, before, 'no model call over budget');
  });
});

describe('calendar', () => {
  test("today's events from the connected calendar (a real Radicale)", { skip: radicaleMissing }, async () => {
    const server = await startRadicale({ ops: 'ops-secret-pw' });
    try {
      const url = await makeCalendarFor(server, 'ops', 'ops-secret-pw');
      const env = { CALDAV_URL: url, CALDAV_USERNAME: 'ops', CALDAV_PASSWORD: 'ops-secret-pw' };
      const calendar = (await createCalendarConnector(
        { ...env, CALDAV_CALENDAR: undefined },
        pino({ level: 'silent' }),
        { timeZone: ZONE },
      ))!;
      const day = localDay(new Date(), ZONE);
      const at = (minutes: number) => new Date(day.start.getTime() + minutes * 60_000).toISOString();
      await calendar.create(
        { title: 'Standup with Acme', start: at(10), end: at(40) },
        { idempotencyKey: 'digest-test:standup' },
      );
      await calendar.close();
      const app = await start(env);
      const [digest] = await say(app.url, '/digest');
      assert.match(digest?.text ?? '', /\n\nToday's calendar \(1\):\n {2}• 00:10–00:40 Standup with Acme/);
    } finally {
      await server.stop();
    }
  });
});
