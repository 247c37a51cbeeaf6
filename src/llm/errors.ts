// Typed failures of a model call. Each has a stable code, whether trying again can help, one sentence an operator
// may read, and (for rate limits) how long the endpoint asked us to wait. Messages never carry credentials:
// `scrubSecrets` runs over every text that comes from the endpoint before it lands in an error.

import { SoloError } from '../domain/errors.ts';

const LLM_ERROR_CODES = {
  rate_limited: 'The model provider is rate-limiting us; try again in a little while.',
  quota: 'The model provider account has no quota left; check billing or the plan.',
  timeout: 'The model took too long to answer; try again.',
  unavailable: 'The model service is unavailable right now; try again in a little while.',
  auth: 'The model provider refused our credentials; check OPENAI_API_KEY.',
  model_not_found: 'The configured model does not exist at the endpoint; check OPENAI_MODEL.',
  bad_request: 'The model service rejected the request.',
  context_too_long: 'The conversation is too long for the model.',
  bad_output: 'The model answered in a shape I could not use.',
  refused: 'The model declined to answer that.',
  aborted: 'The model call was cancelled.',
  interrupted: 'The model reply was cut off midway; try again.',
} as const;

export type LlmErrorCode = keyof typeof LLM_ERROR_CODES;

export class LlmError extends SoloError {
  declare readonly code: LlmErrorCode;
  /** The wait the endpoint asked for (Retry-After), when it said one. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status, when the endpoint answered with one. */
  readonly status: number | undefined;

  constructor(
    code: LlmErrorCode,
    detail: string,
    options: {
      cause?: unknown;
      retryable?: boolean;
      retryAfterMs?: number;
      status?: number;
      userMessage?: string;
    } = {},
  ) {
    super(code, options.userMessage ?? LLM_ERROR_CODES[code], {
      detail: `${code}: ${detail}`,
      retryable: options.retryable ?? false,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** Removes an API key and anything shaped like one (OpenAI echoes a masked key in its 401 message). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out
    .replace(/\b(sk|rk|pk)-[A-Za-z0-9_*.-]{3,}/g, '$1-[redacted]')
    .replace(/Bearer\s+\S+/gi, 'Bearer [redacted]');
}
