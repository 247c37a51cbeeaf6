// Stripe SDK errors → PaymentsError: a stable code, whether trying again can help (connection trouble, timeouts,
// 5xx, 429, a key still in flight), and one sentence for the operator. Never the API key.

import type Stripe from 'stripe';
import { PaymentsError } from '../../../src/ports/payments.ts';

type SdkError = InstanceType<typeof Stripe.errors.StripeError>;

const isSdkError = (err: unknown): err is SdkError =>
  err instanceof Error && typeof (err as { type?: unknown }).type === 'string' && 'rawType' in err;

function header(err: SdkError, name: string): string | undefined {
  const value = (err.headers as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After in seconds or as an HTTP date, when Stripe sends one. */
function retryAfterMs(err: SdkError): number | undefined {
  const value = header(err, 'retry-after');
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Stripe's own message without the `[req_…]` prefix the SDK adds. */
const stripeMessage = (err: SdkError): string => {
  const raw = (err.raw as { message?: unknown } | undefined)?.message;
  return (typeof raw === 'string' ? raw : err.message).replace(/^\[req_\w+\]\s*/, '');
};

/** `action` completes "while trying to …", e.g. "create the invoice for run r1:issue". */
export function toPaymentsError(err: unknown, action: string): PaymentsError {
  if (err instanceof PaymentsError) return err;
  if (!isSdkError(err)) {
    return new PaymentsError('payments_failed', `Talking to Stripe failed while trying to ${action}.`, {
      cause: err,
      detail: err instanceof Error ? err.message : String(err),
    });
  }
  const status = err.statusCode ?? 0;
  const detail =
    `${err.type} ${status || ''} ${err.code ?? ''}: ${stripeMessage(err)}${err.requestId ? ` (${err.requestId})` : ''}`.replace(
      /\s+/g,
      ' ',
    );
  const base = { cause: err, detail };
  const retry = header(err, 'stripe-should-retry');
  // The SDK turns a 409 into StripeAPIError; Stripe sends it while a request under the same key is still running.
  if (status === 409)
    return new PaymentsError(
      'payments_in_progress',
      `An earlier attempt to ${action} is still running at Stripe; Solo OS will try again.`,
      { ...base, retryable: true },
    );
  switch (err.type) {
    case 'StripeConnectionError':
      return new PaymentsError(
        'payments_unreachable',
        `Stripe could not be reached while trying to ${action}; Solo OS will try again.`,
        { ...base, retryable: true },
      );
    case 'StripeRateLimitError': {
      const wait = retryAfterMs(err);
      return new PaymentsError(
        'payments_rate_limited',
        `Stripe asked Solo OS to slow down while trying to ${action}; it will try again shortly.`,
        { ...base, retryable: true, ...(wait === undefined ? {} : { retryAfterMs: wait }) },
      );
    }
    case 'StripeIdempotencyError':
      return new PaymentsError(
        'payments_key_reused',
        `Stripe refused to ${action} because its request key was already used for a different request; this needs review.`,
        base,
      );
    case 'StripeAuthenticationError':
      return new PaymentsError('payments_auth', 'Stripe refused the API key; check STRIPE_SECRET_KEY.', base);
    case 'StripePermissionError':
      return new PaymentsError(
        'payments_permission',
        `The Stripe API key may not ${action}; give the restricted key that permission or use a secret key.`,
        base,
      );
    case 'StripeCardError':
      return new PaymentsError(
        'payments_card_declined',
        `Stripe declined the payment while trying to ${action}: ${stripeMessage(err)}`,
        base,
      );
    default:
      break;
  }
  // A 5xx leaves the outcome unknown: retrying (after the lookup by metadata) or a review is right, unwinding is not.
  if (status >= 500 || retry === 'true' || err.code === 'lock_timeout') {
    return new PaymentsError(
      'payments_server_error',
      `Stripe had a problem of its own while trying to ${action}; Solo OS will try again.`,
      { ...base, retryable: true },
    );
  }
  if (status === 404 || err.code === 'resource_missing') {
    return new PaymentsError(
      'payments_not_found',
      `Stripe does not know what Solo OS asked for while trying to ${action}: ${stripeMessage(err)}`,
      base,
    );
  }
  return new PaymentsError('payments_refused', `Stripe refused to ${action}: ${stripeMessage(err)}`, base);
}

export const badInput = (message: string): PaymentsError => new PaymentsError('payments_bad_input', message);
