// Turns what the official `openai` client throws into LlmError: a stable code, whether a retry can help (the same
// statuses the client itself retries: 408, 409, 429, 5xx, connection failures and timeouts; `x-should-retry`
// overrides), the Retry-After it was given, and a message with every credential removed. The SDK error is not
// kept as `cause` (its body may echo a masked key); a scrubbed summary is.

import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { LlmError, scrubSecrets } from '../../../src/llm/errors.ts';
import { retryAfterFrom } from '../../../src/llm/retry.ts';

export interface ClassifyContext {
  model: string;
  secrets: readonly string[];
  /** Our own per-attempt timer fired (stream idle timeout). */
  timedOut?: boolean;
  timeoutMs?: number;
  /** The caller's signal was aborted. */
  callerAborted?: boolean;
}

const CONTEXT_TOO_LONG = /context[_ ]length|maximum context|too many tokens|prompt is too long|exceeds the context/i;

export function classifyOpenAiError(err: unknown, ctx: ClassifyContext): LlmError {
  if (err instanceof LlmError) return err;
  const clean = (text: string) => scrubSecrets(text, ctx.secrets);
  const summary = new Error(clean(err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
  if (ctx.callerAborted)
    return new LlmError('aborted', `call to ${ctx.model} cancelled by the caller`, { cause: summary });
  if (ctx.timedOut || err instanceof APIConnectionTimeoutError) {
    const after = ctx.timeoutMs === undefined ? '' : ` after ${ctx.timeoutMs} ms`;
    return new LlmError('timeout', `${ctx.model} did not answer${after}`, { retryable: true, cause: summary });
  }
  if (err instanceof APIUserAbortError)
    return new LlmError('aborted', `call to ${ctx.model} aborted`, { cause: summary });
  if (err instanceof APIConnectionError) {
    return new LlmError('unavailable', `could not reach the endpoint for ${ctx.model}: ${clean(err.message)}`, {
      retryable: true,
      cause: summary,
    });
  }
  if (err instanceof APIError) {
    const status = err.status as number | undefined;
    const headers = err.headers as Headers | undefined;
    const body = (typeof err.error === 'object' && err.error !== null ? err.error : {}) as {
      code?: unknown;
      message?: unknown;
    };
    const code = typeof err.code === 'string' ? err.code : typeof body.code === 'string' ? body.code : '';
    const message = clean(typeof body.message === 'string' ? body.message : err.message);
    const detail = `${status ?? 'stream error'} from the endpoint for ${ctx.model}: ${message}`;
    const should = headers?.get('x-should-retry');
    const retryAfterMs = retryAfterFrom(headers);
    const base = {
      cause: summary,
      ...(status === undefined ? {} : { status }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
    const make = (c: ConstructorParameters<typeof LlmError>[0], retryable: boolean) =>
      new LlmError(c, detail, {
        ...base,
        retryable: should === 'true' ? true : should === 'false' ? false : retryable,
      });
    if (status === undefined) return make('unavailable', true);
    if (status === 429) return code === 'insufficient_quota' ? make('quota', false) : make('rate_limited', true);
    if (status === 408) return make('timeout', true);
    if (status === 409 || status >= 500) return make('unavailable', true);
    if (status === 401 || status === 403) return make('auth', false);
    if (status === 404)
      return code === 'model_not_found' || /model/i.test(message)
        ? make('model_not_found', false)
        : make('bad_request', false);
    if (code === 'context_length_exceeded' || CONTEXT_TOO_LONG.test(message)) return make('context_too_long', false);
    return make('bad_request', false);
  }
  // Anything else (a socket cut mid-stream, a malformed SSE line) is a transport failure.
  return new LlmError('unavailable', `the connection to the endpoint for ${ctx.model} failed: ${summary.message}`, {
    retryable: true,
    cause: summary,
  });
}
