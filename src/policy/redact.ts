// Masks sensitive values before text reaches a model or a log: `[EMAIL_1]`, `[PHONE_2]`, `[IBAN_1]`, `[CARD_1]`,
// `[SECRET_1]`, `[CLIENT_CODE_1]`. The mapping from placeholder to value is plain JSON, so it can travel with a
// conversation and be extended turn after turn (the same value keeps its placeholder). `refill` puts back only
// the kinds the policy calls safe, e.g. an email address into a draft the operator will read; card numbers and
// secrets are never kept in the mapping at all, only a keyed hash that lets the same secret get the same mask.

import { createHmac, randomBytes } from 'node:crypto';
import { DEFAULT_POLICY, NEVER_REFILLED, type Policy, type RedactionPolicy } from './schema.ts';
import { detect, type DetectOptions } from './detectors.ts';

type RedactionKind = 'email' | 'phone' | 'iban' | 'card' | 'secret' | (string & {});

interface MappingEntry {
  kind: RedactionKind;
  /** The real value; absent for kinds that are never put back (cards, secrets). */
  value?: string;
  /** Keyed hash of the normalised value: the same value gets the same placeholder. */
  hash: string;
}

export interface RedactionMapping {
  v: 1;
  /** Placeholder (e.g. "[EMAIL_1]") → what it stands for. */
  entries: Record<string, MappingEntry>;
}

interface Redacted {
  text: string;
  mapping: RedactionMapping;
  /** How many values were masked in this text. */
  count: number;
}

export interface RefillOptions {
  /** Kinds that may be put back. Cards and secrets are refused whatever this says. */
  allow: readonly string[];
}

export interface Redactor {
  /** Masks `text`; pass the conversation's mapping to extend it (it is not mutated; a new one is returned). */
  redact(text: string, mapping?: RedactionMapping): Redacted;
  /** Puts back the kinds the policy's `refill` list allows (or `options.allow`). */
  refill(text: string, mapping: RedactionMapping, options?: RefillOptions): string;
}

export const emptyMapping = (): RedactionMapping => ({ v: 1, entries: {} });

// Per-process key: a persisted mapping does not carry a plain hash of a short password someone could brute-force.
const HASH_KEY = randomBytes(32);
const PLACEHOLDER = /\[([A-Z][A-Z0-9_]*)_(\d+)\]/g;

function normalise(kind: string, value: string): string {
  switch (kind) {
    case 'email':
      return value.toLowerCase();
    case 'phone':
      return (value.trim().startsWith('+') ? '+' : '') + value.replace(/\D/g, '');
    case 'iban':
    case 'card':
      return value.replace(/[\s-]/g, '').toUpperCase();
    default:
      return value;
  }
}

const label = (kind: string): string => kind.toUpperCase();
const neverRefilled = (kind: string): boolean => (NEVER_REFILLED as readonly string[]).includes(kind);

function detectOptions(policy: RedactionPolicy): DetectOptions {
  const on = policy.enabled;
  return {
    emails: on && policy.emails,
    phones: on && policy.phones,
    ibans: on && policy.ibans,
    cards: on && policy.cards,
    secrets: on && policy.secrets,
    custom: on ? policy.custom.map((c) => ({ name: c.name, re: new RegExp(c.pattern, c.flags) })) : [],
  };
}

