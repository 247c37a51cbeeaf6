// Which client an invoice is for, as memory knows it: "Acme" is Acme Corp when memory has a profile or facts under
// that name (the entity registry's names and unambiguous first-word aliases), and the client's billing email and
// payment term ("pays net 30") come from its memories. Reads only; nothing here writes memory.

import { entityKey } from '../memory/entities.ts';
import type { Memory } from '../ports/store.ts';

export interface ClientDirectory {
  /** Resolves once the names memory knows are loaded (they are rebuilt in the background after a start). */
  ready?: () => Promise<void>;
  entitiesIn(text: string): string[];
  entityName(key: string): string | undefined;
  byEntity(key: string, limit: number): Promise<Memory[]>;
}

export interface ClientProfile {
  /** The client's name as memory has it ("Acme Corp"), or as written when memory does not know it. */
  name: string;
  /** `client:acme-corp` */
  key: string;
  known: boolean;
  email?: string;
  /** From "net 30" / "30 days to pay" in the client's memories. */
  termsDays?: number;
  /** The memory the email came from (for the approval card: where Solo OS got the address). */
  emailFrom?: string;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const BILLING = /\b(billing|invoices?|invoicing|accounts?|payables?|finance|bookkeeping|accounting)\b/i;
const TERMS =
  /\bnet[\s-]*(\d{1,3})\b|\b(\d{1,3})\s*days?\s*(?:to pay|payment terms?|terms)\b|\bpayment terms?\s*(?:of|:)?\s*(\d{1,3})\s*days?\b/i;

/** The client key a written name stands for: an exact name first, then a known name or alias inside it. */
function clientKeyFor(
  dir: Pick<ClientDirectory, 'entitiesIn' | 'entityName'>,
  written: string,
): { key: string; known: boolean } {
  const exact = entityKey('client', written);
  if (dir.entityName(exact) !== undefined) return { key: exact, known: true };
  // "Acme" is Acme Corp; "Acme Labs" is not (a word memory's name lacks): a new client, not a near miss.
  const words = (s: string): string[] =>
    s
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean);
  const found = dir.entitiesIn(written).find((k) => {
    if (!k.startsWith('client:') && !k.startsWith('contact:')) return false;
    const name = new Set(words(dir.entityName(k) ?? ''));
    return words(written).every((w) => name.has(w));
  });
  return found ? { key: found, known: true } : { key: exact, known: false };
}

export async function resolveClient(dir: ClientDirectory, written: string): Promise<ClientProfile> {
  await dir.ready?.();
  const { key, known } = clientKeyFor(dir, written);
  const name = dir.entityName(key) ?? written.trim();
  const profile: ClientProfile = { name, key, known };
  if (!known) return profile;
  const memories = await dir.byEntity(key, 100);
  // Newest first; an address next to a billing word wins over any other address.
  let fallback: { email: string; from: string } | undefined;
  for (const m of memories) {
    const emails = [...m.text.matchAll(EMAIL)].map((e) => e[0].replace(/\.$/, ''));
    if (emails.length > 0 && !profile.email && BILLING.test(m.text))
      Object.assign(profile, { email: emails[0], emailFrom: m.id });
    if (emails.length > 0 && !fallback) fallback = { email: emails[0]!, from: m.id };
    const terms = TERMS.exec(m.text);
    const days = Number(terms?.[1] ?? terms?.[2] ?? terms?.[3]);
    if (profile.termsDays === undefined && terms && Number.isInteger(days) && days <= 365) profile.termsDays = days;
  }
  if (!profile.email && fallback) Object.assign(profile, { email: fallback.email, emailFrom: fallback.from });
  return profile;
}
