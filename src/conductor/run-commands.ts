// Commands and buttons for durable runs: /invoice, /invoices, /currency, /runs, /run, /approvals, /cancel,
// and the Approve / Reject / Edit, review-remedy and "which invoice did you mean?" buttons.

import { stableId } from '../domain/ids.ts';
import { currencyOf, DOLLAR, formatMoney } from '../domain/money.ts';
import { truncate } from '../domain/text.ts';
import { approvalCard, decidedCard, APPROVAL_ACTION, REVIEW_ACTION } from '../engine/cards.ts';
import type { InboundContext } from '../inbound/context.ts';
import type { RunRecord } from '../ports/engine-store.ts';
import { entityKey } from '../memory/entities.ts';
import { invoiceNumber, type InvoiceInput } from '../workflows/invoice.ts';
import { ask, take, type ChoiceRules } from './choices.ts';
import { describeReading, readInvoiceArgs } from './invoice-args.ts';
import type { Registry } from './registry.ts';
import { formatTimeline, describeStatus, ago } from './run-format.ts';

const DEFAULT_CURRENCY = 'EUR';
const editKey = (ctx: InboundContext): string => `pending-edit:${ctx.event.channel}:${ctx.event.chatId}`;
const who = (ctx: InboundContext): string => `${ctx.event.channel}:${ctx.event.senderId}`;

const INVOICE_CHOICE = 'iv';

async function startInvoice(ctx: InboundContext, input: InvoiceInput, runId: string): Promise<void> {
  await ctx.services.engine.start('invoice', input, { id: runId, origin: { channel: ctx.event.channel, chatId: ctx.event.chatId }, reply: ctx.reply });
}

