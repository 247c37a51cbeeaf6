// One IMAP connection (imapflow), opened on first use and again after it drops, shared by sending, searching and
// inbox reading. imapflow serialises commands and gives one mailbox at a time through locks; a lock is never held
// while asking for another (that would wait forever).

import type { ImapFlow, ImapFlowOptions, ListResponse, MailboxObject } from 'imapflow';
import { imapError } from './errors.ts';
import type { ServerSettings } from './settings.ts';

type ImapModule = typeof import('imapflow');

export interface Folders {
  inbox: string;
  sent: string;
  /** Where a message waits between "about to send" and "sent" (see send.ts). A sibling of Sent. */
  outbox: string;
}

const OUTBOX_NAME = 'Solo Outbox';

/** A message found by Message-ID: its UID and when the server received it (ms since the epoch). */
export interface Hit {
  uid: number;
  arrived: number;
}
const SENT_NAMES = /^(sent|sent items|sent messages|sent mail|gesendet|envoyés)$/i;

export interface ImapOptions {
  allowSelfSigned: boolean;
  sentFolder?: string;
  timeoutMs: number;
}

export class ImapSession {
  readonly server: ServerSettings;
  readonly #module: ImapModule;
  readonly #options: ImapOptions;
  #client: ImapFlow | undefined;
  #connecting: Promise<ImapFlow> | undefined;
  #folders: Promise<Folders> | undefined;
  #closed = false;
  /** The mailbox a SELECT just opened, whose view is therefore fresh (see inMailbox). */
  #freshlyOpened: string | undefined;

  constructor(module: ImapModule, server: ServerSettings, options: ImapOptions) {
    this.#module = module;
    this.server = server;
    this.#options = options;
  }

  /** A logged-in connection: the open one, or a new one if it dropped. */
  async client(): Promise<ImapFlow> {
    if (this.#client?.usable) return this.#client;
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<ImapFlow> {
    const { host, port, secure, requireStartTls, user, pass } = this.server;
    const t = this.#options.timeoutMs;
    const options: ImapFlowOptions = {
      host,
      port,
      secure,
      auth: { user, pass },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: t,
      greetingTimeout: t,
      socketTimeout: Math.max(t, 60_000),
      tls: { rejectUnauthorized: !this.#options.allowSelfSigned },
      clientInfo: { name: 'Solo OS' },
      ...(requireStartTls ? { doSTARTTLS: true } : {}),
    };
    const client = new this.#module.ImapFlow(options);
    // Failures reach the caller through the command that failed; an unheard 'error' event would end the process.
    client.on('error', () => undefined);
    client.on('mailboxOpen', (box) => (this.#freshlyOpened = box.path));
    client.on('close', () => {
      if (this.#client === client) this.#client = undefined;
    });
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw imapError(err, this.server, 'the login');
    }
    if (this.#closed) {
      client.close();
      throw imapError(new Error('the connector is closed'), this.server);
    }
    this.#client = client;
    return client;
  }

  /** Runs `fn` on a connection; failures become MailErrors. */
  async run<T>(doing: string, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.client());
    } catch (err) {
      throw imapError(err, this.server, doing);
    }
  }

  /**
   * Runs `fn` with `path` selected and locked, on a fresh view: a mailbox that stayed selected since an earlier call
   * is synchronised with a NOOP first (Dovecot announces mail that arrived meanwhile only as a command ends, so a
   * SEARCH alone would not see it).
   */
  async inMailbox<T>(
    path: string,
    doing: string,
    fn: (client: ImapFlow, mailbox: MailboxObject) => Promise<T>,
  ): Promise<T> {
    return this.run(doing, async (client) => {
      const lock = await client.getMailboxLock(path);
      try {
        if (this.#freshlyOpened !== lock.path) await client.noop();
        this.#freshlyOpened = undefined;
        return await fn(client, client.mailbox as MailboxObject);
      } finally {
        lock.release();
      }
    });
  }

  /** INBOX, Sent (MAIL_SENT_FOLDER, else the server's \Sent folder, else one named like it) and our Outbox, created if missing. */
  folders(): Promise<Folders> {
    this.#folders ??= this.run('listing folders', async (client) => {
      const list = await client.list();
      const sent = this.#options.sentFolder ?? pickSent(list) ?? 'Sent';
      const sentEntry = list.find((f) => f.path === sent);
      const delimiter = sentEntry?.delimiter ?? list[0]?.delimiter ?? '/';
      const parent = sentEntry?.parentPath ?? '';
      const outbox = parent ? `${parent}${delimiter}${OUTBOX_NAME}` : OUTBOX_NAME;
      if (!sentEntry) await client.mailboxCreate(sent);
      if (!list.some((f) => f.path === outbox)) await client.mailboxCreate(outbox);
      return { inbox: 'INBOX', sent, outbox };
    }).catch((err: unknown) => {
      this.#folders = undefined;
      throw err;
    });
    return this.#folders;
  }

  /**
   * The messages in `path` whose Message-ID is exactly `messageId` (UID and arrival time), oldest first. IMAP's
   * header SEARCH is a substring match (`<solo-ab@x>` would find `<x-solo-ab@x>` too), so every hit's envelope is
   * fetched and compared.
   */
  async findExact(path: string, messageId: string): Promise<Hit[]> {
    return this.inMailbox(path, `a search of ${path}`, async (client) => {
      const hits = await client.search({ header: { 'message-id': messageId.replace(/^<|>$/g, '') } }, { uid: true });
      if (!hits || hits.length === 0) return [];
      const found: Hit[] = [];
      for await (const m of client.fetch(
        hits.join(','),
        { uid: true, envelope: true, internalDate: true },
        { uid: true },
      )) {
        if (m.envelope?.messageId?.trim() !== messageId) continue;
        const arrived =
          m.internalDate instanceof Date ? m.internalDate.getTime() : Date.parse(String(m.internalDate ?? ''));
        found.push({ uid: m.uid, arrived: Number.isNaN(arrived) ? Date.now() : arrived });
      }
      return found.sort((a, b) => a.uid - b.uid);
    });
  }

  /** True when `path` holds no message: a STATUS, cheaper than selecting it (the Outbox is nearly always empty). */
  async isEmpty(path: string): Promise<boolean> {
    const status = await this.run(`a look at ${path}`, (client) => client.status(path, { messages: true }));
    return status !== false && status.messages === 0;
  }

  /** Round trip for health: NOOP on the (re)opened connection. */
  async ping(): Promise<void> {
    await this.run('a NOOP', (client) => client.noop());
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    if (!client) return;
    await Promise.race([client.logout().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    client.close();
  }
}

function pickSent(list: ListResponse[]): string | undefined {
  return list.find((f) => f.specialUse === '\\Sent')?.path ?? list.find((f) => SENT_NAMES.test(f.name))?.path;
}
