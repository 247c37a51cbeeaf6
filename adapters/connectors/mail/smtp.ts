// nodemailer: builds the message bytes once (MailComposer) and hands exactly those bytes to a pooled SMTP transport,
// so the copy filed in Sent is byte for byte what the recipients got.

import type { Transporter } from 'nodemailer';
import { MailError, MailErrorCode, type OutgoingMail } from '../../../src/ports/mail.ts';
import { smtpError } from './errors.ts';
import type { ServerSettings } from './settings.ts';

type Nodemailer = typeof import('nodemailer');
type Composer = (typeof import('nodemailer/lib/mail-composer'))['default'];
type AddressParser = (typeof import('nodemailer/lib/addressparser'))['default'];

const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export interface Envelope {
  from: string;
  to: string[];
}

export class SmtpSender {
  readonly server: ServerSettings;
  readonly #transport: Transporter;
  readonly #composer: Composer;
  readonly #parse: AddressParser;

  constructor(
    modules: { nodemailer: Nodemailer; composer: Composer; addressparser: AddressParser },
    server: ServerSettings,
    options: { allowSelfSigned: boolean; timeoutMs: number },
  ) {
    this.server = server;
    this.#composer = modules.composer;
    this.#parse = modules.addressparser;
    const { host, port, secure, requireStartTls, user, pass } = server;
    this.#transport = modules.nodemailer.createTransport({
      pool: true,
      maxConnections: 2,
      host,
      port,
      secure,
      requireTLS: requireStartTls,
      ...(user ? { auth: { user, pass } } : {}),
      tls: { rejectUnauthorized: !options.allowSelfSigned },
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: Math.max(options.timeoutMs, 60_000),
      logger: false,
      // Attachments come as bytes from workflows, never as paths or URLs for nodemailer to read.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  /** The addresses in a to/cc value, each checked; a bad one is one clear sentence. */
  addresses(value: string | string[] | undefined, field: string): string[] {
    const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
    const out: string[] = [];
    for (const item of items) {
      const parsed = this.#parse(item, { flatten: true });
      if (parsed.length === 0) throw badInput(`The mail's ${field} "${item}" is not an email address.`);
      for (const a of parsed) {
        const address = 'address' in a ? a.address : '';
        if (!ADDRESS.test(address)) throw badInput(`The mail's ${field} "${item}" is not an email address.`);
        out.push(address.toLowerCase());
      }
    }
    return out;
  }

  /** The RFC 5322 bytes of `mail` with our From and Message-ID. */
  async compose(mail: OutgoingMail, messageId: string, from: { name?: string; address: string }): Promise<Buffer> {
    const composer = new this.#composer({
      from: from.name ? { name: from.name, address: from.address } : from.address,
      to: mail.to,
      ...(mail.cc === undefined ? {} : { cc: mail.cc }),
      subject: mail.subject,
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
      messageId,
      date: new Date(),
      ...(mail.inReplyTo === undefined ? {} : { inReplyTo: mail.inReplyTo }),
      ...(mail.references === undefined ? {} : { references: mail.references }),
      attachments: (mail.attachments ?? []).map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: a.content,
        ...(typeof a.content === 'string' ? { encoding: 'base64' } : {}),
      })),
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    return composer.compile().build();
  }

  /** Hands the bytes to the server. Resolves once the server accepted them for at least one recipient. */
  async send(envelope: Envelope, raw: Buffer): Promise<{ accepted: string[]; rejected: string[] }> {
    try {
      const info = (await this.#transport.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw })) as {
        accepted?: unknown;
        rejected?: unknown;
      };
      const list = (v: unknown): string[] =>
        Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String((x as { address?: string }).address))) : [];
      return { accepted: list(info.accepted), rejected: list(info.rejected) };
    } catch (err) {
      throw smtpError(err, this.server);
    }
  }

  /** Connects, greets and logs in on a fresh connection (health). */
  async verify(): Promise<void> {
    try {
      await this.#transport.verify();
    } catch (err) {
      throw smtpError(err, this.server);
    }
  }

  close(): void {
    this.#transport.close();
  }
}

const badInput = (sentence: string): MailError => new MailError(MailErrorCode.badInput, sentence);
