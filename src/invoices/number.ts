// Invoice numbers as people write and read them: INV-0001.

export const invoiceNumber = (n: number): string => `INV-${String(n).padStart(4, '0')}`;

/** `INV-0007`, `inv-7`, `#7` or `7` → 7. */
export function parseInvoiceNumber(text: string): number | undefined {
  const m = /^\s*(?:INV-?|#)?0*(\d{1,7})\s*$/i.exec(text);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
