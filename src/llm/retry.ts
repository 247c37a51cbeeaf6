// Retrying one model request. The official client can retry by itself (429/408/409/5xx, connection errors and
// timeouts, honouring retry-after-ms and Retry-After), but it replaces a Retry-After over 60 s with a short
// backoff, so it would hammer a provider that asked for an hour's pause, and it reports no attempt count. So the
// client runs with maxRetries 0 and this loop applies the same rules, counts attempts, logs each retry, and fails
// at once with `rate_limited` (carrying retryAfterMs) when the asked wait exceeds the cap.

import { LlmError } from './errors.ts';

export interface RetryOptions {
  maxRetries: number;
  /** First backoff when the endpoint gives no Retry-After (doubles per retry, ±25 % jitter), default 500 ms. */
  baseDelayMs: number;
  /** Backoff ceiling, default 8 s (the SDK's). */
  maxDelayMs: number;
  /** A longer Retry-After fails the request instead of waiting, default 60 s. */
  maxRetryAfterMs: number;
  signal?: AbortSignal | undefined;
  /** Whether this failure may be retried now (e.g. not once streamed text reached the user). */
  canRetry?: (err: LlmError) => boolean;
  onRetry?: (info: { attempt: number; delayMs: number; error: LlmError }) => void;
}

export function backoffMs(retry: number, baseDelayMs: number, maxDelayMs: number): number {
  const delay = Math.min(baseDelayMs * 2 ** retry, maxDelayMs);
  return Math.round(delay * (1 - Math.random() * 0.25));
}

/** Retry-After-Ms (milliseconds), else Retry-After (seconds or an HTTP date), as the official client reads them. */
export function retryAfterFrom(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new LlmError('aborted', 'cancelled while waiting to retry'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LlmError('aborted', 'cancelled while waiting to retry'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable LlmError, or retries run out. `attempt` must throw
 * LlmError (classify first). `counter.attempts` is increased per try, so callers see the total across requests.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions,
  counter: { attempts: number },
): Promise<T> {
  for (let retry = 0; ; retry++) {
    counter.attempts++;
    try {
      return await attempt(retry + 1);
    } catch (err) {
      if (!(err instanceof LlmError)) throw err;
      if (!err.retryable || retry >= options.maxRetries || (options.canRetry && !options.canRetry(err))) throw err;
      if (err.retryAfterMs !== undefined && err.retryAfterMs > options.maxRetryAfterMs) {
        const seconds = Math.ceil(err.retryAfterMs / 1000);
        throw new LlmError(
          'rate_limited',
          `the endpoint asked to wait ${seconds} s before retrying, more than the ${Math.round(options.maxRetryAfterMs / 1000)} s we wait`,
          {
            retryable: true,
            retryAfterMs: err.retryAfterMs,
            ...(err.status === undefined ? {} : { status: err.status }),
            userMessage: `The model provider asked us to wait ${seconds} seconds before trying again.`,
            cause: err,
          },
        );
      }
      const delayMs = err.retryAfterMs ?? backoffMs(retry, options.baseDelayMs, options.maxDelayMs);
      options.onRetry?.({ attempt: retry + 1, delayMs, error: err });
      await sleep(delayMs, options.signal);
    }
  }
}
