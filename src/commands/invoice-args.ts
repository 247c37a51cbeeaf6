// Reads `/invoice <client> <amount> [description]` into every plausible invoice. Client names may hold digits
// ("Studio 54 GmbH", "3M"), amounts may be grouped with spaces ("1 200,5") and carry a currency ("$100",
// "100 USD", "100usd", "EUR 100"). One reading starts the invoice; several are offered as buttons. No I/O.

import { currencyOf, DOLLAR, DOLLAR_CURRENCIES, formatMoney, parseMoney, type WrittenMoney } from '../domain/money.ts';
import { truncate } from '../domain/text.ts';
import type { InvoiceInput } from '../workflows/invoice.ts';

const INVOICE_USAGE =
  'Usage: /invoice <client> <amount> [description], e.g. /invoice Acme Corp 1200 March workshop; /invoice INV-0001 shows one';
/** More readings than this are not worth a row of buttons: the operator is asked to write it more clearly. */
const MAX_READINGS = 4;
/** The dollars offered when a bare `$` is not the operator's own currency. */
const DOLLARS_OFFERED = ['USD', 'CAD', 'AUD'];

export interface InvoiceArgsOptions {
  /** The operator's currency, for amounts written without one. */
  currency: string;
  /** True when a client of exactly this name is known; when readings disagree, the one naming a known client wins. */
  isKnownClient?: (name: string) => boolean;
}

export type InvoiceArgs = { readings: InvoiceInput[] } | { error: string };

interface Candidate {
  /** Token range of the amount itself, and of everything that belongs to it (a currency word before or after). */
  amountStart: number;
  amountEnd: number;
  clientEnd: number;
  descStart: number;
  money: WrittenMoney;
  currency: string | undefined;
  conflict?: [string, string];
}

/** Legal forms and name endings: a description does not start with them, so the number before is in the name. */
const NAME_ENDINGS = new Set([
  'gmbh',
  'mbh',
  'ltd',
  'limited',
  'inc',
  'llc',
  'llp',
  'plc',
  'ag',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'bv',
  'nv',
  'kg',
  'ohg',
  'ug',
  'oy',
  'ab',
  'aps',
  'pty',
  'co',
  'corp',
  'corporation',
  'company',
  'labs',
  'lab',
  'group',
  'partners',
  'holding',
  'holdings',
  'kk',
  'se',
]);
/** Words that join a name ("Bank of America 2", "Müller und Söhne 7"). */
const NAME_JOINERS = new Set([
  '&',
  '+',
  'and',
  'of',
  'und',
  'de',
  'du',
  'des',
  'van',
  'von',
  'der',
  'den',
  'la',
  'le',
  'y',
  'e',
  'et',
  'the',
]);
/** Months and weekdays: after a number they start a date in the description, not the rest of a name. */
const DATE_WORDS = new Set(
  'jan january feb february mar march apr april may jun june jul july aug august sep sept september oct october nov november dec december mon monday tue tuesday wed wednesday thu thursday fri friday sat saturday sun sunday'.split(
    ' ',
  ),
);

const bare = (w: string): string => w.toLowerCase().replace(/[.,:;]+$/, '');

/** Every way the words split into client, amount (with its currency) and description. */
function candidates(words: string[]): Candidate[] {
  const out: Candidate[] = [];
  for (let i = 1; i < words.length; i++) {
    // Up to four space-separated groups ("1 200 000,50"): the first has 1-3 digits, the rest exactly 3.
    for (let len = 1; len <= 4 && i + len <= words.length; len++) {
      if (len > 1) {
        const last = words[i + len - 1]!;
        if (!/^[^\d\s]*\d{1,3}$/u.test(words[i]!) || !/^\d{3}(?:[.,]\d{1,2})?[^\d\s]*$/u.test(last)) break;
        if (words.slice(i + 1, i + len - 1).some((w) => !/^\d{3}$/.test(w))) break;
      }
      const money = parseMoney(words.slice(i, i + len).join(' '));
      if (!money) continue;
      const c: Candidate = {
        amountStart: i,
        amountEnd: i + len,
        clientEnd: i,
        descStart: i + len,
        money,
        currency: money.currency,
      };
      const before = !c.currency && i >= 2 ? currencyOf(words[i - 1]!, true) : undefined;
      if (before) {
        c.currency = before;
        c.clientEnd = i - 1;
      }
      const after = c.descStart < words.length ? currencyOf(words[c.descStart]!, true) : undefined;
      if (after) {
        if (c.currency && c.currency !== after) c.conflict = [c.currency, after];
        c.currency = after;
        c.descStart++;
      }
      out.push(c);
    }
  }
  return out;
}

