// Money as integer minor units (cents), and the currencies an amount can be written in. Parsing is strict: what
// is not clearly an amount is refused. ISO 4217 validity comes from Node's own Intl data, not a list kept here.

const MAX_MINOR = 1_000_000_000_00; // one billion in major units

/**
 * Parses "1200", "1,200.50", "1 200,5", "1'200.00", "12,5" (a leading € $ £ is ignored). A lone comma followed
 * by one or two digits is a decimal comma; otherwise commas, spaces and apostrophes group thousands. Returns
 * undefined when unreadable.
 */
export function parseAmount(text: string): number | undefined {
  const t = text
    .trim()
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/^[€$£]/, '');
  let normalised: string;
  if (/^\d{1,3}([,' ]\d{3})*(\.\d{1,2})?$/.test(t) || /^\d+(\.\d{1,2})?$/.test(t)) normalised = t.replace(/[,' ]/g, '');
  else if (/^\d{1,3}([.' ]\d{3})*,\d{1,2}$/.test(t) || /^\d+,\d{1,2}$/.test(t))
    normalised = t.replace(/[.' ]/g, '').replace(',', '.');
  else return undefined;
  const [whole = '0', fraction = ''] = normalised.split('.');
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return Number.isSafeInteger(minor) && minor > 0 && minor < MAX_MINOR ? minor : undefined;
}

export function formatMoney(minor: number, currency: string): string {
  const major = (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${major} ${currency}`;
}

const ISO_CODES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 code in current use (as Node's Intl knows them), upper case: "USD" yes, "XYZ" and "usd" no. */
export const isCurrency = (code: string): boolean => ISO_CODES.has(code);

/** A bare `$`: several currencies write it, so it names none by itself (see DOLLAR_CURRENCIES). */
export const DOLLAR = '$';

/** Currencies written with a bare `$`, most used first; the first three are offered when `$` is unclear. */
export const DOLLAR_CURRENCIES: readonly string[] = [
  'USD',
  'CAD',
  'AUD',
  'NZD',
  'SGD',
  'HKD',
  'MXN',
  'TWD',
  'BSD',
  'BBD',
  'BZD',
  'BMD',
  'FJD',
  'JMD',
  'KYD',
  'LRD',
  'NAD',
  'SBD',
  'SRD',
  'TTD',
  'XCD',
  'ARS',
  'CLP',
  'COP',
  'CUP',
  'DOP',
  'UYU',
];

/** Symbols that name exactly one currency. `¥` is the yen (write CNY for the yuan); `$` alone is DOLLAR; "kr" (SEK, NOK, DKK, ISK) is left out. */
const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = {
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  '₩': 'KRW',
  '₺': 'TRY',
  '₪': 'ILS',
  '₴': 'UAH',
  '₱': 'PHP',
  '฿': 'THB',
  '₫': 'VND',
  '₦': 'NGN',
  '₽': 'RUB',
  zł: 'PLN',
  Kč: 'CZK',
  'Fr.': 'CHF',
  US$: 'USD',
  C$: 'CAD',
  CA$: 'CAD',
  A$: 'AUD',
  AU$: 'AUD',
  NZ$: 'NZD',
  HK$: 'HKD',
  S$: 'SGD',
  R$: 'BRL',
  MX$: 'MXN',
  NT$: 'TWD',
  'CN¥': 'CNY',
  'JP¥': 'JPY',
};

/** ISO codes that are also everyday English words: as a separate word they count only in upper case ("100 TOP"). */
const WORD_CODES = new Set([
  'all',
  'bam',
  'bob',
  'cad',
  'cup',
  'dop',
  'gel',
  'mad',
  'mop',
  'pen',
  'rub',
  'sos',
  'top',
  'try',
]);

/**
 * The currency a word names: an ISO code in any case ("usd", "EUR"), or a symbol ("€", "US$"); DOLLAR for a
 * bare `$`; undefined otherwise. `standalone` is for a separate word, where "top" or "all" is more likely English.
 */
export function currencyOf(word: string, standalone = false): string | undefined {
  if (word === DOLLAR) return DOLLAR;
  const symbol = CURRENCY_SYMBOLS[word];
  if (symbol) return symbol;
  const code = word.toUpperCase();
  if (!isCurrency(code)) return undefined;
  if (standalone && word !== code && WORD_CODES.has(word.toLowerCase())) return undefined;
  return code;
}

export interface WrittenMoney {
  minor: number;
  /** An ISO code, or DOLLAR; absent when the text names no currency. */
  currency?: string;
  /** True when written with separators or decimals ("1,200.50"), which a name or a count rarely is. */
  formatted: boolean;
}

/** One amount with an optional currency written against it: "€100", "100usd", "US$1,200.50", "1 200,5€". */
export function parseMoney(text: string): WrittenMoney | undefined {
  const m = /^([^\d\s]*?)(\d[\d.,'\u00a0\u202f ]*)([^\d\s]*)$/u.exec(text.trim());
  if (!m) return undefined;
  const [, before = '', digits = '', after = ''] = m;
  if (before && after) return undefined;
  const written = before || after;
  const currency = written ? currencyOf(written) : undefined;
  if (written && !currency) return undefined;
  const minor = parseAmount(digits);
  if (minor === undefined) return undefined;
  return { minor, formatted: /[.,'\u00a0\u202f ]/.test(digits), ...(currency ? { currency } : {}) };
}
