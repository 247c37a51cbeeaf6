// Payments through Stripe (official `stripe` SDK), built from the settings: STRIPE_SECRET_KEY (required; without
// it there is no connector), STRIPE_API_URL (default https://api.stripe.com), STRIPE_WEBHOOK_SECRET (for the
// webhook endpoint, see webhook.ts). The SDK is imported only when Stripe is configured.

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type Stripe from 'stripe';
import type { Config } from '../../../src/config.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import type { PaymentsConnector } from '../../../src/ports/payments.ts';
import { StripePayments } from './stripe-payments.ts';

export { createStripeWebhook, type StripeWebhookOptions } from './webhook.ts';
export { KEY_TRUST_MS, StripePayments } from './stripe-payments.ts';

export interface PaymentsConnectorOptions {
  /** Per request (default 20 s, under the engine's 30 s step timeout). */
  timeoutMs?: number;
  /** The clock that decides whether idempotency keys may have expired (tests move it). */
  now?: () => number;
}

/**
 * The SDK client as the connector configures it. `maxNetworkRetries: 0`: the engine owns retries (backoff, journaled
 * attempts, the step's timeout), and since every sub-step replays under its key a whole-step retry is cheap; SDK
 * retries inside a step would only stack waits. The SDK still re-sends once on a connection closed under it
 * (ECONNRESET/EPIPE), under our key. Exported for the bench and the tests that show the raw SDK's behaviour.
 */
export async function createStripeClient(
  key: string,
  apiUrl: string,
  options: { timeoutMs?: number; agent?: HttpAgent } = {},
): Promise<{ stripe: Stripe; agent: HttpAgent; host: string }> {
  const { default: StripeSdk } = await import('stripe');
  const url = new URL(apiUrl);
  const https = url.protocol === 'https:';
  const agent = options.agent ?? (https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true }));
  const stripe = new StripeSdk(key, {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    protocol: https ? 'https' : 'http',
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? 20_000,
    telemetry: false,
    httpAgent: agent,
    appInfo: { name: 'solo-os' },
  });
  return { stripe, agent, host: url.host };
}

/**
 * The payments connector, or undefined when STRIPE_SECRET_KEY is not set. The SDK (about 35 MB) is imported on
 * the connector's first call, not here, so even a configured connector adds nothing to start-up.
 */
export function createPaymentsConnector(
  config: Pick<Config, 'STRIPE_SECRET_KEY' | 'STRIPE_API_URL'>,
  logger: Logger,
  options: PaymentsConnectorOptions = {},
): StripePayments | undefined {
  const key = config.STRIPE_SECRET_KEY;
  if (key === undefined) return undefined;
  const url = new URL(config.STRIPE_API_URL);
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const load = async () =>
    (
      await createStripeClient(key, config.STRIPE_API_URL, {
        agent,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      })
    ).stripe;
  return new StripePayments(load, {
    logger: logger.child({ component: 'payments' }),
    host: url.host,
    mode: key.includes('_live_') ? 'live' : 'test',
    agent,
    ...(options.now ? { now: options.now } : {}),
  });
}

export type { PaymentsConnector };