/** A name after its first number goes on like a name: capitalised words, no date, no amount. */
function plausibleClient(client: string[]): boolean {
  const firstNumber = client.findIndex((w) => /\d/.test(w));
  if (firstNumber === -1) return true;
  return client.every((w, k) => {
    if (/\d/.test(w)) return !parseMoney(w)?.currency && !/[.,']\d/.test(w);
    if (k < firstNumber) return true;
    return !DATE_WORDS.has(bare(w)) && (NAME_JOINERS.has(bare(w)) || !/^\p{Ll}/u.test(w));
  });
}

function plausible(c: Candidate, words: string[]): boolean {
  const first = words[c.descStart];
  if (first !== undefined && /^\p{Lu}/u.test(first) && NAME_ENDINGS.has(bare(first))) return false;
  return plausibleClient(words.slice(0, c.clientEnd));
}

/** A space-grouped amount with decimals, a currency or three groups ("1 200,5", "1 200 €") is read whole. */
function strongGroup(c: Candidate, words: string[]): boolean {
  const groups = c.amountEnd - c.amountStart;
  return groups > 1 && (groups > 2 || c.currency !== undefined || /[.,]\d/.test(words[c.amountEnd - 1] ?? ''));
}

const overlaps = (a: Candidate, b: Candidate): boolean => a.amountStart < b.amountEnd && b.amountStart < a.amountEnd;

/**
 * Strong groups win over every reading that splits them (of overlapping strong groups, the longest first one).
 * Any group beats the reading that takes its first part as the amount ("Acme 1 200" is not 1.00 for "200").
 */
function keepGroupsWhole(candidates: Candidate[], words: string[]): Candidate[] {
  const whole: Candidate[] = [];
  const strong = candidates
    .filter((c) => strongGroup(c, words))
    .sort((a, b) => a.amountStart - b.amountStart || b.amountEnd - a.amountEnd);
  for (const s of strong) if (!whole.some((w) => overlaps(w, s))) whole.push(s);
  const groups = candidates.filter((c) => c.amountEnd - c.amountStart > 1);
  return candidates.filter(
    (c) =>
      whole.includes(c) ||
      (!whole.some((w) => overlaps(w, c)) && !groups.some((g) => g !== c && g.amountStart === c.amountStart)),
  );
}

export function readInvoiceArgs(args: string, options: InvoiceArgsOptions): InvoiceArgs {
  const words = args.split(/\s+/).filter(Boolean);
  if (words.length < 2) return { error: INVOICE_USAGE };
  const all = candidates(words);
  const usable = all.filter((c) => !c.conflict);
  if (usable.length === 0) {
    const conflict = all.find((c) => c.conflict)?.conflict;
    if (conflict)
      return { error: `I see two currencies there (${conflict[0]} and ${conflict[1]}); write the amount with one.` };
    const unreadable = words.slice(1).find((w) => /^[^\s\d]{0,3}\d/u.test(w));
    if (unreadable)
      return { error: `I couldn't read "${truncate(unreadable, 40)}" as an amount; write it like 1200 or 1,200.50.` };
    return { error: `I couldn't find an amount in that. ${INVOICE_USAGE}` };
  }
  let pool = keepGroupsWhole(usable, words);
  const likely = pool.filter((c) => plausible(c, words));
  if (likely.length > 0) pool = likely;
  const clientOf = (c: Candidate): string => words.slice(0, c.clientEnd).join(' ');
  if (pool.length > 1 && options.isKnownClient) {
    const known = pool.filter((c) => options.isKnownClient!(clientOf(c)));
    if (known.length > 0) pool = known;
  }
  if (pool.length > 1) {
    // A currency or separators ("1,200.50") mark the amount; a bare number may as well be part of a name.
    const marked = pool.filter(
      (c) => c.currency !== undefined || /[.,']/.test(words.slice(c.amountStart, c.amountEnd).join('')),
    );
    if (marked.length > 0) pool = marked;
  }
  const readings: InvoiceInput[] = [];
  const seen = new Set<string>();
  for (const c of pool) {
    for (const currency of currenciesFor(c.currency, options.currency)) {
      const description = words.slice(c.descStart).join(' ');
      const reading: InvoiceInput = {
        client: clientOf(c),
        amountMinor: c.money.minor,
        currency,
        ...(description ? { description } : {}),
      };
      const key = JSON.stringify(reading);
      if (!seen.has(key)) readings.push(reading);
      seen.add(key);
    }
  }
  // The invoice workflow's own limits, said as a sentence rather than met as a refused input.
  if (readings.some((r) => r.client.length > 120))
    return { error: 'A client name can be at most 120 characters; write a shorter one.' };
  if (readings.some((r) => (r.description?.length ?? 0) > 500))
    return { error: 'The description can be at most 500 characters; shorten it.' };
  if (readings.length > MAX_READINGS) {
    return {
      error:
        'I can read that too many ways; write the currency code right after the amount, e.g. /invoice Studio 54 GmbH 1200 EUR design.',
    };
  }
  return { readings };
}

/** The currency (or currencies, when a bare `$` is not the operator's own) an amount is in. */
function currenciesFor(written: string | undefined, operator: string): string[] {
  if (written === undefined) return [operator];
  if (written !== DOLLAR) return [written];
  return DOLLAR_CURRENCIES.includes(operator) ? [operator] : DOLLARS_OFFERED;
}

/** One line per reading, for the question and its buttons: "Studio 54 GmbH · 1,200.00 EUR · design". */
export function describeReading(r: InvoiceInput): string {
  return [r.client, formatMoney(r.amountMinor, r.currency), ...(r.description ? [r.description] : [])].join(' · ');
}
