// Reading Stripe parameters the way Stripe does: strict types, unknown parameters refused, metadata rules, lists
// newest first with `limit` and `starting_after`.

import { noSuch, paramInvalid, paramMissing, paramUnknown } from './errors.ts';
import type { Params, Value } from './form.ts';

export type Metadata = Record<string, string>;

export const str = (p: Params, name: string): string | undefined => {
  const v = p[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw paramInvalid(name, `Invalid string: ${name}`);
  return v;
};
export const need = (p: Params, name: string): string => {
  const v = str(p, name);
  if (v === undefined || v === '') throw paramMissing(name);
  return v;
};
export const int = (p: Params, name: string): number | undefined => {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw paramInvalid(name, `Invalid integer: ${v}`);
  return Number(v);
};
export const bool = (p: Params, name: string): boolean | undefined => {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw paramInvalid(name, `Invalid boolean: ${v}`);
  return v === 'true';
};
export const only = (p: Params, allowed: string[]): void => {
  for (const key of Object.keys(p)) if (key !== 'expand' && !allowed.includes(key)) throw paramUnknown(key);
};
export const metadata = (p: Params, name = 'metadata'): Metadata | undefined => {
  const v: Value | undefined = p[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v === '') return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw paramInvalid(name, `Invalid hash: ${name}`);
  const out: Metadata = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw paramInvalid(`${name}[${k}]`, 'Invalid metadata value');
    if (val.length > 500) throw paramInvalid(`${name}[${k}]`, 'Metadata values can have up to 500 characters');
    out[k] = val;
  }
  if (Object.keys(out).length > 50) throw paramInvalid(name, 'Metadata can have up to 50 keys');
  return out;
};
/** Stripe merges metadata on update; an empty value removes the key. */
export const merge = (old: Metadata, update: Metadata | undefined): Metadata => {
  if (update === undefined) return old;
  const out = { ...old, ...update };
  for (const [k, v] of Object.entries(update)) if (v === '') delete out[k];
  return out;
};
export const currency = (p: Params, name = 'currency'): string | undefined => {
  const v = str(p, name);
  if (v !== undefined && !/^[a-zA-Z]{3}$/.test(v)) throw paramInvalid(name, `Invalid currency: ${v}`);
  return v?.toLowerCase();
};

/** `created=T` or `created[gte|gt|lte|lt]=T` (seconds), as Stripe's list filters take it. */
function createdFilter(p: Params): (created: number) => boolean {
  const v = p['created'];
  if (v === undefined) return () => true;
  if (typeof v === 'string') {
    const at = int(p, 'created');
    return (c) => c === at;
  }
  if (Array.isArray(v)) throw paramInvalid('created', 'Invalid created filter');
  const bound = (op: string): number | undefined => int(v, op);
  const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')];
  return (c) =>
    (gte === undefined || c >= gte) &&
    (gt === undefined || c > gt) &&
    (lte === undefined || c <= lte) &&
    (lt === undefined || c < lt);
}

/** Newest first, with `limit` (1-100, default 10), `starting_after` and `created`, as Stripe lists. */
export function list<T extends { id: string; created: number }>(
  url: string,
  items: T[],
  p: Params,
): Record<string, unknown> {
  const limit = int(p, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw paramInvalid('limit', 'Invalid limit: must be between 1 and 100');
  const inRange = createdFilter(p);
  let sorted = [...items].reverse().filter((o) => inRange(o.created));
  const after = str(p, 'starting_after');
  if (after) {
    const at = sorted.findIndex((o) => o.id === after);
    if (at < 0) throw noSuch('object', after, 'starting_after');
    sorted = sorted.slice(at + 1);
  }
  return { object: 'list', data: sorted.slice(0, limit), has_more: sorted.length > limit, url };
}
