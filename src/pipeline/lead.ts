// A lead becomes one canonical client profile in memory: matched to an existing client by email first, then by
// name ("Acme" is Acme Corp), never a second profile next to the first. A new client gets a profile memory (kind
// client); a known one gets the new enquiry as a fact linked to its profile. Also how `/lead` text is read.

import { entityKey } from '../memory/entities.ts';
import { resolveClient, type ClientDirectory } from '../invoices/clients.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Memory, MemorySource, MemoryStore } from '../ports/store.ts';

export interface Lead {
  name: string;
  email?: string;
  notes?: string;
}

export interface ClientRef {
  key: string;
  name: string;
  email?: string;
  /** True when memory knew the client before this lead. */
  existing: boolean;
  /** The profile memory's id. */
  profileId?: string;
}

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

/** `/lead Jane Doe jane@acme.example Wants a rebrand` → the lead, or one sentence saying what is missing. */
export function parseLead(args: string): Lead | { error: string } {
  const words = args.trim().split(/\s+/).filter(Boolean);
  const at = words.findIndex((w) => EMAIL.test(w.replace(/^<|>$/g, '')));
  const usage = 'Usage: /lead <name> <email> [notes], e.g. /lead Jane Doe jane@acme.example wants a rebrand, budget 5k';
  if (at <= 0) return { error: words.length === 0 ? usage : `${usage}. I need a name and then an email address.` };
  const name = words.slice(0, at).join(' ').replace(/[<>"]/g, '').slice(0, 120);
  const notes = words
    .slice(at + 1)
    .join(' ')
    .slice(0, 2000);
  return { name, email: words[at]!.replace(/^<|>$/g, '').toLowerCase(), ...(notes ? { notes } : {}) };
}

type Memories = Pick<MemoryService, 'remember' | 'entitiesIn' | 'entityName' | 'start'>;

const clientOf = (m: Memory): string | undefined =>
  m.entities.find((e) => e.startsWith('client:') || e.startsWith('contact:'));

/** The client a lead is, as memory will know it from now on: one profile, made or found. */
export async function canonicalClient(
  memory: Memories,
  memories: Pick<MemoryStore, 'candidates' | 'byEntity'>,
  lead: Lead,
  source: MemorySource,
): Promise<ClientRef> {
  await memory.start();
  const directory: ClientDirectory = {
    entitiesIn: (t) => memory.entitiesIn(t),
    entityName: (k) => memory.entityName(k),
    byEntity: (k, n) => memories.byEntity(k, n),
  };
  // By email first: the same person writing under another name is the same client.
  let key: string | undefined;
  if (lead.email) {
    const email = lead.email;
    key = (await memories.candidates([email], 20))
      .filter((m) => m.text.toLowerCase().includes(email))
      .map(clientOf)
      .find((k) => k !== undefined);
  }
  const byName = key ? undefined : await resolveClient(directory, lead.name);
  if (byName?.known) key = byName.key;
  if (key) {
    const name = memory.entityName(key) ?? lead.name;
    const profile = (await memories.byEntity(key, 100)).find((m) => m.kind === 'client' || m.kind === 'contact');
    const known = await resolveClient(directory, name);
    const email = known.email ?? lead.email;
    const facts = [
      lead.email && lead.email !== known.email ? `email ${lead.email}` : '',
      lead.notes ? `new enquiry: ${lead.notes}` : 'new enquiry',
    ].filter(Boolean);
    await memory.remember({ text: `${name}: ${facts.join('; ')}`, kind: 'fact', entities: [key], source });
    return { key, name, ...(email ? { email } : {}), existing: true, ...(profile ? { profileId: profile.id } : {}) };
  }
  const newKey = entityKey('client', lead.name);
  const text = `${lead.name}: lead${lead.email ? `, email ${lead.email}` : ''}${lead.notes ? `. ${lead.notes}` : ''}`;
  const made = await memory.remember({ text, kind: 'client', entities: [newKey], subject: lead.name, source });
  return {
    key: newKey,
    name: lead.name,
    ...(lead.email ? { email: lead.email } : {}),
    existing: false,
    profileId: made.memory.id,
  };
}
