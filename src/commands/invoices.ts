// Invoices from chat: /invoice (read as the operator wrote it; asked about with buttons when it can be read more
// than one way), /invoice INV-0001 (one invoice), /paid, /invoices and /currency. The invoice itself is a durable
// run of the invoice workflow.

import { z } from 'zod';
import { stableId } from '../domain/ids.ts';
import { currencyOf, DOLLAR, formatMoney } from '../domain/money.ts';
import { truncate } from '../domain/text.ts';
import type { Engine } from '../engine/engine.ts';
import type { InboundContext } from '../inbound/context.ts';
import { entityKey } from '../memory/entities.ts';
import type { OutboundMessage } from '../domain/messages.ts';
import { invoiceNumber, parseInvoiceNumber } from '../invoices/number.ts';
import type { PaidOutcome } from '../invoices/payments.ts';
import type { Invoice, LedgerStore } from '../ports/engine-store.ts';
import type { SettingsStore } from '../ports/store.ts';
import { setting } from '../settings/setting.ts';
import type { InvoiceInput } from '../workflows/invoice.ts';
import { ask, take, type ChoiceDeps, type ChoiceRules } from './choices.ts';
import { describeReading, readInvoiceArgs } from './invoice-args.ts';
import { Registry, type CommandFamily } from './registry.ts';

export const DEFAULT_CURRENCY = 'EUR';
const INVOICE_CHOICE = 'iv';

/** The currency of new invoices (/currency); the free-text invoice reads it too. */
export const currencySetting = (settings: SettingsStore) =>
  setting(settings, 'currency', z.string().regex(/^[A-Z]{3}$/));

export interface InvoiceDeps extends ChoiceDeps {
  engine: Pick<Engine, 'start'>;
  ledger: Pick<LedgerStore, 'listInvoices' | 'getInvoice'>;
  /** Marks an invoice paid by hand (src/invoices/payments.ts markPaid). */
  markPaid: (number: number) => Promise<PaidOutcome>;
  /** Whether a name is a client memory knows (decides between readings of `/invoice Studio 54 1200`). */
  isKnownClient: (name: string) => boolean;
}

async function startInvoice(d: InvoiceDeps, ctx: InboundContext, input: InvoiceInput, runId: string): Promise<void> {
  await d.engine.start('invoice', input, {
    id: runId,
    origin: { channel: ctx.event.channel, chatId: ctx.event.chatId },
    reply: ctx.reply,
  });
}

const day = (d: Date | undefined): string => (d ? d.toISOString().slice(0, 10) : '?');

/** One invoice in full: dates, lines, where its PDF is, Stripe, the mail, payment. */
function describeInvoice(i: Invoice): OutboundMessage {
  const lines = [`${invoiceNumber(i.number)} · ${i.client} · ${formatMoney(i.amountMinor, i.currency)} · ${i.status}`];
  lines.push(
    `Date ${i.issueDate ?? day(i.createdAt)}${i.dueDate ? ` · due ${i.dueDate}` : ''}${i.email ? ` · ${i.email}` : ''}`,
  );
  for (const l of i.lines ?? (i.description ? [{ description: i.description, amountMinor: i.amountMinor }] : []))
    lines.push(`- ${l.description}: ${formatMoney(l.amountMinor, i.currency)}`);
  if (i.pdfFile) lines.push(`PDF: ${i.pdfFile}`);
  if (i.stripeInvoiceId)
    lines.push(`Stripe: ${i.stripeNumber ?? i.stripeInvoiceId}${i.hostedUrl ? ` · ${i.hostedUrl}` : ''}`);
  if (i.mailedTo) lines.push(`Mailed to ${i.mailedTo} on ${day(i.mailedAt)}`);
  if (i.status === 'paid')
    lines.push(`Paid on ${day(i.paidAt)} (${i.paidVia === 'manual' ? 'marked by hand' : 'Stripe'})`);
  const open = i.status === 'recorded' || i.status === 'issued';
  return {
    text: lines.join('\n'),
    ...(open ? { buttons: [{ label: 'Mark paid', data: `/paid ${invoiceNumber(i.number)}` }] } : {}),
  };
}

async function showInvoice(d: InvoiceDeps, ctx: InboundContext, number: number): Promise<void> {
  const found = await d.ledger.getInvoice(number);
  await ctx.reply(found ? describeInvoice(found) : `There is no ${invoiceNumber(number)}. /invoices lists them.`);
}

