// The connectors as the app uses them: mail, calendar and payments built from the settings (each undefined when not
// configured; their SDKs load on first use), their effectful calls held to the policy's `connector:*` rate limits,
// invoice PDFs under DATA_DIR, the services the invoice, draft and booking workflows get, a /status line each, the
// Stripe webhook at /stripe/webhook and the inbox poller, started and stopped with the app.

import { resolve } from 'node:path';
import { createPaymentsConnector, createStripeWebhook } from '../../adapters/connectors/payments/index.ts';
import { createMailConnector } from '../../adapters/connectors/mail/index.ts';
import { createCalendarConnector } from '../../adapters/connectors/calendar/index.ts';
import { PdfInvoiceDocuments } from '../../adapters/documents/invoice-pdf.ts';
import type { WebChannel } from '../../adapters/channels/web/web-channel.ts';
import type { Config } from '../config.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Engine } from '../engine/engine.ts';
import { businessSetting } from '../invoices/business.ts';
import { markPaid, paymentEvents, type PaidOutcome } from '../invoices/payments.ts';
import type { InvoiceServices } from '../invoices/plan.ts';
import { inboundMail } from '../mail/inbound.ts';
import { MailPoller } from '../mail/poller.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import { connectorGate, limited } from '../policy/connector-limits.ts';
import type { RateLimits } from '../policy/rate-limits.ts';
import type { ViolationReport } from '../policy/violations.ts';
import type { CalendarPort } from '../ports/calendar.ts';
import type { Connector, ConnectorHealth } from '../ports/connector.ts';
import type { InboundMail, MailPort } from '../ports/mail.ts';
import type { MailTriage } from '../mail/triage.ts';
import type { PaymentsConnector } from '../ports/payments.ts';
import type { Store } from '../ports/store.ts';
import { DEFAULT_HOURS, workingHoursSetting, type BookingServices } from '../workflows/booking.ts';

const STRIPE_WEBHOOK_PATH = '/stripe/webhook';
const HEALTH_TIMEOUT_MS = 6000;

export interface ConnectorsDeps {
  store: Store;
  memory: Pick<MemoryService, 'entitiesIn' | 'entityName' | 'start'>;
  engine: Pick<Engine, 'signal'>;
  delivery: Pick<Delivery, 'notify' | 'notice'>;
  rateLimits: Pick<RateLimits, 'consume'>;
  logger: Logger;
  /** Every new inbox mail after triage (the content loop's audience questions). */
  onMail?: (mail: InboundMail, triage: MailTriage) => Promise<boolean>;
  /** A mail triaged as a lead (the consultant's pipeline starts a run for it). */
  onLead?: (mail: InboundMail) => Promise<void>;
}

export interface ConnectorsPart {
  mail?: MailPort;
  calendar?: CalendarPort;
  payments?: PaymentsConnector;
  invoices: InvoiceServices;
  booking: BookingServices;
  /** /paid by hand. */
  markPaid: (number: number) => Promise<PaidOutcome>;
  /** The /status lines: one per connector. */
  status: () => Promise<string[]>;
  /** Each configured connector's health (the dashboard, /metrics). */
  health: () => Promise<ConnectorHealth[]>;
  /** Mounts the Stripe webhook on the web server (when STRIPE_WEBHOOK_SECRET is set). */
  mount(web: Pick<WebChannel, 'mount'>): void;
  /** Starts the inbox poller (when mail is configured). */
  start(): void;
  /** Reads new inbox mail now; resolves with how many were handled (0 without mail). */
  pollMail(): Promise<number>;
  stop(): Promise<void>;
}

/** A connector's health, never slower than HEALTH_TIMEOUT_MS and never throwing. */
async function timedHealth(connector: Connector): Promise<ConnectorHealth> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ConnectorHealth>((r) => {
    timer = setTimeout(
      () => r({ connector: connector.name, state: 'down', detail: `no answer within ${HEALTH_TIMEOUT_MS / 1000} s` }),
      HEALTH_TIMEOUT_MS,
    );
  });
  const health = await Promise.race([
    connector.health().catch((err: unknown): ConnectorHealth => ({
      connector: connector.name,
      state: 'down',
      detail: err instanceof Error ? err.message.slice(0, 120) : 'failing',
    })),
    late,
  ]);
  clearTimeout(timer);
  return health;
}

/** One /status line. */
async function healthLine(
  label: string,
  connector: Connector | undefined,
  unconfigured: string,
  extra = '',
): Promise<string> {
  if (!connector) return `${label}: not configured (${unconfigured})`;
  const health = await timedHealth(connector);
  return `${label}: ${health.state === 'ok' ? '' : `${health.state} — `}${extra ? health.detail.replace(/\.$/, '') : health.detail}${extra}`;
}

