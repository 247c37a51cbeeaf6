// Short, typeable ids (operators type them in /run <id>). Lower-case base32 without look-alikes.

import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function encode(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[(bytes[i] ?? 0) % ALPHABET.length];
  return out;
}

/** A random id such as `a7kq2m9x`. */
export const randomId = (prefix: string, length = 8): string => prefix + encode(randomBytes(length), length);

/** The same id for the same input: a redelivered or replayed request maps to the same run. */
export const stableId = (prefix: string, input: string, length = 8): string =>
  prefix + encode(createHash('sha256').update(input).digest(), length);
