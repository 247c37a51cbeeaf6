// Inbox triage: sorts each new mail into lead, reply (to a thread Solo OS sent), invoice question or other, and
// writes the one line the operator sees for mail that matters. Pure and deterministic: no model, no I/O. The mail
// is data, never instructions: triage reads words to sort, nothing it returns is an action, and `mailForModel` is
// the only form in which mail text may reach a model (wrapped as untrusted).

import type { InboundMail, MailAddress } from '../ports/mail.ts';
import { markUntrusted, neutralise } from '../policy/untrusted.ts';
import { isOurMessageId } from './message-id.ts';

export const MailKind = { lead: 'lead', reply: 'reply', invoice: 'invoice', other: 'other' } as const;
export type MailKind = (typeof MailKind)[keyof typeof MailKind];

export interface TriageContext {
  /** MAIL_FROM's domain: our Message-IDs end in it. */
  ourDomain: string;
  /** MAIL_FROM's address: mail from it is our own. */
  ourAddress: string;
  /** Whether the sender is a known client or contact (memory). Unknown when absent: everyone is a stranger. */
  isKnownSender?: (address: string) => boolean;
}

export interface MailTriage {
  kind: MailKind;
  /** Quiet mail is kept but not announced (newsletters, auto-replies, strangers' small talk). */
  quiet: boolean;
  /** Why, in a few words (for logs and /run timelines). */
  reason: string;
  /** The one line for the operator, absent when quiet. Sender and subject only, cleaned: never the body. */
  line?: string;
  /** For a reply: our Message-ID it answers, i.e. which sent mail (and so which run) it belongs to. */
  threadMessageId?: string;
  /** INV-0001-style numbers mentioned in the subject or text. */
  invoiceNumbers: string[];
}

const INVOICE_NUMBER = /\bINV-\d{3,}\b/gi;
const INVOICE_WORDS =
  /\b(invoices?|invoiced|payments?|paid|pay|unpaid|receipts?|billing|billed|bill|refunds?|overdue|remittance|credit note|vat)\b/i;
const LEAD_WORDS =
  /\b(prices?|pricing|quotes?|quotation|rates?|fees?|costs?|budget|availability|available|hire|hiring|book(ing)?|services?|offer(ing)?s?|proposal|project|workshops?|consult(ation|ing)?|interested|collaborat\w*|work with you|estimate|engagement)\b/i;
const AUTO_SUBJECT =
  /^(auto(matic)?[ -]?(reply|response)|out of (the )?office|abwesenheit|absence|autoreply)\b|^auto:/i;
const BOUNCE_FROM = /^(mailer-daemon|postmaster)@/i;
const BOUNCE_SUBJECT =
  /(undeliver(ed|able)|delivery (status notification|failure|has failed)|mail delivery failed|returned mail|failure notice)/i;
const NO_REPLY_FROM = /^(no-?reply|do-?not-?reply|notifications?|newsletter|news|marketing|info-noreply)[@+.-]/i;

const LINE_MAX = 140;

