// Story 1 (issue 17): a consultant selling packaged engagements, end to end on real parts: Dovecot + an SMTP server
// for mail, Radicale for the calendar, the Stripe fake (real stripe SDK, webhook on the app's own server), the
// OpenAI-compatible fake answering the qualify and draft agents, Telegram (the real grammY client against the Bot
// API fake) for the operator's chat and the web API for the rest. Acme Corp, a client from last year, sends a lead;
// it is qualified against policies/qualification.yaml, the proposal is approved on Telegram and mailed with a PDF
// and three kick-off times, the client answers "option 2" by mail, the kick-off is booked once, the invoice from the
// package is approved, issued in Stripe and mailed, Stripe's webhook says paid, and the client's memory holds the
// engagement for the next proposal. A student's mail lead is declined; /pipeline shows every lead by stage; a reply
// that names no time is settled by the operator's tap, and a rejected proposal or invoice leaves nothing behind.

import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
// eslint-disable-next-line no-restricted-imports -- test oracle: parses the mail as it landed in the client's mailbox
import { simpleParser } from 'mailparser';
import type { SoloApp } from '../../src/main.ts';
import { rawMail } from '../connectors/mail-harness.ts';
import { FakeOpenAI, type Body } from '../fakes/openai.ts';
import { StripeFake } from '../fakes/stripe/server.ts';
import type { InlineKeyboard, Message } from '../fakes/telegram/bot-api.ts';
import { FakeTelegram, OPERATOR, type Call } from '../fakes/telegram/server.ts';
import { schemaName, systemText, userText } from '../agents/support.ts';
import { api, say, startTestApp, tempDir } from '../support/app.ts';
import { OtherApp } from '../support/calendar.ts';
import { mailServerSkipReason, startMailServers, type MailServers } from '../support/mail-server.ts';
import { pdfText } from '../support/pdf-text.ts';
import { makeCalendarFor, radicaleMissing, startRadicale, type Radicale } from '../support/radicale.ts';

const skip = mailServerSkipReason() ?? radicaleMissing;
const ROOT = join(import.meta.dirname, '../..');
const OPS = 'ops@example.com';
const CLIENT = 'client@example.net';
const STUDENT = 'other@example.net';
const SECRET = 'whsec_story_consultant_0123';
const API_KEY = 'sk-test-story-0123456789abcdef';
const CAL_USER = 'ops';
const CAL_PASSWORD = 'ops-cal-pw-story';

