// The policy's `connector:<name>` rate limits on what a connector does (a mail sent, an invoice issued, an event
// created): each effect counts once (a retry of a step that was let through, same key, is the same effect); over the
// limit the call is refused with a retryable ConnectorError the operator can read (the engine retries, then asks for
// review with a Retry button), recorded as a policy violation. Reads (the inbox poll, free slots, health) and
// compensations (void, cancel, refund) are never limited: undoing must always be possible. Every call is logged at
// debug level with its step key (how attempts are counted).

import { ConnectorError } from '../ports/connector.ts';
import type { Logger } from '../observability/logger.ts';
import type { RateLimits } from './rate-limits.ts';
import { violationFromRateLimit, type ViolationReport } from './violations.ts';

export interface ConnectorGateDeps {
  rateLimits: Pick<RateLimits, 'consume'>;
  /** Records the violation and tells the operator (the agent runner's `report`). */
  report: (violation: ViolationReport | undefined) => Promise<void>;
  logger: Logger;
}

const REPORT_EVERY_MS = 60_000;
/** Step keys remembered as already admitted (oldest forgotten first): enough for hours of effects. */
const ADMITTED_KEYS = 5000;

/** Counts one use of `connector:<name>`; throws when it is over its limit. */
export function connectorGate(
  d: ConnectorGateDeps,
): (connector: string, method: string, key: string | undefined) => Promise<void> {
  const log = d.logger.child({ component: 'connector-limits' });
  /** When each connector's refusal was last reported: the engine's retries of one step are one violation, not five. */
  const reported = new Map<string, number>();
  /** Keys that passed: a retry of the same step is the same effect (the key makes it one), so it counts once. */
  const admitted = new Set<string>();
  return async (connector, method, key) => {
    log.debug({ connector, method, key }, 'connector call');
    const id = key === undefined ? undefined : `${connector}:${method}:${key}`;
    if (id !== undefined && admitted.has(id)) return;
    const result = await d.rateLimits.consume(`connector:${connector}`);
    if (result.ok) {
      if (id === undefined) return;
      admitted.add(id);
      if (admitted.size > ADMITTED_KEYS) admitted.delete(admitted.values().next().value ?? '');
      return;
    }
    const now = Date.now();
    if (now - (reported.get(connector) ?? 0) > REPORT_EVERY_MS) {
      reported.set(connector, now);
      await d.report(violationFromRateLimit(result, {}));
    }
    throw new ConnectorError(
      connector,
      `${connector}_rate_limited`,
      `The ${connector} connector is over its rate limit (${result.limit}); it can act again in ${Math.ceil(result.retryAfterMs / 1000)} s — tap Retry then, or raise the limit in policies/limits.yaml.`,
      { retryable: true },
    );
  };
}

/**
 * The connector with `methods` passing the gate first. A Proxy, so every other member (and private fields, through
 * the real `this`) works as before.
 */
export function limited<T extends object>(
  target: T,
  connector: string,
  methods: readonly (keyof T & string)[],
  gate: ReturnType<typeof connectorGate>,
): T {
  const gated = new Set<string | symbol>(methods);
  return new Proxy(target, {
    get(t, property) {
      const value: unknown = Reflect.get(t, property, t);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (!gated.has(property)) return fn.bind(t);
      return async (...args: unknown[]) => {
        const effect = args.find(
          (a): a is { idempotencyKey: string } =>
            typeof a === 'object' &&
            a !== null &&
            typeof (a as { idempotencyKey?: unknown }).idempotencyKey === 'string',
        );
        await gate(connector, String(property), effect?.idempotencyKey);
        return fn.apply(t, args);
      };
    },
  });
}
