// Stripe's webhook endpoint (the lead mounts it at /stripe/webhook): reads the raw body (bounded), verifies the
// Stripe-Signature with the SDK's constructEvent (5 min tolerance) and hands invoice.paid / invoice.payment_failed
// on. A bad signature gets 400 and nothing happens. Redeliveries carry the same event id: the caller dedupes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PaymentEvent } from '../../../src/ports/payments.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { readBytes, sendJson, sendText } from '../../channels/shared/http.ts';

export interface StripeWebhookOptions {
  /** The endpoint's signing secret (STRIPE_WEBHOOK_SECRET, whsec_…). */
  secret: string;
  /** Must resolve once the event is safely recorded; a rejection answers 500 and Stripe delivers again later. */
  onEvent: (event: PaymentEvent) => Promise<void>;
  logger: Logger;
  /** Seconds a signature stays valid (default 300, Stripe's recommendation). */
  toleranceSeconds?: number;
  /** Largest body accepted (default 512 KiB). */
  maxBytes?: number;
}

const HANDLED = new Set<string>(['invoice.paid', 'invoice.payment_failed']);

type Webhooks = (typeof import('stripe'))['default']['webhooks'];

/** The handler; the SDK is imported on the first delivery, so mounting it costs nothing at start. */
export function createStripeWebhook(
  options: StripeWebhookOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  let webhooks: Promise<Webhooks> | undefined;
  const log = options.logger.child({ component: 'stripe-webhook' });
  const tolerance = options.toleranceSeconds ?? 300;
  const max = options.maxBytes ?? 512 * 1024;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'POST only');
    const signature = req.headers['stripe-signature'];
    if (typeof signature !== 'string' || signature === '') return sendText(res, 400, 'missing Stripe-Signature');
    const body = await readBytes(req, max);
    if (body === undefined) return sendText(res, 413, 'body too large');
    webhooks ??= import('stripe').then(
      (m) => m.default.webhooks,
      (err: unknown) => {
        webhooks = undefined;
        throw err;
      },
    );
    const verifier = await webhooks;
    let event: ReturnType<Webhooks['constructEvent']>;
    try {
      event = verifier.constructEvent(body, signature, options.secret, tolerance);
    } catch (err) {
      log.warn(
        { reason: err instanceof Error ? err.message.slice(0, 200) : String(err) },
        'stripe webhook: signature refused',
      );
      return sendText(res, 400, 'signature verification failed');
    }
    if (!HANDLED.has(event.type)) return sendJson(res, 200, { received: true, ignored: event.type });
    const invoice = event.data.object as { id?: unknown; object?: unknown; metadata?: Record<string, string> | null };
    if (invoice.object !== 'invoice' || typeof invoice.id !== 'string')
      return sendText(res, 400, 'event without an invoice');
    try {
      await options.onEvent({
        type: event.type as PaymentEvent['type'],
        eventId: event.id,
        stripeInvoiceId: invoice.id,
        metadata: { ...(invoice.metadata ?? {}) },
      });
    } catch (err) {
      log.error(
        { err, eventId: event.id, type: event.type },
        'stripe webhook: handling the event failed; Stripe will deliver it again',
      );
      return sendText(res, 500, 'not recorded; try again');
    }
    sendJson(res, 200, { received: true });
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'stripe webhook: request failed');
      if (!res.headersSent) sendText(res, 500, 'error');
    });
  };
}