function redactWith(options: DetectOptions, text: string, previous: RedactionMapping | undefined): Redacted {
  const mapping: RedactionMapping = { v: 1, entries: { ...(previous?.entries ?? {}) } };
  const byHash = new Map<string, string>();
  const next = new Map<string, number>();
  for (const [placeholder, entry] of Object.entries(mapping.entries)) {
    byHash.set(`${entry.kind}\0${entry.hash}`, placeholder);
    const n = Number(/_(\d+)\]$/.exec(placeholder)?.[1] ?? 0);
    next.set(entry.kind, Math.max(next.get(entry.kind) ?? 1, n + 1));
  }
  // Placeholder-looking text that did not come from us is neutralised, so a refill can never fill it in.
  const input = text.replace(PLACEHOLDER, (whole: string, kind: string, n: string) =>
    Object.hasOwn(mapping.entries, whole) ? whole : `(${kind}_${n})`,
  );
  const spans = detect(input, options);
  if (spans.length === 0) return { text: input, mapping, count: 0 };
  let out = '';
  let at = 0;
  for (const span of spans) {
    const hash = createHmac('sha256', HASH_KEY)
      .update(normalise(span.kind, span.value))
      .digest('base64url')
      .slice(0, 22);
    const key = `${span.kind}\0${hash}`;
    let placeholder = byHash.get(key);
    if (placeholder === undefined) {
      const n = next.get(span.kind) ?? 1;
      next.set(span.kind, n + 1);
      placeholder = `[${label(span.kind)}_${n}]`;
      byHash.set(key, placeholder);
      mapping.entries[placeholder] = neverRefilled(span.kind)
        ? { kind: span.kind, hash }
        : { kind: span.kind, value: span.value, hash };
    }
    out += input.slice(at, span.start) + placeholder;
    at = span.end;
  }
  return { text: out + input.slice(at), mapping, count: spans.length };
}

/** Puts real values back for the allowed kinds; anything else (and any unknown placeholder) stays masked. */
export function refill(text: string, mapping: RedactionMapping, options: RefillOptions): string {
  const allowed = new Set(options.allow.filter((k) => !neverRefilled(k)));
  return text.replace(PLACEHOLDER, (whole: string) => {
    const entry = Object.hasOwn(mapping.entries, whole) ? mapping.entries[whole] : undefined;
    return entry?.value !== undefined && allowed.has(entry.kind) && !neverRefilled(entry.kind) ? entry.value : whole;
  });
}

/** A redactor for one policy (a `Policy` or just its `redaction` section). */
export function createRedactor(policy: Policy | RedactionPolicy = DEFAULT_POLICY): Redactor {
  const section = 'redaction' in policy ? policy.redaction : policy;
  const options = detectOptions(section);
  return {
    redact: (text, mapping) => redactWith(options, text, mapping),
    refill: (text, mapping, opts) => refill(text, mapping, opts ?? { allow: section.refill }),
  };
}

// ---- logs -----------------------------------------------------------------------------------------------------

const SECRET_KEY =
  /pass(word|wd|phrase)?$|secret|token|api[-_]?key|authorization|cookie|private[-_]?key|credential|signature|^pin$/i;
const MAX_DEPTH = 8;

/**
 * A copy of `value` fit for a log line: strings are redacted (secrets and cards always, whatever the policy),
 * values under keys such as `password`, `token`, `apiKey`, `authorization` are replaced whole. Handles cycles,
 * errors, buffers and deep nesting without throwing.
 */
export function redactForLog(value: unknown, policy: Policy | RedactionPolicy = DEFAULT_POLICY): unknown {
  const section = 'redaction' in policy ? policy.redaction : policy;
  const options = { ...detectOptions({ ...section, enabled: true }), secrets: true, cards: true };
  let mapping = emptyMapping();
  const text = (s: string): string => {
    const r = redactWith(options, s, mapping);
    mapping = r.mapping;
    return r.text;
  };
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object')
      return typeof v === 'function' || typeof v === 'symbol' ? `[${typeof v}]` : v;
    if (v instanceof Date) return v;
    if (seen.has(v)) return '[circular]';
    if (depth >= MAX_DEPTH) return '[too deep]';
    seen.add(v);
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `[binary ${v.byteLength} bytes]`;
    if (v instanceof Error) {
      const out: Record<string, unknown> = { name: v.name, message: text(v.message) };
      if (v.stack !== undefined) out.stack = text(v.stack);
      if ('code' in v) out.code = walk((v as { code: unknown }).code, depth + 1);
      if (v.cause !== undefined) out.cause = walk(v.cause, depth + 1);
      return out;
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    if (v instanceof Map) return walk(Object.fromEntries(v), depth);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) {
      out[key] =
        SECRET_KEY.test(key) && item !== null && item !== undefined && item !== ''
          ? '[redacted]'
          : walk(item, depth + 1);
    }
    return out;
  };
  return walk(value, 0);
}