async function paid(d: InvoiceDeps, ctx: InboundContext, args: string): Promise<void> {
  const number = parseInvoiceNumber(args);
  if (number === undefined) return void (await ctx.reply('Usage: /paid <invoice number>, e.g. /paid INV-0001'));
  const outcome = await d.markPaid(number);
  const name = invoiceNumber(number);
  switch (outcome.status) {
    case 'unknown':
      return void (await ctx.reply(`There is no ${name}. /invoices lists them.`));
    case 'void':
      return void (await ctx.reply(`${name} is void, so it cannot be paid.`));
    case 'already':
      return void (await ctx.reply(
        `${name} was already paid on ${day(outcome.invoice.paidAt)}${outcome.invoice.paidVia === 'stripe' ? ' (Stripe)' : ''}. Nothing changed.`,
      ));
    case 'paid': {
      const i = outcome.invoice;
      const stripe = i.stripeInvoiceId
        ? ' It is still open in Stripe: mark it paid there too (Invoices → Change status → Paid), or Stripe keeps reminding the client.'
        : '';
      return void (await ctx.reply(
        `Marked ${name} paid: ${i.client}, ${formatMoney(i.amountMinor, i.currency)}.${stripe}`,
      ));
    }
  }
}

async function invoice(d: InvoiceDeps, ctx: InboundContext, args: string): Promise<void> {
  // `/invoice INV-0007` (or #7, or a bare number: a draft needs a client and an amount) shows one; anything else
  // drafts a new one.
  const number = /^\s*(INV-?\d+|#\d+|\d+)\s*$/i.test(args) ? parseInvoiceNumber(args) : undefined;
  if (number !== undefined) return showInvoice(d, ctx, number);
  const currency = (await currencySetting(d.settings).get()) ?? DEFAULT_CURRENCY;
  const parsed = readInvoiceArgs(args, { currency, isKnownClient: d.isKnownClient });
  if ('error' in parsed) return void (await ctx.reply(parsed.error));
  const { readings } = parsed;
  if (readings.length === 1) {
    // The run id comes from the update: a redelivered /invoice finds its run instead of starting a second.
    return startInvoice(
      d,
      ctx,
      readings[0]!,
      stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`),
    );
  }
  await ask(d, ctx, INVOICE_CHOICE, {
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

/** Whether memory knows a client by this name. */
export const knownClient = (memory: { entityName(key: string): string | undefined }) => (name: string) =>
  memory.entityName(entityKey('client', name)) !== undefined;

export function invoiceCommands(d: InvoiceDeps): CommandFamily {
  const currency = currencySetting(d.settings);
  return new Registry()
    .command({
      name: 'invoice',
      usage: '<client> <amount> [description] | <number>',
      description:
        'draft an invoice for approval (1200, 1,200.50, 1 200,5; a currency as $100, 100 USD or EUR 100); /invoice INV-0001 shows one',
      run: (ctx, args) => invoice(d, ctx, args),
    })
    .command({
      name: 'invoices',
      description: 'recorded invoices',
      run: async (ctx) => {
        const invoices = await d.ledger.listInvoices(50);
        if (invoices.length === 0) return void (await ctx.reply('No invoices recorded yet. /invoice drafts one.'));
        const lines = invoices.map(
          (i) =>
            `${invoiceNumber(i.number)} · ${i.client} · ${formatMoney(i.amountMinor, i.currency)} · ${i.status} · ${i.createdAt.toISOString().slice(0, 10)}`,
        );
        await ctx.reply(lines.join('\n'));
      },
    })
    .command({
      name: 'paid',
      usage: '<number>',
      description: 'mark an invoice paid by hand (Stripe payments are marked on their own)',
      run: (ctx, args) => paid(d, ctx, args),
    })
    .command({
      name: 'currency',
      usage: '[code]',
      description: 'show or set the currency for new invoices (an ISO 4217 code such as USD, or a symbol such as £)',
      run: async (ctx, args) => {
        const written = args.trim();
        if (!written) return void (await ctx.reply(`New invoices use ${(await currency.get()) ?? DEFAULT_CURRENCY}.`));
        const code = currencyOf(written);
        if (code === DOLLAR)
          return void (await ctx.reply('A bare $ could be USD, CAD, AUD and more; give the code, e.g. /currency USD.'));
        if (!code)
          return void (await ctx.reply(
            `"${truncate(written, 20)}" is not an ISO 4217 currency code; give one such as USD, EUR or GBP.`,
          ));
        await currency.set(code);
        await ctx.reply(`New invoices will use ${code}.`);
      },
    })
    .action({
      name: INVOICE_CHOICE,
      run: async (ctx, arg) => {
        const picked = await take(d, ctx, arg, invoiceChoice);
        // One run per question: a second tap (even of another reading) finds it instead of starting another.
        if (picked)
          await startInvoice(d, ctx, picked.options[Number(picked.choice)]!, stableId('r', `choice:${picked.id}`));
      },
    })
    .family();
}
