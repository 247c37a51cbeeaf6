// What the app adds to every effectful connector call on top of the connector itself: the Proxy that routes it
// through the policy gate, the rate limiter's consume (rate-limiter-flexible, in memory) and the debug log line
// (logger at info, so the line is not written, as in production). Against a no-op target, so only the wrapper remains.

import { Writable } from 'node:stream';
import { createLogger } from '../src/observability/logger.ts';
import { connectorGate, limited } from '../src/policy/connector-limits.ts';
import { RateLimits } from '../src/policy/rate-limits.ts';
import { line, summary } from './stats.ts';

const N = Number(process.env['BENCH_N'] ?? 20_000);
const BATCH = 100;
const logger = await createLogger(
  { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
  new Writable({ write: (_c, _e, done) => done() }),
);
const rateLimits = new RateLimits({
  'connector:*': { points: 1_000_000_000, durationSeconds: 60, text: '1000000000/minute' },
});
const gate = connectorGate({ rateLimits, report: async () => undefined, logger });

class Target {
  #sent = 0;
  async send(_mail: unknown, _effect: { idempotencyKey: string }): Promise<number> {
    return ++this.#sent;
  }
}
const raw = new Target();
const wrapped = limited(raw, 'mail', ['send'], gate);

async function measure(label: string, call: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 2000; i++) await call(i);
  const perCall: number[] = [];
  for (let b = 0; b < N / BATCH; b++) {
    const started = performance.now();
    for (let i = 0; i < BATCH; i++) await call(i);
    perCall.push(((performance.now() - started) * 1000) / BATCH);
  }
  line(label, summary(perCall, 'µs', 2));
}

await measure('raw call (no wrapper)', (i) => raw.send({}, { idempotencyKey: `k${i}` }));
await measure('through gate + rate limit + Proxy', (i) => wrapped.send({}, { idempotencyKey: `k${i}` }));
