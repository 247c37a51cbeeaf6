// Checks what a workflow asks of the payments connector before anything reaches Stripe (one clear sentence
// per problem), and derives the idempotency keys of the sub-steps from the step's key.

import { createHash } from 'node:crypto';
import type { CustomerInput, IssueInvoiceInput, PaymentLinkInput, RefundInput } from '../../../src/ports/payments.ts';
import { badInput } from './errors.ts';

/** Metadata keys the connector owns on Stripe objects. */
const RESERVED = ['solo_key', 'solo_sent', 'solo_client'] as const;

const MAX_MINOR = 99_999_999; // Stripe's limit for most currencies: 999,999.99

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The step's key as the base of every Stripe key and of the `solo_key` metadata. Stripe keys hold 255
 * characters; a longer step key is hashed so that `<base>:item:12` still fits.
 */
export function baseKey(key: string): string {
  if (key.trim() === '') throw badInput('A payments call needs the step key (idempotencyKey); none was given.');
  return key.length <= 200 ? key : `sha256:${sha256(key)}`;
}

function amount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_MINOR)
    throw badInput(`${what} must be a whole number of cents between 1 and ${MAX_MINOR}; got ${value}.`);
  return value;
}

function currency(value: string): string {
  if (!/^[a-zA-Z]{3}$/.test(value)) throw badInput(`"${value}" is not a currency code; use three letters such as EUR.`);
  return value.toLowerCase();
}

function metadata(value: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(value ?? {});
  if (entries.length > 45) throw badInput('Invoice metadata can have at most 45 entries.');
  for (const [k, v] of entries) {
    if ((RESERVED as readonly string[]).includes(k)) throw badInput(`The metadata key "${k}" is reserved for Solo OS.`);
    if (k.length === 0 || k.length > 40 || k.includes('[') || k.includes(']'))
      throw badInput(`The metadata key "${k}" must have 1-40 characters and no brackets.`);
    if (typeof v !== 'string' || v.length > 500)
      throw badInput(`The metadata value of "${k}" must be text of at most 500 characters.`);
  }
  return Object.fromEntries(entries);
}

export function checkCustomer(input: CustomerInput): CustomerInput {
  if (input.clientKey.trim() === '' || input.clientKey.length > 200)
    throw badInput('A Stripe customer needs the client key it belongs to (1-200 characters).');
  if (input.name.trim() === '' || input.name.length > 256)
    throw badInput('A Stripe customer needs a name of 1-256 characters.');
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email) || input.email.length > 512)
    throw badInput(`"${input.email}" is not an email address Stripe can send invoices to.`);
  return { clientKey: input.clientKey, name: input.name.trim(), email: input.email.trim() };
}

export interface InvoicePlan {
  customer: string | CustomerInput;
  currency: string;
  lines: { description: string; amountMinor: number }[];
  dueDays: number;
  description: string | undefined;
  metadata: Record<string, string>;
}

export function checkInvoice(input: IssueInvoiceInput): InvoicePlan {
  if (input.lines.length === 0) throw badInput('An invoice needs at least one line.');
  if (input.lines.length > 100) throw badInput('An invoice can have at most 100 lines.');
  const lines = input.lines.map((line, i) => {
    if (line.description.trim() === '' || line.description.length > 500)
      throw badInput(`Line ${i + 1} of the invoice needs a description of 1-500 characters.`);
    return {
      description: line.description.trim(),
      amountMinor: amount(line.amountMinor, `The amount of line ${i + 1}`),
    };
  });
  if (!Number.isInteger(input.dueDays) || input.dueDays < 0 || input.dueDays > 365)
    throw badInput(`The payment term must be 0-365 days; got ${input.dueDays}.`);
  if (input.description !== undefined && input.description.length > 1500)
    throw badInput('The invoice description can have at most 1500 characters.');
  const customer = typeof input.customer === 'string' ? input.customer : checkCustomer(input.customer);
  if (typeof customer === 'string' && !/^cus_\w+$/.test(customer))
    throw badInput(`"${customer}" is not a Stripe customer id (cus_…).`);
  const description = input.description?.trim();
  return {
    customer,
    currency: currency(input.currency),
    lines,
    dueDays: input.dueDays,
    description: description === '' ? undefined : description,
    metadata: metadata(input.metadata),
  };
}

export function checkLink(input: PaymentLinkInput): {
  name: string;
  amountMinor: number;
  currency: string;
  metadata: Record<string, string>;
} {
  if (input.description.trim() === '' || input.description.length > 250)
    throw badInput('A payment link needs a description of 1-250 characters.');
  return {
    name: input.description.trim(),
    amountMinor: amount(input.amountMinor, 'The amount of the payment link'),
    currency: currency(input.currency),
    metadata: metadata(input.metadata),
  };
}

export function checkRefund(input: RefundInput): RefundInput {
  if ((input.invoiceId === undefined) === (input.paymentId === undefined))
    throw badInput('A refund needs either the invoice or the payment to refund, not both.');
  if (input.invoiceId !== undefined && !/^in_\w+$/.test(input.invoiceId))
    throw badInput(`"${input.invoiceId}" is not a Stripe invoice id (in_…).`);
  if (input.paymentId !== undefined && !/^pi_\w+$/.test(input.paymentId))
    throw badInput(`"${input.paymentId}" is not a Stripe payment id (pi_…).`);
  if (input.amountMinor !== undefined) amount(input.amountMinor, 'The refund amount');
  return input;
}
