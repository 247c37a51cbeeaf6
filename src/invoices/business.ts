// The operator's business details printed on every invoice: name, address, VAT/tax id, contact email, bank details
// and the default payment term. Kept in the settings store (set with /business); an invoice PDF is made only once
// the name and address are there, so no real PDF ever carries a placeholder.

import { z } from 'zod';
import type { SettingsStore } from '../ports/store.ts';
import { setting } from '../settings/setting.ts';

export const DEFAULT_TERMS_DAYS = 14;

const businessSchema = z.object({
  name: z.string().min(1).max(120).optional(),
  /** Lines of the postal address. */
  address: z.array(z.string().min(1).max(120)).max(6).optional(),
  taxId: z.string().min(1).max(40).optional(),
  email: z.string().min(3).max(200).optional(),
  bank: z.string().min(1).max(200).optional(),
  /** Days a client has to pay unless memory says otherwise ("Acme Corp: pays net 30"). */
  termsDays: z.number().int().min(0).max(365).optional(),
});
export type BusinessDetails = z.infer<typeof businessSchema>;

/** What a PDF needs at least. */
export type CompleteBusiness = BusinessDetails & { name: string; address: string[] };

export const businessSetting = (settings: SettingsStore) => setting(settings, 'business', businessSchema);

export const isComplete = (b: BusinessDetails | undefined): b is CompleteBusiness =>
  b?.name !== undefined && (b.address?.length ?? 0) > 0;

/** What is missing before invoices can carry a PDF, in words, or undefined when nothing is. */
export function missingForPdf(b: BusinessDetails | undefined): string | undefined {
  const missing = [b?.name ? undefined : 'name', b?.address?.length ? undefined : 'address'].filter(Boolean);
  return missing.length > 0 ? `your business ${missing.join(' and ')} (/business ${missing[0]} …)` : undefined;
}

export const FIELDS = {
  name: 'your business name as it appears on invoices',
  address: 'postal address; separate lines with ; (e.g. Hauptstr. 1; 10115 Berlin; Germany)',
  vat: 'VAT or tax id (e.g. DE123456789)',
  email: 'contact email printed on invoices',
  bank: 'bank details for transfers (e.g. IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX)',
  terms: `days clients have to pay (default ${DEFAULT_TERMS_DAYS}); a client's memory ("pays net 30") wins`,
} as const;

/** Applies `/business <field> <value>` (an empty value clears it); returns the new details or an error sentence. */
export function applyField(
  current: BusinessDetails,
  field: string,
  value: string,
): { details: BusinessDetails } | { error: string } {
  const v = value.trim();
  const next: BusinessDetails = { ...current };
  const clear = v === '' || v === '-';
  switch (field) {
    case 'name':
      if (clear) delete next.name;
      else if (v.length > 120) return { error: 'A business name has at most 120 characters.' };
      else next.name = v;
      break;
    case 'address': {
      const lines = v.split(/\s*(?:;|\n)\s*/).filter((l) => l !== '');
      if (clear) delete next.address;
      else if (lines.length > 6 || lines.some((l) => l.length > 120))
        return { error: 'An address has at most 6 lines (separated by ;) of 120 characters each.' };
      else next.address = lines;
      break;
    }
    case 'vat':
      if (clear) delete next.taxId;
      else if (!/^[A-Za-z0-9 .\-/]{2,40}$/.test(v))
        return { error: `"${v.slice(0, 40)}" does not look like a VAT or tax id (letters, digits, spaces, . - /).` };
      else next.taxId = v;
      break;
    case 'email':
      if (clear) delete next.email;
      else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return { error: `"${v.slice(0, 60)}" is not an email address.` };
      else next.email = v;
      break;
    case 'bank':
      if (clear) delete next.bank;
      else if (v.length > 200) return { error: 'Bank details have at most 200 characters.' };
      else next.bank = v;
      break;
    case 'terms': {
      const days = Number(v.replace(/\s*days?$/i, ''));
      if (clear) delete next.termsDays;
      else if (!Number.isInteger(days) || days < 0 || days > 365)
        return { error: 'Payment terms are a number of days from 0 to 365, e.g. /business terms 30.' };
      else next.termsDays = days;
      break;
    }
    default:
      return {
        error: `There is no business field "${field.slice(0, 20)}"; use one of ${Object.keys(FIELDS).join(', ')}.`,
      };
  }
  return { details: next };
}

export function describeBusiness(b: BusinessDetails | undefined): string {
  const lines = [
    `Name: ${b?.name ?? '— (required for invoice PDFs)'}`,
    `Address: ${b?.address?.join('; ') ?? '— (required for invoice PDFs)'}`,
    `VAT / tax id: ${b?.taxId ?? '—'}`,
    `Email: ${b?.email ?? '—'}`,
    `Bank: ${b?.bank ?? '—'}`,
    `Payment terms: ${b?.termsDays ?? DEFAULT_TERMS_DAYS} days`,
  ];
  return lines.join('\n');
}