const plain = (html: unknown): string =>
  (typeof html === 'string' ? html : '')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('story: the consultant sells a packaged engagement', { skip }, () => {
  let servers: MailServers;
  let radicale: Radicale;
  let calendar: OtherApp;
  let stripe: StripeFake;
  let openai: FakeOpenAI;
  const telegram = new FakeTelegram();
  let app: SoloApp;
  let base: string;
  let taps = 0;
  let runId = '';

  /** What the operator reads on Telegram from call index `from` on, as plain text. */
  const telegramTexts = (from = 0): string[] =>
    telegram
      .callsOf('sendMessage', OPERATOR.id)
      .filter((c) => telegram.calls.indexOf(c) >= from)
      .map((c) => plain(c.params.text));
  const nextMessage = async (pattern: RegExp, from: number): Promise<Call> =>
    telegram
      .waitForCall(
        'sendMessage',
        (c) => String(c.params.chat_id) === String(OPERATOR.id) && pattern.test(plain(c.params.text)),
        from,
      )
      .catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; the operator read: ${telegramTexts(from).join(' | ')}`);
      });
  /** The operator taps a button on a Telegram message (by its label's start). */
  const tap = (call: Call, label: string): void => {
    const message = call.result as Message;
    const button = (call.params.reply_markup as InlineKeyboard | undefined)?.inline_keyboard
      .flat()
      .find((b) => b.text.startsWith(label));
    assert.ok(button?.callback_data, `a "${label}" button on: ${plain(call.params.text)}`);
    taps++;
    telegram.api.userTaps(OPERATOR, { chatId: OPERATOR.id, messageId: message.message_id }, button.callback_data);
  };
  const landed = async (user: string, messageId: string) =>
    simpleParser(
      servers
        .doveadm(['fetch', '-u', user, 'text', 'mailbox', 'INBOX', 'header', 'Message-ID', messageId])
        .replace(/^text:\n/, ''),
    );
  const ourEvents = async (): Promise<string[]> => (await calendar.resources()).filter((r) => r.startsWith('solo-'));

  before(async () => {
    servers = await startMailServers();
    radicale = await startRadicale({ [CAL_USER]: CAL_PASSWORD });
    const calendarUrl = await makeCalendarFor(radicale, CAL_USER, CAL_PASSWORD);
    calendar = new OtherApp(calendarUrl, CAL_USER, CAL_PASSWORD);
    stripe = await new StripeFake().start();
    await telegram.start();
    openai = await new FakeOpenAI({ apiKey: API_KEY }).start();
    openai.handle((req) => {
      const agent = schemaName(req.body).replace(/_output$/, '');
      if (agent === 'qualify') return { json: qualify(req.body) };
      if (agent === 'draft')
        return {
          json: {
            subject: 'Proposal: Brand sprint for Acme Corp',
            body: 'Hi Jane,\n\nthank you for thinking of us again. Here is the Brand sprint: a two-day positioning workshop, a messaging guide and homepage copy.\n\nInvestment: 4,000.00 EUR. Duration: 10 days from the kick-off.\n\nBest, Sam',
          },
        };
      return { status: 500, error: { message: `no script for ${agent}` } };
    });
    const policies = tempDir('solo-policies-');
    copyFileSync(join(ROOT, 'policies/qualification.yaml'), join(policies, 'qualification.yaml'));
    const ops = servers.users[0]!;
    app = await startTestApp({
      SMTP_URL: servers.url('smtp', ops),
      IMAP_URL: servers.url('imap', ops),
      MAIL_FROM: `Sam Consulting <${OPS}>`,
      MAIL_POLL_SECONDS: '3600',
      CALDAV_URL: calendarUrl,
      CALDAV_USERNAME: CAL_USER,
      CALDAV_PASSWORD: CAL_PASSWORD,
      STRIPE_SECRET_KEY: stripe.apiKey,
      STRIPE_API_URL: stripe.url,
      STRIPE_WEBHOOK_SECRET: SECRET,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: API_KEY,
      OPENAI_MODEL: 'gpt-4o-mini',
      OPENAI_MAX_RETRIES: '0',
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
      POLICIES_DIR: policies,
      PACKAGES_DIR: join(ROOT, 'packages'),
      TEMPLATES_DIR: join(ROOT, 'templates'),
      RATE_LIMIT_PER_MINUTE: '0',
    });
    base = app.url;
    stripe.addWebhookEndpoint(`${base}/stripe/webhook`, SECRET);
    await app.connectors.pollMail();
  });
  after(async () => {
    await app?.stop();
    await openai?.stop();
    await telegram.stop();
    await stripe?.close();
    await radicale?.stop();
    await servers?.stop();
  });

  /** The qualify agent: Acme fits the Brand sprint (citing last year's memory); a school project does not. */
  function qualify(body: Body) {
    const system = systemText(body);
    const user = userText(body);
    if (/school project/i.test(user))
      return {
        qualified: false,
        package: null,
        reason: 'A school project: your criteria decline student work.',
        used: [],
      };
    const cited = /\[m(\d+)\] Acme Corp: workshop in 2025/.exec(system)?.[1];
    return {
      qualified: true,
      package: 'brand-sprint',
      reason: 'Founder-led B2B company, a budget around 5k is over your 2000 EUR minimum, and the founder decides.',
      used: cited ? [`m${cited}`] : [],
    };
  }

  test('set-up through the web chat: business details, working hours, what memory knows about Acme', async () => {
    await say(base, '/business name Sam Consulting');
    await say(base, '/business address 1 Market Street; Bristol; UK');
    assert.equal(
      (await say(base, '/book hours mon-sun 00:00-24:00'))[0]?.text,
      'Slots will be offered mon, tue, wed, thu, fri, sat, sun 00:00-24:00.',
    );
    await say(
      base,
      '/remember Acme Corp: workshop in 2025 went well; Jane Doe (founder) liked concrete examples; billing email client@example.net',
    );
    const packages = (await say(base, '/packages'))[0]?.text ?? '';
    assert.match(
      packages,
      /^• advisory-retainer: Advisory retainer, 2,500\.00 EUR, 30 days, template proposal\n• brand-sprint: Brand sprint, 4,000\.00 EUR, 10 days, template proposal\nCriteria: Founder-led B2B companies/,
    );
    assert.doesNotMatch(packages, /Not applied/);
  });

  test('a lead on Telegram: one client profile, a qualification card citing memory, a proposal card', async () => {
    const from = telegram.calls.length;
    telegram.api.userSends(
      OPERATOR,
      '/lead Acme Corp client@example.net Jane wants a positioning sprint before their Series A, budget around 5k',
    );
    const card = await nextMessage(/^Approval needed: Proposal to Acme Corp/, from);
    const [qualified] = telegramTexts(from);
    assert.match(
      qualified ?? '',
      /^Lead: Acme Corp <client@example\.net> \(known client\)\nQualified: yes, fits Brand sprint \(4,000\.00 EUR\)\nWhy: Founder-led B2B company, .*\nMemories used: m\d+: Acme Corp: workshop in 2025 went well; .*\nNext: a proposal draft for your approval\.$/,
    );
    const text = plain(card.params.text);
    assert.match(
      text,
      /\nTo: client@example\.net\nPackage: Brand sprint, 4,000\.00 EUR, 10 days\nKick-off times offered: 1\. \w{3} \d+ \w{3} \d{2}:\d{2}–\d{2}:\d{2}; 2\. .*; 3\. .*\nMailed with the proposal as a PDF once you approve/,
    );
    assert.match(text, /Hi Jane,\n\nthank you for thinking of us again/);
    runId = /Run (r\w+)/.exec(text)?.[1] ?? '';
    assert.ok(runId, text);
    assert.deepEqual(servers.messageIds(CLIENT), [], 'nothing leaves before approval');

    // One profile: the lead found Acme Corp by its email, no second client was made.
    const acme = await app.store.memories.byEntity('client:acme-corp', 50);
    assert.ok(acme.some((m) => /new enquiry: Jane wants a positioning sprint/.test(m.text)));
    assert.equal(
      (await app.store.memories.candidates([CLIENT], 50))
        .flatMap((m) => m.entities)
        .filter((e) => e.startsWith('client:') && e !== 'client:acme-corp').length,
      0,
    );
    // The qualify agent got the criteria, the packages and the client's memory; it is read-only.
    const asked = openai.requests.find((r) => schemaName(r.body) === 'qualify_output');
    assert.match(
      systemText(asked?.body ?? {}),
      /Must: a budget of at least 2000 EUR[\s\S]*brand-sprint: Brand sprint, 4,000\.00 EUR, 10 days/,
    );
  });

  test('approved on Telegram: mailed once with the PDF and three kick-off times', async () => {
    const card = telegram
      .callsOf('sendMessage', OPERATOR.id)
      .find((c) => plain(c.params.text).startsWith('Approval needed: Proposal to Acme Corp'))!;
    const from = telegram.calls.length;
    tap(card, 'Approve');
    const offer = await nextMessage(/^Proposal sent to Acme Corp/, from);
    assert.deepEqual(
      (offer.params.reply_markup as InlineKeyboard).inline_keyboard.flat().map((b) => b.text.slice(0, 3)),
      ['1. ', '2. ', '3. '],
    );
    const [messageId] = servers.messageIds(CLIENT);
    assert.equal(servers.messageIds(CLIENT).length, 1, 'exactly one mail');
    const mail = await landed(CLIENT, messageId ?? '');
    assert.equal(mail.subject, 'Proposal: Brand sprint for Acme Corp');
    assert.match(
      mail.text ?? '',
      /^Hi Jane,[\s\S]*To start, reply with the number of the kick-off time that suits you:\n1\. .*\n2\. .*\n3\. .*\n\nThe proposal is attached as a PDF\.\n\nSam Consulting/,
    );
    assert.deepEqual(
      mail.attachments.map((a) => [a.filename, a.contentType]),
      [['proposal-brand-sprint.pdf', 'application/pdf']],
    );
    const words = pdfText(mail.attachments[0]!.content);
    for (const expected of [
      'Proposal: Brand sprint',
      'Sam Consulting · for Acme Corp',
      'thank you for thinking of us again',
    ])
      assert.ok(words.includes(expected), `the PDF says "${expected}": ${words}`);
  });

  test('the client answers "option 2" by mail: the kick-off is booked once; the invoice card follows', async () => {
    const [proposalId] = servers.messageIds(CLIENT);
    const from = telegram.calls.length;
    await servers.deliver(
      rawMail(
        {
          From: `Jane Doe <${CLIENT}>`,
          To: OPS,
          Subject: 'Re: Proposal: Brand sprint for Acme Corp',
          'Message-ID': '<jane-1@example.net>',
          'In-Reply-To': proposalId ?? '',
          References: proposalId ?? '',
        },
        'Option 2 works for us, see you then!\n\nOn Monday Sam wrote:\n> 1. first time',
      ),
      [OPS],
      CLIENT,
    );
    assert.equal(await app.connectors.pollMail(), 1);
    const card = await nextMessage(/^Approval needed: Invoice to Acme Corp for 4,000\.00 EUR/, from);
    const texts = telegramTexts(from);
    assert.ok(
      texts.some((t) =>
        /^Booked "Kick-off: Brand sprint with Acme Corp": \w{3} \d+ \w{3} \d{2}:\d{2}–\d{2}:\d{2} /.test(t),
      ),
      texts.join(' | '),
    );
    assert.match(
      plain(card.params.text),
      /\nStripe: issued and sent to client@example\.net\nMail: the PDF to "Acme Corp" <client@example\.net> once approved/,
    );

    const slots = (
      (await app.store.runs.steps(runId)).find((s) => s.stepId === 'slots')?.result as { slots: { start: string }[] }
    ).slots;
    const events = await ourEvents();
    assert.equal(events.length, 1, 'exactly one calendar event');
    const event = await app.connectors.calendar?.get(events[0]!.replace(/\.ics$/, ''));
    assert.equal(event?.start, new Date(slots[1]!.start).toISOString(), 'at the second slot, as the client wrote');
    assert.equal(event?.title, 'Kick-off: Brand sprint with Acme Corp');
    // A late tap on the old offer books nothing more.
    const offer = telegram
      .callsOf('sendMessage', OPERATOR.id)
      .find((c) => plain(c.params.text).startsWith('Proposal sent to Acme Corp'))!;
    const before = telegram.calls.length;
    tap(offer, '1.');
    taps--; // not part of the story
    await nextMessage(/no longer open|already chosen/, before);
    assert.equal((await ourEvents()).length, 1);
  });

  test('the invoice from the package: approved, issued in Stripe, mailed with its PDF; a reminder is scheduled', async () => {
    const card = telegram
      .callsOf('sendMessage', OPERATOR.id)
      .find((c) => plain(c.params.text).startsWith('Approval needed: Invoice to Acme Corp'))!;
    const from = telegram.calls.length;
    tap(card, 'Approve');
    const recorded = await nextMessage(/^Recorded INV-0001/, from);
    assert.match(
      plain(recorded.params.text),
      /^Recorded INV-0001: Acme Corp, 4,000\.00 EUR\.\nIssued in Stripe as [\w-]+: https:\/\/invoice\.stripe\.com\/\S+\.\nPDF: invoices\/INV-0001\.pdf\.\nMailed to "Acme Corp" <client@example\.net>\.$/,
    );
    const issued = stripe
      .invoices()
      .filter((i) => (i['metadata'] as Record<string, string>)['ledger_invoice'] === 'INV-0001');
    assert.equal(issued.length, 1);
    assert.deepEqual(
      (issued[0]!['lines'] as { data: { description: string; amount: number }[] }).data.map((l) => [
        l.description,
        l.amount,
      ]),
      [['Brand sprint', 400_000]],
    );
    const invoice = await app.store.ledger.getInvoice(1);
    assert.equal(servers.messageIds(CLIENT).length, 2);
    assert.equal((await landed(CLIENT, invoice?.mailMessageId ?? '')).attachments[0]?.filename, 'INV-0001.pdf');
    await app.engine.idle();
    const { schedules } = await app.scheduling.ready();
    const reminder = (await schedules.list(50)).find((s) => s.schedule.workflow === 'consultant-reminder');
    assert.equal(reminder?.schedule.title, 'If INV-0001 (Acme Corp) is unpaid: a polite reminder');
    assert.ok(
      reminder?.next && reminder.next.toISOString().slice(0, 10) > (invoice?.dueDate ?? ''),
      'after the due date',
    );

    // When it fires (started here as the schedule would, with its input), the reminder asks before it mails.
    await app.engine.start('consultant-reminder', reminder?.schedule.input, {
      id: 'r-overdue-test',
      origin: { channel: 'web', chatId: 'operator' },
    });
    await app.engine.idle();
    const asks = (await api(base, 'GET', '/api/messages?after=0&limit=500')).body.messages
      ?.filter((m) => m.text.startsWith('Approval needed: Reminder: INV-0001'))
      .at(-1);
    assert.match(
      asks?.text ?? '',
      /^Approval needed: Reminder: INV-0001 to Acme Corp is overdue\nTo: client@example\.net\nAmount: 4,000\.00 EUR, due \d{4}-\d{2}-\d{2}\n/,
    );
    assert.equal(servers.messageIds(CLIENT).length, 2, 'nothing is mailed before approval');
    const approved = await api(
      base,
      'POST',
      `/api/buttons/${encodeURIComponent(asks?.buttons.find((b) => b.label === 'Approve')?.id ?? '')}`,
    );
    assert.equal(approved.body.messages?.at(-1)?.text, 'Reminder for INV-0001 sent to client@example.net.');
    const ids = servers.messageIds(CLIENT);
    assert.equal(ids.length, 3);
    const nudge = await landed(CLIENT, ids[2]!);
    assert.equal(nudge.subject, 'Reminder: invoice INV-0001');
    assert.equal(nudge.inReplyTo, invoice?.mailMessageId, "in the invoice mail's thread");
  });

  test('a mail lead from a student is declined; /pipeline shows who waits on whom', async () => {
    const from = telegram.calls.length;
    await servers.deliver(
      rawMail(
        {
          From: `Tom Student <${STUDENT}>`,
          To: OPS,
          Subject: 'Workshop for my school project?',
          'Message-ID': '<tom-1@example.net>',
        },
        'Hi, I am interested in a workshop for my school project. What are your rates?',
      ),
      [OPS],
      STUDENT,
    );
    assert.equal(await app.connectors.pollMail(), 1);
    await app.engine.idle();
    const web = await app.store.events.readStream('chat:web:operator', { types: ['message.sent'] });
    const declined = web
      .flatMap((e) => (e.type === 'message.sent' ? [e.data.text] : []))
      .find((t) => t.startsWith('Lead: Tom Student'));
    assert.ok(
      web.some(
        (e) =>
          e.type === 'message.sent' &&
          e.data.text === 'Reply from Jane Doe <client@example.net> — Re: Proposal: Brand sprint for Acme Corp',
      ),
      "the client's answer was announced",
    );
    assert.ok(
      web.some(
        (e) =>
          e.type === 'message.sent' &&
          e.data.text === 'New lead: Tom Student <other@example.net> — Workshop for my school project?',
      ),
    );
    assert.match(
      declined ?? '',
      /^Lead: Tom Student <other@example\.net> \(new client\)\nQualified: no\nWhy: A school project: your criteria decline student work\.\nMemories used: none\nNothing is sent\.$/,
    );
    assert.deepEqual(servers.messageIds(STUDENT), [], 'nothing is sent to a declined lead');
    // The mail's words reached the model only marked as untrusted, and the address redacted.
    const asked = userText(openai.requests.filter((r) => schemaName(r.body) === 'qualify_output').at(-1)?.body ?? {});
    assert.match(asked, /⟦untrusted:\w+ source="email from \[EMAIL_1\]"⟧\nWorkshop for my school project\?/);
    assert.ok(!asked.includes(STUDENT), 'no email address reaches the model');
    void from;

    const pipeline = (await say(base, '/pipeline'))[0]?.text ?? '';
    assert.match(
      pipeline,
      /^Pipeline: 2 leads\n\nInvoiced:\n• Acme Corp — waits on Acme Corp: payment of INV-0001 \(\/run r\w+\)\n\nNot qualified:\n• Tom Student \(\/run r\w+\)$/,
    );
  });

  test('Stripe says paid: the reminder is dropped, the engagement is written to memory, a follow-up is set', async () => {
    const from = telegram.calls.length;
    const invoice = await app.store.ledger.getInvoice(1);
    const paid = await fetch(`${stripe.url}/v1/invoices/${invoice?.stripeInvoiceId ?? ''}/pay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stripe.apiKey}` },
    });
    assert.equal(paid.status, 200);
    await stripe.settled();
    const done = await nextMessage(/^Paid: INV-0001 from Acme Corp/, from);
    assert.match(
      plain(done.params.text),
      /^Paid: INV-0001 from Acme Corp\. Written to their memory \(m\d+\); follow-up set for \d{4}-\d{2}-\d{2}\.$/,
    );
    await app.engine.idle();
    const run = await app.store.runs.get(runId);
    assert.deepEqual([run?.status, run?.result], ['completed', { status: 'complete', invoice: 'INV-0001' }]);
    const { schedules } = await app.scheduling.ready();
    const list = (await schedules.list(50)).map((s) => s.schedule.title);
    assert.ok(!list.some((t) => t.startsWith('If INV-0001')), `the overdue reminder is gone: ${list.join(' | ')}`);
    assert.ok(list.includes('Follow up with Acme Corp after the Brand sprint'), list.join(' | '));
    const memory = (await app.store.memories.byEntity('client:acme-corp', 50)).map((m) => m.text);
    assert.ok(
      memory.some((t) =>
        /^Acme Corp: Brand sprint engagement \(4,000\.00 EUR\): proposal "Proposal: Brand sprint for Acme Corp" accepted, kick-off .*, INV-0001 paid through Stripe on \d{4}-\d{2}-\d{2}\.$/.test(
          t,
        ),
      ),
      memory.join('\n'),
    );
    assert.ok(
      memory.some((t) => /^Acme Corp: proposal "Proposal: Brand sprint for Acme Corp" for the Brand sprint/.test(t)),
    );
    assert.match(
      (await say(base, '/pipeline'))[0]?.text ?? '',
      /\n\nClient \(engagement paid\):\n• Acme Corp — follow-up scheduled; INV-0001 paid \(\/run r\w+\)/,
    );
    assert.match((await say(base, `/run ${runId}`))[0]?.text ?? '', /consultant/);

    // What one story run cost: model calls and prompt tokens of this lead's run, and the operator's taps.
    const calls = (await app.store.events.readStream(`run:${runId}`)).flatMap((e) =>
      e.type === 'llm.called' && e.data.runId === runId ? [e.data] : [],
    );
    const prompt = calls.reduce((sum, c) => sum + c.promptTokens, 0);
    assert.equal(calls.length, 2, 'qualify and draft: two model calls');
    assert.equal(taps, 2, 'approve the proposal, approve the invoice');
    console.log(`consultant story: ${calls.length} model calls, ${prompt} prompt tokens, ${taps} operator taps`);
  });

  test('the next proposal draws on the engagement; Reject sends nothing', async () => {
    const from = telegram.calls.length;
    const mailsBefore = servers.messageIds(CLIENT).length;
    telegram.api.userSends(OPERATOR, '/lead Acme Corp client@example.net Jane asks about a retainer after the sprint');
    const card = await nextMessage(/^Approval needed: Proposal to Acme Corp/, from);
    const drafted = openai.requests.filter((r) => schemaName(r.body) === 'draft_output').at(-1);
    assert.match(
      userText(drafted?.body ?? {}),
      /What we have done together before: .*Brand sprint engagement \(4,000\.00 EUR\)/,
    );
    tap(card, 'Reject');
    await nextMessage(/^The proposal to Acme Corp was not sent \(rejected\)\.$/, from);
    assert.equal(servers.messageIds(CLIENT).length, mailsBefore);
  });
  test('a reply that names no time: the operator taps the one the client meant; a rejected invoice records nothing', async () => {
    const from = telegram.calls.length;
    telegram.api.userSends(
      OPERATOR,
      '/lead Acme Corp client@example.net Jane wants a second sprint for their new product line',
    );
    const card = await nextMessage(/^Approval needed: Proposal to Acme Corp/, from);
    const run = /Run (r\w+)/.exec(plain(card.params.text))?.[1] ?? '';
    tap(card, 'Approve');
    await nextMessage(/^Proposal sent to Acme Corp/, from);
    const proposal = servers.messageIds(CLIENT).at(-1) ?? '';
    await servers.deliver(
      rawMail(
        {
          From: `Jane Doe <${CLIENT}>`,
          To: OPS,
          Subject: 'Re: Proposal: Brand sprint for Acme Corp',
          'Message-ID': '<jane-2@example.net>',
          'In-Reply-To': proposal,
          References: proposal,
        },
        'Sounds good! Whatever suits you best.',
      ),
      [OPS],
      CLIENT,
    );
    assert.equal(await app.connectors.pollMail(), 1);
    const ask = await nextMessage(/^Acme Corp replied but named no kick-off time/, from);
    assert.equal(
      plain(ask.params.text).split('\n')[0],
      'Acme Corp replied but named no kick-off time ("Re: Proposal: Brand sprint for Acme Corp"). Tap the one they want:',
    );
    const eventsBefore = (await ourEvents()).length;
    tap(ask, '3.');
    const invoiceCard = await nextMessage(/^Approval needed: Invoice to Acme Corp/, from);
    const slots = (
      (await app.store.runs.steps(run)).find((st) => st.stepId === 'slots')?.result as { slots: { start: string }[] }
    ).slots;
    const events = await ourEvents();
    assert.equal(events.length, eventsBefore + 1);
    const starts = await Promise.all(
      events.map(async (e) => (await app.connectors.calendar?.get(e.replace(/\.ics$/, '')))?.start),
    );
    assert.ok(starts.includes(new Date(slots[2]!.start).toISOString()), 'booked at the third slot, as tapped');
    tap(invoiceCard, 'Reject');
    await nextMessage(/^The invoice to Acme Corp for 4,000\.00 EUR was not recorded \(rejected\)\.$/, from);
    await app.engine.idle();
    assert.deepEqual((await app.store.runs.get(run))?.result, { status: 'not_invoiced' });
    assert.equal(await app.store.ledger.getInvoice(2), null, 'no number taken');

    // Clients memory knows without a lead of their own are listed too.
    await say(base, '/remember Initech: client since 2024, quarterly workshops');
    assert.match((await say(base, '/pipeline'))[0]?.text ?? '', /\n\nOther clients \(nothing open\):\n• Initech$/);
  });
});
