// zod at the model's edge: zod schemas become JSON Schema for tools and response_format, and what comes back
// (tool arguments, structured replies) is parsed with the same zod schema. Replies from models that ignore
// response_format are still read when they hold JSON, with or without ``` fences or a sentence around it.

import { z } from 'zod';

export interface JsonSchemaOut {
  schema: Record<string, unknown>;
  /** True when the schema meets OpenAI's strict mode rules (every property required, no extra properties). */
  strict: boolean;
}

const converted = new WeakMap<z.ZodType, JsonSchemaOut>();

/** The JSON Schema of what the model must produce (zod's input side), ready for `strict` when it qualifies.
 * Cached per schema object (tools and agent schemas are module constants); treat the result as read-only. */
export function toJsonSchema(schema: z.ZodType): JsonSchemaOut {
  let done = converted.get(schema);
  if (!done) {
    done = convert(schema);
    converted.set(schema, done);
  }
  return done;
}

function convert(schema: z.ZodType): JsonSchemaOut {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete out['$schema'];
  const strict = strictable(out);
  if (strict) closeObjects(out);
  return { schema: out, strict };
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function children(node: Json): unknown[] {
  const out: unknown[] = [];
  for (const key of ['properties', '$defs', 'definitions']) if (isObj(node[key])) out.push(...Object.values(node[key]));
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems'])
    if (Array.isArray(node[key])) out.push(...(node[key] as unknown[]));
  if (node['items'] !== undefined) out.push(node['items']);
  return out;
}

function strictable(node: unknown): boolean {
  if (!isObj(node)) return true;
  if (node['type'] === 'object' || isObj(node['properties'])) {
    const props = isObj(node['properties']) ? Object.keys(node['properties']) : [];
    const required = Array.isArray(node['required']) ? (node['required'] as string[]) : [];
    if (props.length === 0 || props.some((p) => !required.includes(p))) return false;
    if (node['additionalProperties'] !== undefined && node['additionalProperties'] !== false) return false;
  }
  if (node['oneOf'] !== undefined || node['allOf'] !== undefined) return false;
  return children(node).every(strictable);
}

function closeObjects(node: unknown): void {
  if (!isObj(node)) return;
  if (node['type'] === 'object') node['additionalProperties'] = false;
  for (const child of children(node)) closeObjects(child);
}

/** Reads JSON out of a reply: the whole text, a ``` fenced block, or the outermost {…} / […] inside it. */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const candidates: string[] = [];
  const trimmed = text.trim();
  candidates.push(trimmed);
  const fence = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(trimmed);
  if (fence?.[1] !== undefined) candidates.push(fence[1].trim());
  for (const [open, close] of [
    ['{', '}'],
    ['[', ']'],
  ] as const) {
    const start = trimmed.indexOf(open);
    const end = trimmed.lastIndexOf(close);
    if (start >= 0 && end > start) candidates.push(trimmed.slice(start, end + 1));
  }
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate) as unknown };
    } catch {
      // try the next reading
    }
  }
  return {
    ok: false,
    error: trimmed === '' ? 'the reply was empty, expected a JSON value' : 'the reply is not valid JSON',
  };
}

/** Short, model-readable list of what is wrong: `path: message` per issue. */
function describeIssues(error: z.ZodError, limit = 8): string {
  const lines = error.issues
    .slice(0, limit)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  if (error.issues.length > limit) lines.push(`… and ${error.issues.length - limit} more`);
  return lines.join('; ');
}

/** Parses text as JSON and validates it; a failure says what was wrong in words a model can act on. */
export function parseStructured<T>(
  text: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; error: string } {
  const json = extractJson(text);
  if (!json.ok) return json;
  const result = schema.safeParse(json.value);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error) };
}

/** Tool arguments arrive as a JSON string; empty means no arguments. */
export function parseToolArgs<T>(
  raw: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
  } catch {
    return { ok: false, error: 'the arguments are not valid JSON' };
  }
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: describeIssues(result.error) };
}

/** OpenAI's rule for tool and schema names. */
export const safeName = (name: string): string => name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'result';