async function invoice(ctx: InboundContext, args: string): Promise<void> {
  const currency = (await ctx.services.store.settings.get<string>('currency')) ?? DEFAULT_CURRENCY;
  const { memory } = ctx.services;
  const parsed = readInvoiceArgs(args, { currency, isKnownClient: (name) => memory.entityName(entityKey('client', name)) !== undefined });
  if ('error' in parsed) return void (await ctx.reply(parsed.error));
  const { readings } = parsed;
  if (readings.length === 1) {
    // The run id comes from the update: a redelivered /invoice finds its run instead of starting a second.
    return startInvoice(ctx, readings[0]!, stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`));
  }
  await ask(ctx, INVOICE_CHOICE, {
    text: `I can read that ${readings.length} ways. Which invoice did you mean?\n${readings.map((r, i) => `${i + 1}. ${describeReading(r)}`).join('\n')}`,
    options: readings,
    buttons: readings.map((r, i) => ({ label: `${i + 1}. ${describeReading(r)}`, choice: String(i) })),
  });
}

const invoiceChoice: ChoiceRules<InvoiceInput[]> = {
  valid: (choice, readings) => /^\d$/.test(choice) && Number(choice) < readings.length,
  describe: (choice, readings) => {
    const r = readings[Number(choice)];
    return r ? `the invoice to ${describeReading(r)}` : 'another choice';
  },
};

async function findRun(ctx: InboundContext, arg: string): Promise<RunRecord | null> {
  const id = arg.trim();
  if (!id) {
    await ctx.reply('Which run? Give its id; /runs lists recent runs.');
    return null;
  }
  const run = await ctx.services.store.runs.get(id);
  if (!run) await ctx.reply(`There is no run ${truncate(id, 40)}. /runs lists recent runs.`);
  return run;
}

async function decide(ctx: InboundContext, approvalId: string, choice: string): Promise<void> {
  const { store, engine } = ctx.services;
  if (choice !== 'y' && choice !== 'n' && choice !== 'e') return void (await ctx.reply('That button is not Approve, Reject or Edit, so nothing was decided.'));
  const approval = await store.approvals.get(approvalId);
  if (!approval) return void (await ctx.reply('That approval is not known here any more; /approvals lists what is waiting.'));
  if (approval.status !== 'pending') return void (await ctx.reply(`Already decided — ${decidedCard(approval).text} Nothing more to do.`));
  if (choice === 'e') {
    if (approval.card.text === undefined) return void (await ctx.reply('This card has no text to edit.'));
    await store.settings.set(editKey(ctx), approval.id);
    return void (await ctx.reply('Send the new text as your next message; it replaces the draft on this card.'));
  }
  const now = engine.now();
  if (approval.expiresAt <= now) {
    if (await store.approvals.decide(approval.id, { status: 'expired', by: 'system', via: 'expiry', at: now })) {
      await ctx.reply(`This approval expired at ${approval.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, so nothing was done.`);
      await engine.resumeAfterDecision(approval, 'expired', 'system', 'expiry', ctx.reply);
    } else await ctx.reply('This approval was already settled; nothing more to do.');
    return;
  }
  const status = choice === 'y' ? 'approved' : 'rejected';
  if (!(await store.approvals.decide(approval.id, { status, by: who(ctx), via: ctx.event.channel, at: now }))) {
    const current = await store.approvals.get(approval.id);
    return void (await ctx.reply(`Already decided — ${current ? decidedCard(current).text : ''} Nothing more to do.`));
  }
  await ctx.reply(`${status === 'approved' ? 'Approved' : 'Rejected'}: ${approval.card.title}.`);
  await engine.resumeAfterDecision(approval, status, who(ctx), ctx.event.channel, ctx.reply);
}

export function registerRunCommands(registry: Registry): Registry {
  return registry
    .command({
      name: 'invoice',
      usage: '<client> <amount> [description]',
      description: 'draft an invoice for approval (1200, 1,200.50, 1 200,5; a currency as $100, 100 USD or EUR 100)',
      run: invoice,
    })
    .command({
      name: 'invoices',
      description: 'recorded invoices',
      run: async (ctx) => {
        const invoices = await ctx.services.store.ledger.listInvoices(50);
        if (invoices.length === 0) return void (await ctx.reply('No invoices recorded yet. /invoice drafts one.'));
        const lines = invoices.map((i) => `${invoiceNumber(i.number)} · ${i.client} · ${formatMoney(i.amountMinor, i.currency)} · ${i.status} · ${i.createdAt.toISOString().slice(0, 10)}`);
        await ctx.reply(lines.join('\n'));
      },
    })
    .command({
      name: 'currency',
      usage: '[code]',
      description: 'show or set the currency for new invoices (an ISO 4217 code such as USD, or a symbol such as £)',
      run: async (ctx, args) => {
        const written = args.trim();
        if (!written) return void (await ctx.reply(`New invoices use ${(await ctx.services.store.settings.get<string>('currency')) ?? DEFAULT_CURRENCY}.`));
        const code = currencyOf(written);
        if (code === DOLLAR) return void (await ctx.reply('A bare $ could be USD, CAD, AUD and more; give the code, e.g. /currency USD.'));
        if (!code) return void (await ctx.reply(`"${truncate(written, 20)}" is not an ISO 4217 currency code; give one such as USD, EUR or GBP.`));
        await ctx.services.store.settings.set('currency', code);
        await ctx.reply(`New invoices will use ${code}.`);
      },
    })
    .command({
      name: 'runs',
      description: 'recent workflow runs and their status',
      run: async (ctx) => {
        const runs = await ctx.services.store.runs.list({ limit: 15 });
        if (runs.length === 0) return void (await ctx.reply('No runs yet.'));
        const now = ctx.services.engine.now();
        await ctx.reply(runs.map((r) => `${r.id} ${r.workflow} · ${describeStatus(r)} · ${ago(r.createdAt, now)}`).join('\n'));
      },
    })
    .command({
      name: 'run',
      usage: '<id>',
      description: "a run's timeline: steps, attempts, durations, errors",
      run: async (ctx, args) => {
        const run = await findRun(ctx, args);
        if (!run) return;
        const steps = await ctx.services.store.runs.steps(run.id);
        const approvals = await Promise.all(steps.filter((s) => s.kind === 'approval').map((s) => ctx.services.store.approvals.findByStep(run.id, s.stepId)));
        await ctx.reply(formatTimeline(run, steps, approvals.filter((a) => a !== null)));
      },
    })
    .command({
      name: 'approvals',
      description: 'everything waiting for your approval, with its buttons',
      run: async (ctx) => {
        await ctx.services.engine.expireDue();
        const pending = await ctx.services.store.approvals.listPending(50);
        if (pending.length === 0) return void (await ctx.reply('Nothing is waiting for your approval.'));
        for (const approval of pending) await ctx.services.engine.addCardCopy(approval.id, (await ctx.reply(approvalCard(approval))).ref);
      },
    })
    .command({
      name: 'cancel',
      usage: '<run id>',
      description: 'cancel a run and undo what it did',
      run: async (ctx, args) => {
        const run = await findRun(ctx, args);
        if (!run) return;
        if (['completed', 'failed', 'cancelled'].includes(run.status)) return void (await ctx.reply(`Run ${run.id} already ended (${run.status}); nothing to cancel.`));
        const after = await ctx.services.engine.cancel(run.id, ctx.reply);
        if (after?.status === 'needs_review') return;
        await ctx.reply(`Run ${run.id}: ${after ? describeStatus(after) : 'gone'}.`);
      },
    })
    .action({
      name: INVOICE_CHOICE,
      run: async (ctx, arg) => {
        const picked = await take(ctx, arg, invoiceChoice);
        // One run per question: a second tap (even of another reading) finds it instead of starting another.
        if (picked) await startInvoice(ctx, picked.options[Number(picked.choice)]!, stableId('r', `choice:${picked.id}`));
      },
    })
    .action({ name: APPROVAL_ACTION, run: (ctx, arg) => decide(ctx, arg.split(':')[0] ?? '', arg.split(':')[1] ?? '') })
    .action({
      name: REVIEW_ACTION,
      run: async (ctx, arg) => {
        const [runId = '', remedy = ''] = arg.split(':');
        if (remedy !== 'retry' && remedy !== 'skip' && remedy !== 'cancel') return void (await ctx.reply('That button is not a remedy I know.'));
        const run = await ctx.services.store.runs.get(runId);
        if (!run) return void (await ctx.reply(`There is no run ${runId}.`));
        if (run.status !== 'needs_review') return void (await ctx.reply(`Run ${run.id} is no longer waiting for review (${describeStatus(run)}); nothing to do.`));
        const after = await ctx.services.engine.remedy(run.id, remedy, ctx.reply);
        if (after && after.status !== 'needs_review') await ctx.reply(`Run ${after.id}: ${describeStatus(after)}.`);
      },
    })
    .text(async (ctx, text) => {
      const { store } = ctx.services;
      const approvalId = await store.settings.get<string>(editKey(ctx));
      if (!approvalId) return false;
      await store.settings.set(editKey(ctx), null);
      const approval = await store.approvals.get(approvalId);
      if (!approval || approval.status !== 'pending') {
        await ctx.reply('That card was decided in the meantime, so the edit was not applied.');
        return true;
      }
      await store.approvals.update(approvalId, { editedText: text });
      await ctx.reply(approvalCard({ ...approval, editedText: text }));
      return true;
    });
}
