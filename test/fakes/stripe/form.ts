// Stripe's form encoding: `a[b][c]=v` nests objects, `a[0][b]=v` and `a[]=v` build arrays (the qs format the
// official SDKs send). Also the canonical form the idempotency layer compares parameters by.

export type Params = { [key: string]: Value };
export type Value = string | Value[] | Params;

/** Parses a query string or form body into nested params. Objects keyed only by indexes become arrays. */
export function parseForm(text: string): Params {
  const root: Params = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const first = /^[^[]+/.exec(rawKey)?.[0] ?? rawKey;
    const path = [first, ...[...rawKey.slice(first.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '')];
    let node: Params = root;
    path.forEach((segment, i) => {
      const key = segment === '' ? String(Object.keys(node).length) : segment;
      if (i === path.length - 1) {
        node[key] = value;
        return;
      }
      const next = node[key];
      if (typeof next === 'object' && !Array.isArray(next)) node = next;
      else node = node[key] = {};
    });
  }
  return arrays(root) as Params;
}

function arrays(value: Value): Value {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted: Params = Object.fromEntries(keys.map((k) => [k, arrays(value[k] as Value)]));
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => converted[k] as Value);
  }
  return converted;
}

/** Same parameters, however ordered, give the same string. */
export function canonical(value: Value): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as Value)}`)
    .join(',')}}`;
}
