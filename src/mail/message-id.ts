// Message-IDs Solo OS gives the mail it sends: derived from the workflow step's idempotency key, so every attempt
// of one step carries the same id (how a retry finds what an earlier attempt sent), and recognisable as ours
// (how a reply to a thread we started is told apart).

import { createHash } from 'node:crypto';

const PREFIX = 'solo-';
const OURS = /^<solo-[0-9a-f]{32}@([^<>@\s]+)>$/;

/** `<solo-<32 hex of SHA-256(key)>@domain>`. */
export function messageIdForKey(key: string, domain: string): string {
  const hash = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32);
  return `<${PREFIX}${hash}@${domain.toLowerCase()}>`;
}

/** True for an id we generated for this domain (exact form, brackets included). */
export function isOurMessageId(id: string | undefined, domain: string): boolean {
  const match = id === undefined ? null : OURS.exec(id.trim());
  return match !== null && match[1]?.toLowerCase() === domain.toLowerCase();
}

/** Message-IDs in a header value such as References (`<a@x> <b@y>`), in order. */
export function messageIdsIn(value: string | undefined): string[] {
  return value === undefined ? [] : [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}
