// JSON with Dates: records are stored as JSON text (SQLite) and revived with their Date fields restored.
// Shared by the stores so both return identical shapes.

/**
 * Parses JSON written by `JSON.stringify`, turning the named top-level fields back into Dates. Only the top
 * level: inputs and results inside a record stay exactly as the workflow journaled them.
 */
export function reviveDates<T>(json: string, fields: ReadonlySet<string>): T {
  const record = JSON.parse(json) as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string') record[field] = new Date(value);
  }
  return record as T;
}

export const RUN_DATES = new Set(['createdAt', 'updatedAt']);
export const STEP_DATES = new Set(['startedAt', 'finishedAt']);
export const APPROVAL_DATES = new Set(['createdAt', 'expiresAt', 'deliveredAt', 'decidedAt']);
export const INVOICE_DATES = new Set(['createdAt', 'mailedAt', 'paidAt']);

/** A copy without the keys whose value is undefined (exactOptionalPropertyTypes-friendly). */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
