// Rate limits per connector, agent, tool or channel, from the policy's `rate_limits` section
// (`connector:mail: 20/hour`, `agent:*: 60/minute`). A scope with its own line gets that limit; otherwise the
// `<type>:*` line applies, with a separate counter per scope; with neither, the scope is not limited.
// Reconfiguring keeps the counters of limits that did not change, so a policy edit does not reset them.

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Policy, RateLimitsPolicy, RateSpec } from './schema.ts';

export type ConsumeResult = { ok: true } | { ok: false; retryAfterMs: number; limit: string; message: string };

interface Limiter {
  spec: RateSpec;
  limiter: RateLimiterMemory;
}

// A RateLimitsPolicy's keys all contain ':', so it never has an `approvals` key.
const isPolicy = (p: Policy | RateLimitsPolicy): p is Policy => 'approvals' in p && 'rate_limits' in p;

const sameSpec = (a: RateSpec, b: RateSpec): boolean =>
  a.points === b.points && a.durationSeconds === b.durationSeconds;

export class RateLimits {
  #limits: RateLimitsPolicy = {};
  readonly #limiters = new Map<string, Limiter>();

  constructor(policy: Policy | RateLimitsPolicy) {
    this.update(policy);
  }

  /** Applies a new policy (call it from PolicyService's `loaded`). */
  update(policy: Policy | RateLimitsPolicy): void {
    const limits = isPolicy(policy) ? policy.rate_limits : policy;
    this.#limits = limits;
    for (const [line, held] of this.#limiters) {
      const spec = limits[line];
      if (!spec || !sameSpec(spec, held.spec)) this.#limiters.delete(line);
    }
  }

  /** The policy line that governs a scope (`connector:mail`, else `connector:*`), if any. */
  lineFor(scope: string): string | undefined {
    if (Object.hasOwn(this.#limits, scope)) return scope;
    const wildcard = `${scope.slice(0, scope.indexOf(':'))}:*`;
    return scope.includes(':') && Object.hasOwn(this.#limits, wildcard) ? wildcard : undefined;
  }

  /** Counts one use (or `points`) of a scope such as `connector:mail` or `agent:research`. */
  async consume(scope: string, points = 1): Promise<ConsumeResult> {
    const line = this.lineFor(scope);
    const spec = line === undefined ? undefined : this.#limits[line];
    if (line === undefined || spec === undefined) return { ok: true };
    let held = this.#limiters.get(line);
    if (!held) {
      held = {
        spec,
        limiter: new RateLimiterMemory({ points: spec.points, duration: spec.durationSeconds, keyPrefix: line }),
      };
      this.#limiters.set(line, held);
    }
    try {
      await held.limiter.consume(scope, points);
      return { ok: true };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      const seconds = Math.ceil(err.msBeforeNext / 1000);
      return {
        ok: false,
        retryAfterMs: err.msBeforeNext,
        limit: `${line}: ${spec.text}`,
        message: `${scope} is over its limit of ${spec.text.replace('/', ' per ')}; it can go again in ${seconds} s.`,
      };
    }
  }
}
