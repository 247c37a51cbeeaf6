// Money as integer minor units (cents). Parsing is strict: what is not clearly an amount is refused.

import { InputError } from './errors.ts';

const MAX_MINOR = 1_000_000_000_00; // one billion in major units

/**
 * Parses "1200", "1,200.50", "1 200,5", "1'200.00", "12,5". A lone comma followed by one or two digits is a
 * decimal comma; otherwise commas, spaces and apostrophes group thousands. Returns undefined when unreadable.
 */
export function parseAmount(text: string): number | undefined {
  const t = text.trim().replace(/^[€$£]/, '');
  let normalised: string;
  if (/^\d{1,3}([,' ]\d{3})*(\.\d{1,2})?$/.test(t) || /^\d+(\.\d{1,2})?$/.test(t)) normalised = t.replace(/[,' ]/g, '');
  else if (/^\d{1,3}([.' ]\d{3})*,\d{1,2}$/.test(t) || /^\d+,\d{1,2}$/.test(t)) normalised = t.replace(/[.' ]/g, '').replace(',', '.');
  else return undefined;
  const [whole = '0', fraction = ''] = normalised.split('.');
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return Number.isSafeInteger(minor) && minor > 0 && minor < MAX_MINOR ? minor : undefined;
}

export function requireAmount(text: string): number {
  const minor = parseAmount(text);
  if (minor === undefined) throw new InputError(`I couldn't read "${text}" as an amount; write it like 1200 or 1,200.50.`);
  return minor;
}

export function formatMoney(minor: number, currency: string): string {
  const major = (minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${major} ${currency}`;
}

export const isCurrency = (code: string): boolean => /^[A-Z]{3}$/.test(code);