/** One display form of an address: `Jane Doe <jane@x.com>`, cleaned of anything that could break the line. */
function displayAddress(a: MailAddress | undefined): string {
  if (!a) return 'an unknown sender';
  const name = oneLine(a.name ?? '', 60).replace(/[<>"]/g, '');
  const address = oneLine(a.address, 100);
  return name && name.toLowerCase() !== address.toLowerCase() ? `${name} <${address}>` : address;
}

function oneLine(text: string, max: number): string {
  const s = neutralise(text)
    .replace(/[\u0000-\u001F\u007F]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

function invoiceNumbers(text: string): string[] {
  return [...new Set([...text.matchAll(INVOICE_NUMBER)].map((m) => m[0].toUpperCase()))];
}

/** Our Message-ID that this mail answers: In-Reply-To first, else the latest of ours in References. */
function answeredId(mail: InboundMail, domain: string): string | undefined {
  if (isOurMessageId(mail.inReplyTo, domain)) return mail.inReplyTo?.trim();
  return [...mail.references].reverse().find((id) => isOurMessageId(id, domain));
}

function isAutomated(mail: InboundMail): string | undefined {
  const { autoSubmitted, precedence, listId, listUnsubscribe, autoReplyHeader } = mail.automated;
  if (autoSubmitted !== undefined && autoSubmitted.trim().toLowerCase() !== 'no') return 'auto-submitted';
  if (autoReplyHeader || AUTO_SUBJECT.test(mail.subject.trim())) return 'auto-reply';
  if (precedence !== undefined && /^(bulk|list|junk)$/i.test(precedence.trim())) return 'bulk';
  if (listId !== undefined || listUnsubscribe) return 'newsletter';
  if (mail.from && NO_REPLY_FROM.test(mail.from.address)) return 'no-reply sender';
  return undefined;
}

/** Sorts one mail. Never reads the body as instructions; only counts words to decide where it belongs. */
export function triageMail(mail: InboundMail, ctx: TriageContext): MailTriage {
  const subject = oneLine(mail.subject, 100) || '(no subject)';
  const who = displayAddress(mail.from);
  const sender = mail.from?.address.toLowerCase();
  const words = `${mail.subject}\n${mail.text}`;
  const numbers = invoiceNumbers(words);
  const result = (kind: MailKind, reason: string, line?: string, extra: Partial<MailTriage> = {}): MailTriage => ({
    kind,
    quiet: line === undefined,
    reason,
    ...(line === undefined ? {} : { line: oneLine(line, LINE_MAX) }),
    invoiceNumbers: numbers,
    ...extra,
  });

  if (sender !== undefined && sender === ctx.ourAddress.toLowerCase()) return result('other', 'our own mail');
  // A bounce of something we sent matters even though a machine sent it.
  if ((sender !== undefined && BOUNCE_FROM.test(sender)) || BOUNCE_SUBJECT.test(mail.subject)) {
    return result('other', 'delivery failure', `Delivery failed — ${subject}`);
  }
  const thread = answeredId(mail, ctx.ourDomain);
  const automated = isAutomated(mail);
  if (automated !== undefined)
    return result('other', automated, undefined, thread === undefined ? {} : { threadMessageId: thread });
  if (thread !== undefined)
    return result('reply', 'answers a mail we sent', `Reply from ${who} — ${subject}`, { threadMessageId: thread });
  if (numbers.length > 0 || INVOICE_WORDS.test(words)) {
    const also =
      numbers.length > 0 && !numbers.some((n) => subject.toUpperCase().includes(n)) ? ` (${numbers.join(', ')})` : '';
    return result('invoice', 'mentions invoices or payment', `Invoice question from ${who} — ${subject}${also}`);
  }
  const known = sender !== undefined && (ctx.isKnownSender?.(sender) ?? false);
  if (!known && LEAD_WORDS.test(words))
    return result('lead', 'a new sender asking about work', `New lead: ${who} — ${subject}`);
  if (known) return result('other', 'from a known contact', `Mail from ${who} — ${subject}`);
  return result('other', 'nothing to act on');
}

/**
 * The mail as a model may see it: headers and text inside the untrusted-content markers. Pass redacted text when
 * redaction applies (the agent runner does). Nothing in it can open or close a marker.
 */
export function mailForModel(mail: InboundMail): string {
  const header = [
    `From: ${displayAddress(mail.from)}`,
    `To: ${mail.to.map(displayAddress).join(', ')}`,
    `Date: ${mail.date}`,
    `Subject: ${mail.subject}`,
    ...(mail.attachments.length > 0 ? [`Attachments: ${mail.attachments.join(', ')}`] : []),
  ].join('\n');
  return markUntrusted(`${header}\n\n${mail.text}`, `email from ${mail.from?.address ?? 'unknown sender'}`);
}
