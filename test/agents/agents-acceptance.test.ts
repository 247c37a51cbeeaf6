// Acceptance for agents, LLM and policies with the real openai client against the OpenAI-compatible fake:
// "Draft a follow-up email to Acme about the proposal" → router → draft agent → approval card carrying the draft;
// the request carries Acme's memory and never a stored card number or API key; a tiny run budget suspends the run
// on an overspend card; /costs shows the run's tokens and cost; /policies shows the violation.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, say } from '../support/app.ts';
import { startAgentApp, systemText, userText, type AgentApp } from './support.ts';

const CARD = '4111 1111 1111 1111';
const KEY = 'sk-live-51HxYzAbCdEfGhIjKlMnOpQrStUv';

describe('agents acceptance', () => {
  let h: AgentApp;
  let routeFor: (text: string) => Record<string, unknown>;

  before(async () => {
    routeFor = (text) => {
      if (/^hello/i.test(text))
        return { action: 'reply', understood: 'A greeting.', reply: 'Hello! How can I help today?' };
      const invoice = /^Invoice (\w+) (\d+) (\S+)$/.exec(text);
      if (invoice)
        return {
          action: 'workflow',
          workflow: 'invoice',
          understood: `An invoice to ${invoice[1]}.`,
          client: invoice[1],
          amount: Number(invoice[2]),
          currency: invoice[3],
        };
      if (/draft/i.test(text))
        return {
          action: 'workflow',
          workflow: 'draft',
          understood: 'Draft a follow-up email to Acme about the proposal.',
          client: 'Acme',
          instructions: 'A follow-up email to Acme about the proposal.',
        };
      if (/\?$/.test(text)) return { action: 'answer', understood: 'A question about Acme.', question: text };
      return { action: 'remember', understood: 'A fact about Acme.', fact: text };
    };
    h = await startAgentApp(
      {
        router: (body) => ({ json: routeFor(userText(body)) }),
        draft: (body) => ({
          json: {
            to: 'Acme Corp',
            subject: 'Following up on our proposal',
            body: `Hi Jane,\n\nFollowing up on the proposal${/monday/.test(systemText(body)) ? ' I sent on monday' : ''}. Happy to talk.\n\nBest`,
          },
        }),
        research: (body) => {
          const id = /\[m(\d+)\][^\n]*budget/.exec(systemText(body))?.[1];
          return {
            json: { answer: id ? 'Acme’s budget is 40,000 EUR.' : 'I do not know yet.', used: id ? [`m${id}`] : [] },
          };
        },
      },
      { budgets: 'budgets:\n  per_run_usd: 0.50\n  per_day_usd: 5\n' },
    );
    await say(h.app.url, '/remember Acme Corp: proposal for the website rebrand sent on monday, 12000 EUR');
    await say(h.app.url, `/remember Acme Corp: pays by card ${CARD}, portal api key ${KEY}`);
  });
  after(() => h.stop());

  test('"hello" is one small router call answered directly', async (t) => {
    const before = h.fake.completions.length;
    const [reply] = await say(h.app.url, 'hello there');
    assert.equal(reply?.text, 'Hello! How can I help today?');
    assert.equal(h.fake.completions.length, before + 1, 'one model call');
    const calls = await h.app.store.events.readRange({ types: ['llm.called'] });
    const last = calls.at(-1);
    assert.ok(last?.type === 'llm.called' && last.data.agent === 'router');
    const tokens = last.type === 'llm.called' ? last.data.promptTokens : 0;
    t.diagnostic(`router prompt tokens for "hello": ${tokens}`);
    assert.ok(tokens > 0 && tokens < 2000, `a simple turn costs ${tokens} prompt tokens`);
  });

  test('draft request → router → draft agent → approval card carrying the draft; memory in, secrets out', async () => {
    h.fake.requests.length = 0;
    const replies = await say(h.app.url, 'Draft a follow-up email to Acme about the proposal');
    assert.match(replies[0]?.text ?? '', /^Understood: Draft a follow-up email to Acme about the proposal\./);
    const card = replies.find((r) => r.text.startsWith('Approval needed:'));
    assert.ok(card, JSON.stringify(replies));
    assert.match(card.text, /Email to Acme Corp: Following up on our proposal/);
    assert.match(card.text, /Following up on the proposal I sent on monday/, 'the draft agent saw Acme’s memory');
    assert.deepEqual(
      card.buttons.map((b) => b.label),
      ['Approve', 'Reject', 'Edit'],
    );
    const draftRequest = h.fake.completions.find((r) => systemText(r.body).includes('drafting agent'));
    assert.ok(draftRequest);
    assert.match(systemText(draftRequest.body), /proposal for the website rebrand sent on monday/);
    for (const r of h.fake.requests) {
      const sent = JSON.stringify(r.body);
      assert.ok(!sent.includes(CARD) && !sent.includes(CARD.replaceAll(' ', '')), 'no card number reaches the model');
      assert.ok(!sent.includes(KEY), 'no API key reaches the model');
    }
    assert.ok(
      h.fake.requests.some((r) => JSON.stringify(r.body).includes('[CARD_1]')),
      'the card is masked, not dropped silently',
    );
    const approve = card.buttons.find((b) => b.label === 'Approve')!;
    const res = await api(h.app.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`);
    assert.match(res.body.messages?.at(-1)?.text ?? '', /^Approved: "Following up on our proposal" to Acme Corp/);
    const ran = await h.app.store.events.readRange({ types: ['agent.ran'] });
    const draftRan = ran.find((e) => e.type === 'agent.ran' && e.data.agent === 'draft');
    assert.ok(
      draftRan?.type === 'agent.ran' && draftRan.data.version === '1.0.0' && draftRan.data.promptVersion === 'v1',
      'the run records agent and prompt versions',
    );
  });

  test('free text remembers a fact and answers a question from memory; why? shows where it came from', async () => {
    const [remembered] = await say(h.app.url, 'Acme Corp: budget for next year is 40000 EUR');
    assert.match(remembered?.text ?? '', /^Understood: A fact about Acme\.\nRemembered #\d+/);
    const [answer] = await say(h.app.url, 'What is the Acme budget?');
    assert.match(answer?.text ?? '', /Acme’s budget is 40,000 EUR\.\n\(why\? shows the 1 memory used\)/);
    const [why] = await say(h.app.url, 'why?');
    assert.match(why?.text ?? '', /budget for next year is 40000 EUR\n\s+↳ said on web/);
  });

  test('a free-text invoice takes the currency the model read, a symbol included; a bare $ is asked about', async () => {
    const gbp = await say(h.app.url, 'Invoice Globex 100 £');
    assert.match(
      gbp.find((m) => m.text.startsWith('Approval needed'))?.text ?? '',
      /^Approval needed: Invoice to Globex for 100\.00 GBP/,
    );
    const usd = await say(h.app.url, 'Invoice Globex 100 usd');
    assert.match(
      usd.find((m) => m.text.startsWith('Approval needed'))?.text ?? '',
      /^Approval needed: Invoice to Globex for 100\.00 USD/,
    );
    const dollar = await say(h.app.url, 'Invoice Globex 100 $');
    assert.deepEqual(
      dollar.map((m) => m.text),
      [
        'Understood: An invoice to Globex.\nWhich dollar? Write it with its code, e.g. /invoice Globex 100 USD (or CAD, AUD).',
      ],
    );
  });

  test('an update remembered from free text keeps the old version and offers Undo', async () => {
    const [first] = await say(h.app.url, 'Initech: pays invoices net 30');
    const [second] = await say(h.app.url, 'Initech: now pays invoices net 45');
    assert.match(
      second?.text ?? '',
      new RegExp(
        `^Understood: A fact about Acme\\.\\nUpdated #${/#(\d+)/.exec(first?.text ?? '')?.[1]} → #\\d+ \\(about Initech\\)`,
      ),
    );
    assert.deepEqual(
      second?.buttons.map((b) => b.label),
      ['Undo'],
    );
  });

  test('/costs shows tokens and cost per workflow, agent and day', async () => {
    const [costs] = await say(h.app.url, '/costs');
    assert.match(costs?.text ?? '', /^Last 30 days: total: \$[\d.]+ · \d+ calls · [\d,]+ in \/ [\d,]+ out tokens/);
    assert.match(costs?.text ?? '', /Per workflow:\n(.*\n)*\s+draft: \$[\d.]+ · 1 call/);
    assert.match(costs?.text ?? '', /Per agent:\n(.*\n)*\s+router: /);
  });
});

