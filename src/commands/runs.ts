// Commands and buttons for durable runs: /invoice, /invoices, /currency, /runs, /run, /approvals, /cancel,
// and the Approve / Reject / Edit, review-remedy and "which invoice did you mean?" buttons.

import { stableId } from '../domain/ids.ts';
import { currencyOf, DOLLAR, formatMoney } from '../domain/money.ts';
import { truncate } from '../domain/text.ts';
import { APPROVAL_ACTION, decodeButton, REVIEW_ACTION } from '../engine/buttons.ts';
import { approvalCard, decidedCard } from '../engine/cards.ts';
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

/** Where the engine's answers to a signal from this chat go, and who sent it. */
const from = (ctx: InboundContext) => ({ by: who(ctx), via: ctx.event.channel, reply: ctx.reply });

/** A tap on a run's button becomes a signal to the engine; Edit only asks for the next message. */
async function tapped(ctx: InboundContext, data: string): Promise<void> {
  const button = decodeButton(data);
  if (!button) return void (await ctx.reply('That button is not one I know (Approve, Reject, Edit or a review remedy), so nothing was decided.'));
  if (button.kind === 'remedy') return void (await ctx.services.engine.signal({ kind: 'remedy', runId: button.runId, remedy: button.remedy }, from(ctx)));
  if (button.choice !== 'edit') {
    const decision = button.choice === 'approve' ? 'approved' : 'rejected';
    return void (await ctx.services.engine.signal({ kind: 'decide', approvalId: button.approvalId, decision }, from(ctx)));
  }
  const approval = await ctx.services.store.approvals.get(button.approvalId);
  if (!approval) return void (await ctx.reply('That approval is not known here any more; /approvals lists what is waiting.'));
  if (approval.status !== 'pending') return void (await ctx.reply(`Already decided — ${decidedCard(approval).text} Nothing more to do.`));
  if (approval.card.text === undefined) return void (await ctx.reply('This card has no text to edit.'));
  await ctx.services.store.settings.set(editKey(ctx), approval.id);
  await ctx.reply('Send the new text as your next message; it replaces the draft on this card.');
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
        const id = args.trim();
        if (!id) return void (await ctx.reply('Which run? Give its id; /runs lists recent runs.'));
        await ctx.services.engine.signal({ kind: 'cancel', runId: id }, from(ctx));
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
    .action({ name: APPROVAL_ACTION, run: (ctx, arg) => tapped(ctx, `${APPROVAL_ACTION}:${arg}`) })
    .action({ name: REVIEW_ACTION, run: (ctx, arg) => tapped(ctx, `${REVIEW_ACTION}:${arg}`) })
    .text(async (ctx, text) => {
      const { store } = ctx.services;
      const approvalId = await store.settings.get<string>(editKey(ctx));
      if (!approvalId) return false;
      await store.settings.set(editKey(ctx), null);
      await ctx.services.engine.signal({ kind: 'edit', approvalId, text }, from(ctx));
      return true;
    });
}
