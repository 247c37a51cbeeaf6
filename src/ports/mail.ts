// The mail port: send over SMTP exactly once per step key, search a folder, and read new inbox mail from a cursor.
// Adapters (adapters/connectors/mail: nodemailer + imapflow) implement it; nothing here names an SDK type.

import { ConnectorError, type Connector, type EffectOptions } from './connector.ts';

export interface MailAddress {
  name?: string;
  address: string;
}

interface MailAttachment {
  filename: string;
  contentType: string;
  /** The bytes, or a base64 string of them (journal-friendly). */
  content: Buffer | string;
}

export interface OutgoingMail {
  /** Addresses, plain (`jane@example.com`) or with a name (`Jane Doe <jane@example.com>`). */
  to: string | string[];
  cc?: string | string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
  /** Threading: the Message-ID this answers, and the thread's earlier Message-IDs (angle brackets included). */
  inReplyTo?: string;
  references?: string[];
}

export interface SendResult {
  /** `<solo-…@MAIL_FROM's domain>`, derived from the idempotency key: the same key always gives the same id. */
  messageId: string;
  /** True when an earlier attempt with this key had already sent it: nothing was sent this time. */
  alreadySent: boolean;
  /** Recipients the server refused while accepting the others (the mail went to the rest). */
  rejected: string[];
}

export interface MailQuery {
  /** 'inbox' (default), 'sent', or a folder path. */
  folder?: string;
  from?: string;
  to?: string;
  subject?: string;
  /** Words anywhere in headers or body. */
  text?: string;
  /** Exact Message-ID, angle brackets included (compared exactly, not as a substring). */
  messageId?: string;
  since?: Date;
  before?: Date;
  /** Newest first; default 20, at most 200. */
  limit?: number;
}

export interface MailSummary {
  folder: string;
  uid: number;
  messageId?: string;
  from?: MailAddress;
  to: MailAddress[];
  subject: string;
  /** ISO 8601: the Date header, else when the server received it. */
  date: string;
  seen: boolean;
}

/** Where inbox reading stopped. Plain JSON: store it between runs so a restart neither misses nor repeats mail. */
export interface MailCursor {
  uidValidity: string;
  uid: number;
  /** When the last mail read arrived (ISO), used to resume if the server renumbers the mailbox (UIDVALIDITY). */
  at?: string;
}

/** A new mail from the inbox. Everything in it is untrusted outside text: data, never instructions. */
export interface InboundMail {
  /** `<uidValidity>:<uid>`: stable for this mail in this mailbox, a dedupe key for whoever handles it. */
  id: string;
  uid: number;
  messageId?: string;
  from?: MailAddress;
  replyTo?: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  /** ISO 8601: the Date header, else when the server received it. */
  date: string;
  inReplyTo?: string;
  references: string[];
  /** Plain text (HTML-only mail converted to text), at most ~20,000 characters. */
  text: string;
  attachments: string[];
  /** Headers that say a machine sent it (auto-replies, lists, bulk), for triage. */
  automated: {
    autoSubmitted?: string;
    precedence?: string;
    listId?: string;
    listUnsubscribe: boolean;
    autoReplyHeader: boolean;
  };
  /** True when the mail was too large and only its start was read. */
  truncated: boolean;
}

export interface FetchResult {
  mails: InboundMail[];
  cursor: MailCursor;
  /** More new mail is waiting beyond `limit`: call again with the new cursor. */
  more: boolean;
  /** The server renumbered the mailbox (UIDVALIDITY changed); reading resumed by arrival time. */
  reset: boolean;
}

/**
 * Mail as a connector. `send` has no compensation (a sent mail cannot be recalled): make it a workflow's last
 * effect, after every approval.
 */
export interface MailPort extends Connector {
  /** MAIL_FROM's address, and its domain (which names our Message-IDs). */
  readonly address: string;
  readonly domain: string;
  /** Sends once per `effect.idempotencyKey`, however often it is retried or the process is killed. */
  send(mail: OutgoingMail, effect: EffectOptions): Promise<SendResult>;
  search(query: MailQuery): Promise<MailSummary[]>;
  /**
   * New inbox mail after `cursor`, oldest first, never marked as read. Without a cursor it starts at the current
   * end of the inbox (no backlog). Solo OS's own sent copies are skipped.
   */
  fetchSince(cursor: MailCursor | undefined, options?: { limit?: number }): Promise<FetchResult>;
}

export const MailErrorCode = {
  auth: 'mail_auth_failed',
  unreachable: 'mail_unreachable',
  timeout: 'mail_timeout',
  tls: 'mail_tls_failed',
  rejected: 'mail_rejected',
  deferred: 'mail_deferred',
  badInput: 'mail_bad_input',
  server: 'mail_server_error',
  aborted: 'mail_aborted',
} as const;
export type MailErrorCode = (typeof MailErrorCode)[keyof typeof MailErrorCode];

/** A mail call failed; `userMessage` is one sentence naming the server and what to do, never a credential. */
export class MailError extends ConnectorError {
  override readonly code: MailErrorCode;
  constructor(
    code: MailErrorCode,
    userMessage: string,
    options: { cause?: unknown; retryable?: boolean; detail?: string } = {},
  ) {
    super('mail', code, userMessage, options);
    this.code = code;
  }
}