describe('budgets stop spending before the call', () => {
  let h: AgentApp;
  before(async () => {
    h = await startAgentApp(
      {
        router: () => ({
          json: {
            action: 'workflow',
            workflow: 'draft',
            understood: 'Draft an email to Acme.',
            client: 'Acme',
            instructions: 'Email to Acme.',
          },
        }),
        draft: () => ({ json: { subject: 'Hello Acme', body: 'Hi!' } }),
      },
      { budgets: 'budgets:\n  per_run_usd: 0.0000001\n  per_day_usd: 5\n' },
    );
  });
  after(() => h.stop());

  test('a tiny run budget suspends the run on an "approve overspend?" card; approving lets exactly that call through', async () => {
    const replies = await say(h.app.url, 'Draft an email to Acme');
    const draftCalls = () => h.fake.completions.filter((r) => systemText(r.body).includes('drafting agent')).length;
    assert.equal(draftCalls(), 0, 'the draft call was not made');
    const card = replies.find((r) => r.text.startsWith('Approval needed: Approve overspend?'));
    assert.ok(card, JSON.stringify(replies.map((r) => r.text)));
    assert.match(card.text, /per_run_usd budget/);
    const violations = await h.app.store.events.readRange({ types: ['policy.violation'] });
    assert.ok(violations.some((v) => v.type === 'policy.violation' && v.data.policy === 'budgets'));
    const approve = card.buttons.find((b) => b.label === 'Approve')!;
    const res = await api(h.app.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`);
    assert.equal(draftCalls(), 1, 'exactly one call after the approval');
    assert.ok(
      res.body.messages?.some((m) => m.text.startsWith('Approval needed: Email to Acme: Hello Acme')),
      JSON.stringify(res.body.messages?.map((m) => m.text)),
    );
    const [policies] = await say(h.app.url, '/policies');
    assert.match(policies?.text ?? '', /Recent violations:\n.*budgets\/per_run_usd/);
  });

  test('a rejected overspend stops the run and spends nothing', async () => {
    const before = h.fake.completions.length;
    const replies = await say(h.app.url, 'Draft another email to Acme', 'second-draft');
    const card = replies.find((r) => r.text.startsWith('Approval needed: Approve overspend?'))!;
    const reject = card.buttons.find((b) => b.label === 'Reject')!;
    const res = await api(h.app.url, 'POST', `/api/buttons/${encodeURIComponent(reject.id)}`);
    assert.match(
      res.body.messages?.at(-1)?.text ?? '',
      /The draft was not written: the per_run_usd budget stays as it is \(rejected\)\./,
    );
    assert.equal(h.fake.completions.length, before + 1, 'only the router call was made');
  });
});