export async function composeConnectors(config: Config, d: ConnectorsDeps): Promise<ConnectorsPart> {
  const log = d.logger;
  const report = async (v: ViolationReport | undefined) => {
    if (!v) return;
    await d.store.events.append(v.event);
    d.delivery.notice(v.notice);
  };
  const gate = connectorGate({ rateLimits: d.rateLimits, report, logger: log });
  const rawMail = await createMailConnector(config, log);
  const rawCalendar = await createCalendarConnector(config, log);
  const rawPayments = createPaymentsConnector(config, log);
  // Effects pass the rate limits; reads and compensations (void, cancel, refund, deactivate) never wait on them.
  const mail = rawMail && limited(rawMail, 'mail', ['send'], gate);
  const calendar = rawCalendar && limited(rawCalendar, 'calendar', ['create', 'update'], gate);
  const payments =
    rawPayments &&
    limited<PaymentsConnector>(rawPayments, 'payments', ['issueInvoice', 'ensureCustomer', 'paymentLink'], gate);

  // Due dates and free slots are in the operator's zone (TIMEZONE, default this machine's).
  const timeZone = config.TIMEZONE;
  const documents = new PdfInvoiceDocuments(resolve(config.DATA_DIR));
  const business = businessSetting(d.store.settings);
  const invoices: InvoiceServices = {
    ledger: d.store.ledger,
    clients: {
      ready: () => d.memory.start(),
      entitiesIn: (t) => d.memory.entitiesIn(t),
      entityName: (k) => d.memory.entityName(k),
      byEntity: (k, n) => d.store.memories.byEntity(k, n),
    },
    business: () => business.get(),
    documents,
    payments: () => payments,
    mail: () => mail,
    timeZone,
  };
  const hours = workingHoursSetting(d.store.settings);
  const booking: BookingServices = {
    calendar: () => calendar,
    workingHours: async () => (await hours.get()) ?? DEFAULT_HOURS,
    timeZone,
  };
  const paymentDeps = {
    ledger: d.store.ledger,
    signal: d.engine.signal.bind(d.engine),
    notify: (m: { text: string }) => d.delivery.notify(m),
    logger: log,
  };

  const poller = mail
    ? new MailPoller({
        mail,
        cursors: d.store.settings,
        intervalMs: config.MAIL_POLL_SECONDS * 1000,
        logger: log.child({ component: 'mail-poller' }),
        onMail: inboundMail({
          ourAddress: mail.address,
          ourDomain: mail.domain,
          // A sender memory knows: an address that appears in a memory (a client's or contact's profile).
          knownSender: async (address) =>
            (await d.store.memories.candidates([address], 5)).some((m) => m.text.toLowerCase().includes(address)),
          events: d.store.events,
          signal: d.engine.signal.bind(d.engine),
          notify: (m) => d.delivery.notify(m),
          logger: log,
          ...(d.onMail ? { onMail: d.onMail } : {}),
          ...(d.onLead ? { onLead: d.onLead } : {}),
        }),
      })
    : undefined;
  const webhook = config.STRIPE_WEBHOOK_SECRET
    ? `; webhook at ${STRIPE_WEBHOOK_PATH}`
    : '; webhook off (set STRIPE_WEBHOOK_SECRET)';

  return {
    ...(mail ? { mail } : {}),
    ...(calendar ? { calendar } : {}),
    ...(payments ? { payments } : {}),
    invoices,
    booking,
    markPaid: (number) => markPaid(paymentDeps, number, 'manual'),
    status: async () =>
      Promise.all([
        healthLine(
          'Mail',
          rawMail,
          'set SMTP_URL, IMAP_URL and MAIL_FROM',
          poller ? `; inbox checked every ${config.MAIL_POLL_SECONDS} s` : '',
        ),
        healthLine('Calendar', rawCalendar, 'set CALDAV_URL, CALDAV_USERNAME and CALDAV_PASSWORD'),
        healthLine('Payments', rawPayments, 'set STRIPE_SECRET_KEY', webhook),
      ]),
    health: async () =>
      Promise.all(
        [rawMail, rawCalendar, rawPayments].filter((c): c is NonNullable<typeof c> => c !== undefined).map(timedHealth),
      ),
    mount(web) {
      const secret = config.STRIPE_WEBHOOK_SECRET;
      if (!secret) return;
      web.mount(STRIPE_WEBHOOK_PATH, createStripeWebhook({ secret, logger: log, onEvent: paymentEvents(paymentDeps) }));
    },
    start() {
      poller?.start();
    },
    pollMail: async () => (poller ? poller.pollOnce() : 0),
    async stop() {
      await poller?.stop();
      await Promise.all(
        [rawMail, rawCalendar, rawPayments].map(async (c) =>
          c?.close().catch((err: unknown) => log.warn({ err, connector: c.name }, 'a connector did not close cleanly')),
        ),
      );
    },
  };
}
