// The small pure parts of the LLM adapter: reading JSON out of model replies, zod → JSON Schema with OpenAI's strict
// rules, Retry-After parsing (seconds, milliseconds, HTTP dates), backoff bounds and secret scrubbing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { scrubSecrets } from '../../src/llm/errors.ts';
import { backoffMs, retryAfterFrom } from '../../src/llm/retry.ts';
import { extractJson, parseStructured, parseToolArgs, toJsonSchema } from '../../src/llm/schema.ts';

test('JSON is read from plain, fenced, prose-wrapped and array replies; junk is refused with a reason', () => {
  assert.deepEqual(extractJson('{"a":1}'), { ok: true, value: { a: 1 } });
  assert.deepEqual(extractJson('```json\n{"a": [1, 2]}\n```'), { ok: true, value: { a: [1, 2] } });
  assert.deepEqual(extractJson('```\n{"a": 2}\n```\nHope that helps!'), { ok: true, value: { a: 2 } });
  assert.deepEqual(extractJson('Sure! {"a": {"b": "}"}} Done.'), { ok: true, value: { a: { b: '}' } } });
  assert.deepEqual(extractJson('Items: [1, 2, 3].'), { ok: true, value: [1, 2, 3] });
  assert.deepEqual(extractJson('no json here'), { ok: false, error: 'the reply is not valid JSON' });
  assert.deepEqual(extractJson('  '), { ok: false, error: 'the reply was empty, expected a JSON value' });
});

test('validation failures name the path and the problem, in words a model can act on', () => {
  const schema = z.object({ amount: z.number().positive(), lines: z.array(z.object({ qty: z.number().int() })) });
  const r = parseStructured('{"amount": 0, "lines": [{"qty": 1.5}]}', schema);
  assert.equal(r.ok, false);
  assert.match(
    r.ok ? '' : r.error,
    /^amount: Too small: expected number to be >0; lines\.0\.qty: Invalid input: expected int, received number$/,
  );
  assert.deepEqual(parseToolArgs('', z.object({})), { ok: true, value: {} });
  assert.deepEqual(parseToolArgs('{"q":', z.object({ q: z.string() })), {
    ok: false,
    error: 'the arguments are not valid JSON',
  });
});

test('zod → JSON Schema: strict only when every property is required; nested objects closed', () => {
  const strict = toJsonSchema(
    z.object({ a: z.string(), b: z.array(z.object({ c: z.number() })), d: z.enum(['x', 'y']).nullable() }),
  );
  assert.equal(strict.strict, true);
  assert.equal(strict.schema['$schema'], undefined);
  assert.equal(strict.schema['additionalProperties'], false);
  assert.equal(
    (strict.schema as { properties: { b: { items: { additionalProperties: unknown } } } }).properties.b.items
      .additionalProperties,
    false,
  );
  assert.equal(toJsonSchema(z.object({ a: z.string().optional() })).strict, false);
  assert.equal(
    toJsonSchema(z.object({ a: z.string().default('x') })).strict,
    false,
    'a default makes the input optional',
  );
  assert.equal(toJsonSchema(z.record(z.string(), z.number())).strict, false);
  assert.equal(toJsonSchema(z.object({})).strict, false);
  // Transforms cannot be described, but the input side can: no throw.
  assert.equal(toJsonSchema(z.object({ n: z.string().transform(Number) })).strict, true);
});

test('Retry-After: milliseconds first, then seconds, then an HTTP date; garbage ignored', () => {
  const h = (entries: Record<string, string>) => new Headers(entries);
  assert.equal(retryAfterFrom(h({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
  assert.equal(retryAfterFrom(h({ 'retry-after': '2' })), 2000);
  assert.equal(retryAfterFrom(h({ 'retry-after': '0.5' })), 500);
  const now = Date.parse('2026-11-27T12:00:00Z');
  assert.equal(retryAfterFrom(h({ 'retry-after': 'Fri, 27 Nov 2026 12:00:30 GMT' }), now), 30_000);
  assert.equal(retryAfterFrom(h({ 'retry-after': 'Fri, 27 Nov 2026 11:00:00 GMT' }), now), 0);
  assert.equal(retryAfterFrom(h({ 'retry-after': 'soon' })), undefined);
  assert.equal(retryAfterFrom(h({})), undefined);
  assert.equal(retryAfterFrom(undefined), undefined);
});

test('backoff doubles from the base with at most 25 % jitter and stops at the ceiling', () => {
  for (let i = 0; i < 200; i++) {
    const first = backoffMs(0, 500, 8000);
    const third = backoffMs(2, 500, 8000);
    const capped = backoffMs(10, 500, 8000);
    assert.ok(first >= 375 && first <= 500, `first ${first}`);
    assert.ok(third >= 1500 && third <= 2000, `third ${third}`);
    assert.ok(capped >= 6000 && capped <= 8000, `capped ${capped}`);
  }
});

test('secrets are scrubbed: the key itself, key-shaped tokens and bearer headers', () => {
  const key = 'sk-proj-AbCdEf123456';
  assert.equal(scrubSecrets(`bad key ${key} here`, [key]), 'bad key [redacted] here');
  assert.equal(
    scrubSecrets('Incorrect API key provided: sk-pr**********3456.', []),
    'Incorrect API key provided: sk-[redacted]',
  );
  assert.equal(scrubSecrets('Authorization: Bearer abc.def', []), 'Authorization: Bearer [redacted]');
  assert.equal(scrubSecrets('a task-list and desk-top', []), 'a task-list and desk-top');
});
