// The mail connector: MailPort over nodemailer (SMTP) and imapflow (IMAP), with mailparser for inbound mail.
// The SDKs are loaded in `create`, so an unconfigured connector costs nothing at start-up.

import type { Logger } from '../../../src/observability/logger.ts';
import type { ConnectorHealth, EffectOptions } from '../../../src/ports/connector.ts';
import { MailError, MailErrorCode, type FetchResult, type MailCursor, type MailPort, type MailQuery, type MailSummary, type OutgoingMail, type SendResult } from '../../../src/ports/mail.ts';
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

export class MailConnector implements MailPort {
  readonly name = 'mail';
  readonly address: string;
  readonly domain: string;
  readonly #smtp: SmtpSender;
  readonly #imap: ImapSession;
  readonly #send: SendDeps;
  readonly #read: ReadDeps;
  readonly #healthTimeoutMs: number;
  /** Sends in progress by key: a second call with the same key (a retry after a step timeout) waits for the first. */
  readonly #inFlight = new Map<string, Promise<SendResult>>();

  private constructor(smtp: SmtpSender, imap: ImapSession, read: ReadDeps['parse'], options: MailConnectorOptions) {
    this.address = options.from.address;
    this.domain = options.from.domain;
    this.#smtp = smtp;
    this.#imap = imap;
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 5000;
    this.#send = { imap, smtp, from: options.from, confirmMs: options.confirmMs ?? 20_000, logger: options.logger, hooks: options.hooks ?? {} };
    this.#read = { imap, parse: read, from: options.from, logger: options.logger };
  }

  static async create(options: MailConnectorOptions): Promise<MailConnector> {
    const [nodemailer, composer, addressparser, imapflow, mailparser] = await Promise.all([
      import('nodemailer'),
      import('nodemailer/lib/mail-composer'),
      import('nodemailer/lib/addressparser'),
      import('imapflow'),
      import('mailparser'),
    ]);
    const timeoutMs = options.timeoutMs ?? 15_000;
    const smtp = new SmtpSender({ nodemailer, composer: composer.default, addressparser: addressparser.default }, options.smtp, {
      allowSelfSigned: options.allowSelfSigned,
      timeoutMs,
    });
    const imap = new ImapSession(imapflow, options.imap, {
      allowSelfSigned: options.allowSelfSigned,
      timeoutMs,
      ...(options.sentFolder === undefined ? {} : { sentFolder: options.sentFolder }),
    });
    return new MailConnector(smtp, imap, mailparser.simpleParser, options);
  }

  send(mail: OutgoingMail, effect: EffectOptions): Promise<SendResult> {
    const key = effect.idempotencyKey;
    const before = this.#inFlight.get(key);
    const run = (before ? before.then(noop, noop) : Promise.resolve()).then(() => sendOnce(this.#send, mail, effect));
    this.#inFlight.set(key, run);
    void run.then(noop, noop).finally(() => {
      if (this.#inFlight.get(key) === run) this.#inFlight.delete(key);
    });
    return run;
  }

  search(query: MailQuery): Promise<MailSummary[]> {
    return searchMail(this.#read, query);
  }

  fetchSince(cursor: MailCursor | undefined, options: { limit?: number } = {}): Promise<FetchResult> {
    return fetchSince(this.#read, cursor, options.limit);
  }

  /** "SMTP ops@example.com at mail.example.com:465 ok (40 ms); IMAP … ok (12 ms)". Each probe has its own timeout. */
  async health(): Promise<ConnectorHealth> {
    const probes = await Promise.all([
      this.#probe(this.#smtp.server, () => this.#smtp.verify()),
      this.#probe(this.#imap.server, () => this.#imap.ping()),
    ]);
    const state = probes.some((p) => p.state === 'misconfigured') ? 'misconfigured' : probes.some((p) => p.state === 'down') ? 'down' : 'ok';
    return { connector: this.name, state, detail: probes.map((p) => p.line).join('; ') };
  }

  async #probe(server: ServerSettings, call: () => Promise<void>): Promise<{ state: ConnectorHealth['state']; line: string }> {
    const started = performance.now();
    const label = `${server.kind} ${server.display}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MailError(MailErrorCode.timeout, 'timeout', { retryable: true })), this.#healthTimeoutMs);
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
    this.#smtp.close();
    await this.#imap.close();
  }
}
