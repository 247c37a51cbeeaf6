// The event UID a step key stands for. Deterministic, so a repeated step (or a compensation whose create was never
// journaled) finds the same event on the server; the UID is also the resource name (`<uid>.ics`).

import { createHash } from 'node:crypto';

const digest = (text: string, length: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

/** `solo-` + 32 hex digits of SHA-256(key): URL-safe, unique per key, no run ids leaked to other calendar apps. */
export const eventUidFor = (idempotencyKey: string): string => `solo-${digest(idempotencyKey, 32)}`;

/** A short fingerprint of an update's key, stored in the event so a replayed update is recognised. */
export const updateMarkFor = (idempotencyKey: string): string => digest(`update:${idempotencyKey}`, 24);
