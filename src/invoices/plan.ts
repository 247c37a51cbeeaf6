// What an invoice run needs and decides before the approval card: the client as memory knows it, the business
// details, the payment term and which connectors will act. Fixed in the run's first step (journaled), so changing a
// setting or a memory later does not change an invoice already on its way. Also what goes on its PDF and in its mail.

import { formatMoney } from '../domain/money.ts';
import type { MailPort } from '../ports/mail.ts';
import type { PaymentsConnector } from '../ports/payments.ts';
import type { Invoice, LedgerStore } from '../ports/engine-store.ts';
import type { InvoiceDocument, InvoiceDocuments } from '../ports/documents.ts';
import {
  DEFAULT_TERMS_DAYS,
  isComplete,
  missingForPdf,
  type BusinessDetails,
  type CompleteBusiness,
} from './business.ts';
import { resolveClient, type ClientDirectory, type ClientProfile } from './clients.ts';
import { invoiceNumber } from './number.ts';

/** What the invoice workflow works with; connectors are read when used, so one configured later is picked up. */
export interface InvoiceServices {
  ledger: LedgerStore;
  clients: ClientDirectory;
  business: () => Promise<BusinessDetails | undefined>;
  documents: InvoiceDocuments;
  payments: () => PaymentsConnector | undefined;
  mail: () => MailPort | undefined;
  /** The operator's IANA zone: invoice and due dates are days there. */
  timeZone: string;
}

export interface InvoicePlan {
  client: ClientProfile;
  termsDays: number;
  /** Present when the details a PDF needs are set. */
  business?: CompleteBusiness;
  /** What is missing for a PDF, in words. */
  missing?: string;
  stripe: boolean;
  mail: boolean;
  /** Stripe configured and the client's email known: the invoice is issued there. */
  issue: boolean;
  /** Where the PDF is mailed: mail configured, an email known and a PDF possible. */
  mailTo?: string;
  timeZone: string;
}

export async function planInvoice(s: InvoiceServices, written: string): Promise<InvoicePlan> {
  const client = await resolveClient(s.clients, written);
  const business = await s.business();
  const stripe = s.payments() !== undefined;
  const mail = s.mail() !== undefined;
  const missing = missingForPdf(business);
  const safeName = client.name.replace(/[<>"\\\r\n]/g, '').trim();
  return {
    client,
    termsDays: client.termsDays ?? business?.termsDays ?? DEFAULT_TERMS_DAYS,
    ...(isComplete(business) ? { business } : {}),
    ...(missing ? { missing } : {}),
    stripe,
    mail,
    issue: stripe && client.email !== undefined,
    ...(mail && client.email && isComplete(business)
      ? { mailTo: safeName ? `"${safeName}" <${client.email}>` : client.email }
      : {}),
    timeZone: s.timeZone,
  };
}

/** The PDF's content, from journaled values only; undefined when the business details are not complete. */
export function invoiceDocument(
  invoice: Invoice,
  plan: InvoicePlan,
  stripe?: { number: string | null; hostedUrl: string | null },
): InvoiceDocument | undefined {
  const b = plan.business;
  if (!b) return undefined;
  const created = typeof invoice.createdAt === 'string' ? invoice.createdAt : invoice.createdAt.toISOString();
  return {
    number: invoiceNumber(invoice.number),
    issueDate: invoice.issueDate ?? created.slice(0, 10),
    dueDate: invoice.dueDate ?? created.slice(0, 10),
    currency: invoice.currency,
    lines: invoice.lines ?? [
      { description: invoice.description ?? 'Professional services', amountMinor: invoice.amountMinor },
    ],
    seller: {
      name: b.name,
      address: b.address,
      ...(b.taxId ? { taxId: b.taxId } : {}),
      ...(b.email ? { email: b.email } : {}),
      ...(b.bank ? { bank: b.bank } : {}),
    },
    buyer: { name: invoice.client, ...(invoice.email ? { email: invoice.email } : {}) },
    ...(stripe?.hostedUrl ? { payUrl: stripe.hostedUrl } : {}),
    ...(stripe?.number ? { providerNumber: stripe.number } : {}),
  };
}

/** The mail that carries the PDF. */
export function invoiceMailText(d: InvoiceDocument): string {
  const total = d.lines.reduce((sum, l) => sum + l.amountMinor, 0);
  return [
    'Hello,',
    '',
    `please find attached invoice ${d.number} for ${formatMoney(total, d.currency)}, due on ${d.dueDate}.`,
    ...(d.payUrl ? [`You can also pay it online: ${d.payUrl}`] : []),
    ...(d.seller.bank ? [`Bank details: ${d.seller.bank}`] : []),
    '',
    'Kind regards,',
    d.seller.name,
  ].join('\n');
}
