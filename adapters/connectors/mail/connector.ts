// The mail connector: MailPort over nodemailer (SMTP) and imapflow (IMAP), with mailparser for inbound mail.
// The SDKs load on the first call, so neither an unconfigured nor a configured connector costs start-up time.

import type { Logger } from '../../../src/observability/logger.ts';
import type { ConnectorHealth, EffectOptions } from '../../../src/ports/connector.ts';
import {
  MailError,
  MailErrorCode,
  type FetchResult,
  type MailCursor,
  type MailPort,
  type MailQuery,
  type MailSummary,
  type OutgoingMail,
  type SendResult,
} from '../../../src/ports/mail.ts';
import { ImapSession } from './imap.ts';
import { fetchSince, searchMail, type ReadDeps } from './read.ts';
import { sendOnce, type SendDeps, type SendHooks } from './send.ts';
import type { ServerSettings } from './settings.ts';
import { SmtpSender } from './smtp.ts';

export interface MailConnectorOptions {
  smtp: ServerSettings;
  imap: ServerSettings;
  from: { name?: string; address: string; domain: string };
  sentFolder?: string;
  allowSelfSigned: boolean;
  logger: Logger;
  /** Connect/greeting timeout of each server, ms (default 15000). */
  timeoutMs?: number;
  /** How long after an interrupted send's Outbox copy its self-copy may take to arrive (default 20000, inside the
   *  engine's 30 s step timeout; see send.ts). */
  confirmMs?: number;
  /** health(): how long each server may take to answer (default 5000). */
  healthTimeoutMs?: number;
  hooks?: SendHooks;
}

const noop = (): void => undefined;

/** What the first call builds: the SDK-backed parts. */
interface Parts {
  smtp: SmtpSender;
  imap: ImapSession;
  send: SendDeps;
  read: ReadDeps;
}

export class MailConnector implements MailPort {
  readonly name = 'mail';
  readonly address: string;
  readonly domain: string;
  readonly #options: MailConnectorOptions;
  readonly #healthTimeoutMs: number;
  #parts: Promise<Parts> | undefined;
  /** Sends in progress by key: a second call with the same key (a retry after a step timeout) waits for the first. */
  readonly #inFlight = new Map<string, Promise<SendResult>>();

  constructor(options: MailConnectorOptions) {
    this.#options = options;
    this.address = options.from.address;
    this.domain = options.from.domain;
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 5000;
  }

  /** The SDKs (~0.4 s and ~45 MB together) load on the first call, not at start-up. */
  #load(): Promise<Parts> {
    this.#parts ??= (async () => {
      const o = this.#options;
      const [nodemailer, composer, addressparser, imapflow, mailparser] = await Promise.all([
        import('nodemailer'),
        import('nodemailer/lib/mail-composer'),
        import('nodemailer/lib/addressparser'),
        import('imapflow'),
        import('mailparser'),
      ]);
      const timeoutMs = o.timeoutMs ?? 15_000;
      const smtp = new SmtpSender(
        { nodemailer, composer: composer.default, addressparser: addressparser.default },
        o.smtp,
        { allowSelfSigned: o.allowSelfSigned, timeoutMs },
      );
      const imap = new ImapSession(imapflow, o.imap, {
        allowSelfSigned: o.allowSelfSigned,
        timeoutMs,
        ...(o.sentFolder === undefined ? {} : { sentFolder: o.sentFolder }),
      });
      return {
        smtp,
        imap,
        send: { imap, smtp, from: o.from, confirmMs: o.confirmMs ?? 20_000, logger: o.logger, hooks: o.hooks ?? {} },
        read: { imap, parse: mailparser.simpleParser, from: o.from },
      };
    })();
    return this.#parts;
  }

  send(mail: OutgoingMail, effect: EffectOptions): Promise<SendResult> {
    const key = effect.idempotencyKey;
    const before = this.#inFlight.get(key);
    const run = (before ? before.then(noop, noop) : Promise.resolve()).then(async () =>
      sendOnce((await this.#load()).send, mail, effect),
    );
    this.#inFlight.set(key, run);
    void run.then(noop, noop).finally(() => {
      if (this.#inFlight.get(key) === run) this.#inFlight.delete(key);
    });
    return run;
  }

  async search(query: MailQuery): Promise<MailSummary[]> {
    return searchMail((await this.#load()).read, query);
  }

  async fetchSince(cursor: MailCursor | undefined, options: { limit?: number } = {}): Promise<FetchResult> {
    return fetchSince((await this.#load()).read, cursor, options.limit);
  }

  /** "SMTP ops@example.com at mail.example.com:465 ok (40 ms); IMAP … ok (12 ms)". Each probe has its own timeout. */
  async health(): Promise<ConnectorHealth> {
    const { smtp, imap } = await this.#load();
    const probes = await Promise.all([
      this.#probe(smtp.server, () => smtp.verify()),
      this.#probe(imap.server, () => imap.ping()),
    ]);
    const state = probes.some((p) => p.state === 'misconfigured')
      ? 'misconfigured'
      : probes.some((p) => p.state === 'down')
        ? 'down'
        : 'ok';
    return { connector: this.name, state, detail: probes.map((p) => p.line).join('; ') };
  }

  async #probe(
    server: ServerSettings,
    call: () => Promise<void>,
  ): Promise<{ state: ConnectorHealth['state']; line: string }> {
    const started = performance.now();
    const label = `${server.kind} ${server.display}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MailError(MailErrorCode.timeout, 'timeout', { retryable: true })),
        this.#healthTimeoutMs,
      );
    });
    try {
      await Promise.race([call(), timeout]);
      return { state: 'ok', line: `${label}: ok (${Math.round(performance.now() - started)} ms)` };
    } catch (err) {
      const e = err instanceof MailError ? err : undefined;
      const why = /\(([^)]*)\)/.exec(e?.userMessage ?? '')?.[1] ?? 'unknown error';
      switch (e?.code) {
        case MailErrorCode.auth:
          return { state: 'misconfigured', line: `${label}: login refused, check ${server.setting}` };
        case MailErrorCode.tls:
          return { state: 'misconfigured', line: `${label}: TLS failed (${why}), check ${server.setting}` };
        case MailErrorCode.timeout:
          return { state: 'down', line: `${label}: no answer within ${Math.round(this.#healthTimeoutMs / 1000)} s` };
        case MailErrorCode.unreachable:
          return /does not exist/.test(e.userMessage)
            ? { state: 'misconfigured', line: `${label}: no such host, check ${server.setting}` }
            : { state: 'down', line: `${label}: unreachable (${why})` };
        default:
          return { state: 'down', line: `${label}: failing (${why})` };
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (!this.#parts) return;
    const { smtp, imap } = await this.#parts;
    smtp.close();
    await imap.close();
  }
}
