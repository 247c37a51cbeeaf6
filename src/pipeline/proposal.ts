// What a proposal is made of: the request the draft agent gets (the package's template filled in, the client's
// history), the mail text that carries the proposal and the three kick-off slots, the PDF's content, and how a
// client's answer picks a slot. Pure: no I/O, no clock.

import { formatMoney } from '../domain/money.ts';
import { fillTemplate, type ConsultingPackage } from './packages.ts';

/** Everything printed on a proposal PDF (plain JSON, journaled with the run). */
export interface ProposalDocument {
  title: string;
  client: string;
  /** The operator's business name. */
  from: string;
  /** YYYY-MM-DD */
  date: string;
  body: string;
}

export const priceOf = (p: ConsultingPackage): string => formatMoney(p.amountMinor, p.currency);

/** The outline the draft agent turns into the proposal. */
export function proposalRequest(
  p: ConsultingPackage,
  template: string,
  client: { name: string; notes?: string },
  history: string[],
): string {
  const outline = fillTemplate(template, {
    client: client.name,
    package: p.name,
    scope: p.scope.map((s) => `- ${s}`).join('\n'),
    price: priceOf(p),
    duration: `${p.durationDays} days`,
    notes: client.notes ?? '(nothing noted yet)',
    history: history.length > 0 ? history.join(' ') : 'nothing yet (a new client)',
  });
  return [
    `Write a proposal to ${client.name} for the "${p.name}" package, following this outline. Keep the scope, price and duration exactly as given; use the client's history and past proposals in memory for tone and continuity.`,
    '',
    outline,
  ].join('\n');
}

/** The mail that carries the approved proposal and offers the kick-off slots. */
export function proposalMail(body: string, slots: string[], signature: string): string {
  return [
    body.trim(),
    '',
    'To start, reply with the number of the kick-off time that suits you:',
    ...slots.map((s, i) => `${i + 1}. ${s}`),
    '',
    `The proposal is attached as a PDF.`,
    '',
    signature,
  ].join('\n');
}

const HEADER = /^(From|To|Date|Subject|Attachments):/;
const QUOTE_START = /^(On .* wrote:|-{2,}\s*Original Message|>)/i;

/**
 * Which of `count` slots a client's reply picks: "2", "Option 2 works", "the second one"; undefined when it does not
 * say (or names several). Reads the reply's own lines only: headers, markers and the quoted mail are skipped.
 */
export function slotChoice(reply: string, count: number): number | undefined {
  const own: string[] = [];
  for (const line of reply.split('\n')) {
    const t = line.trim();
    if (/^⟦/.test(t) || HEADER.test(t)) continue;
    if (QUOTE_START.test(t)) break;
    own.push(t);
  }
  const text = own.join(' ').toLowerCase();
  const words = ['first', 'second', 'third', 'fourth', 'fifth'].slice(0, count);
  const picked = new Set<number>();
  for (const m of text.matchAll(/(?<![\d:.,/-])\b([1-9])\b(?![\d:.,/]\d)/g)) picked.add(Number(m[1]) - 1);
  words.forEach((w, i) => {
    if (new RegExp(`\\b${w}\\b`).test(text)) picked.add(i);
  });
  const valid = [...picked].filter((i) => i >= 0 && i < count);
  return valid.length === 1 ? valid[0] : undefined;
}
