// One start-to-stop span of a platform channel. Every API call the channel's SDK makes in that span goes through
// `fetch`, which ties it to the span: ending the span (stop()) cancels the calls still waiting on the platform, so a
// platform that accepts connections and never answers cannot hold up a stop.

import { apiFetch } from './fetch.ts';

export class Lifetime {
  readonly #controller = new AbortController();
  /** One controller per call in flight: ending the span aborts them all (AbortSignal.any cost 6–9 µs a call, growing). */
  readonly #calls = new Set<AbortController>();

  constructor() {
    this.signal.addEventListener(
      'abort',
      () => {
        for (const call of this.#calls) call.abort(this.signal.reason);
      },
      { once: true },
    );
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get ended(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Cancels the calls in flight, and fails every later one at once. */
  end(reason = 'the channel stopped'): void {
    if (!this.ended) this.#controller.abort(new Error(reason));
  }

  /** Ends the span after `ms`, unless it ended before; for a stop that lets calls in flight finish first. */
  endAfter(ms: number): void {
    if (this.ended) return;
    const timer = setTimeout(() => this.end(), ms);
    timer.unref();
    this.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  /** Rejects with the reason once the span ends: to race a wait that has no signal of its own against it. */
  whenEnded(): Promise<never> {
    return new Promise<never>((_, reject) => {
      const fail = (): void => reject(this.signal.reason as Error);
      if (this.ended) fail();
      else this.signal.addEventListener('abort', fail, { once: true });
    });
  }

  /** apiFetch for this span: the call ends with its own signal (a timeout) or with the span, whichever comes first. */
  readonly fetch = (async (input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1] = {}) => {
    if (this.ended) throw this.signal.reason;
    const own = init.signal ?? undefined;
    const call = new AbortController();
    const abort = (): void => call.abort(own?.reason);
    if (own?.aborted) abort();
    own?.addEventListener('abort', abort, { once: true });
    this.#calls.add(call);
    try {
      return await apiFetch(input, { ...init, signal: call.signal });
    } finally {
      this.#calls.delete(call);
      own?.removeEventListener('abort', abort);
    }
  }) as typeof fetch;
}
