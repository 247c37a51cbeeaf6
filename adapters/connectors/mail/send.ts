// Sending exactly once per idempotency key, across retries and kill -9.
//
// SMTP and IMAP are separate servers, so "the server took the mail" and "we wrote down that it did" can never be
// one step: a crash can fall between them. The design:
//  1. The Message-ID is derived from the key. If Sent holds a message with exactly that id, it went out: nothing is
//     sent (alreadySent).
//  2. Before sending, the exact bytes are APPENDed to the "Solo Outbox" folder: a durable note saying "this key may
//     be on its way". Then SMTP, addressed (in the envelope only, no header) to the recipients AND to our own
//     address; then the Outbox copy is MOVEd to Sent.
//  3. A retry that finds an Outbox copy but no Sent copy knows an attempt stopped in between, and must learn whether
//     the SMTP server took the mail. The self-copy is the server's own record: one SMTP transaction delivers to every
//     recipient it accepted, our own address among them, so our copy exists exactly when the server took the mail.
//     Found in INBOX (waiting for a queued delivery until `confirmMs` after the Outbox copy arrived, by the server's
//     clock, so a retry cut short by a step timeout continues the wait instead of restarting it) → it went out:
//     file the Outbox copy in Sent, send nothing. Not found → it never left: send the Outbox copy's bytes now.
// Why not send, then append to Sent? A crash between leaves no trace and the retry sends twice.
// Why not append to Sent first (as a draft)? A mail that never left would sit in Sent looking sent.
// Crash windows (each one tested in test/connectors/mail-send.test.ts):
//   before the APPEND            → no trace anywhere: the retry sends.
//   after the APPEND, before SMTP → Outbox copy, no self-copy: the retry waits out confirmMs, then sends.
//   after SMTP, before the MOVE   → Outbox copy and self-copy: the retry files it in Sent and sends nothing.
//   after the MOVE                → Sent copy: the retry sends nothing.
// Residual risk, stated: if the self-copy takes longer than confirmMs to arrive (a slow queue), or MAIL_FROM is not
// delivered to the IMAP_URL mailbox, an attempt interrupted in the SMTP window can go out twice.
// A definite SMTP refusal (a 4xx/5xx answer, a refused connection, a failed login) removes the Outbox copy, so the
// retry does not wait. There is no retry loop in here: the engine retries on `retryable`.

import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../../src/observability/logger.ts';
import type { EffectOptions } from '../../../src/ports/connector.ts';
import { MailError, MailErrorCode, type OutgoingMail, type SendResult } from '../../../src/ports/mail.ts';
import { messageIdForKey } from '../../../src/mail/message-id.ts';
import { definitelyNotSent } from './errors.ts';
import type { Folders, Hit, ImapSession } from './imap.ts';
import type { SmtpSender } from './smtp.ts';

/** Test hooks: throw from one to simulate a crash at that point. */
export interface SendHooks {
  afterOutbox?: (messageId: string) => void | Promise<void>;
  afterSmtp?: (messageId: string) => void | Promise<void>;
}

export interface SendDeps {
  imap: ImapSession;
  smtp: SmtpSender;
  from: { name?: string; address: string; domain: string };
  /** How long after an interrupted send's Outbox copy its self-copy may take to arrive before we conclude it never left. */
  confirmMs: number;
  logger: Logger;
  hooks: SendHooks;
}

export async function sendOnce(deps: SendDeps, mail: OutgoingMail, effect: EffectOptions): Promise<SendResult> {
  const { imap, smtp, from, logger, hooks } = deps;
  if (!effect.idempotencyKey)
    throw new MailError(MailErrorCode.badInput, 'A mail send needs an idempotency key (the workflow step key).');
  const to = smtp.addresses(mail.to, 'recipient');
  const cc = smtp.addresses(mail.cc, 'cc');
  if (to.length === 0) throw new MailError(MailErrorCode.badInput, 'The mail has no recipient.');
  const messageId = messageIdForKey(effect.idempotencyKey, from.domain);
  const log = logger.child({ messageId });
  abortCheck(effect.signal);

  const folders = await imap.folders();
  const inSent = await imap.findExact(folders.sent, messageId);
  if (inSent.length > 0) {
    await removeAll(imap, folders.outbox, messageId); // a MOVE the server did not finish, if any
    log.info('mail already sent (found in Sent)');
    return { messageId, alreadySent: true, rejected: [] };
  }

  const pending: Hit[] = (await imap.isEmpty(folders.outbox)) ? [] : await imap.findExact(folders.outbox, messageId);
  let outboxUids = pending.map((h) => h.uid);
  let raw: Buffer;
  if (pending.length > 0) {
    // An earlier attempt stopped between recording and filing: did the SMTP server take the mail?
    const now = Date.now();
    const savedAt = Math.min(...pending.map((h) => h.arrived));
    const deadline = Math.min(now + deps.confirmMs, Math.max(now, savedAt + deps.confirmMs));
    const record = await waitForServerRecord(imap, folders, messageId, deadline, effect.signal);
    if (record !== undefined) {
      // A provider that files SMTP mail in Sent itself (Gmail, Microsoft 365) already made the Sent copy.
      if (record === 'sent') await removeAll(imap, folders.outbox, messageId);
      else await fileAsSent(imap, folders.outbox, folders.sent, outboxUids);
      log.warn({ record }, 'an interrupted send had gone out (the server has it): filed in Sent, not sent again');
      return { messageId, alreadySent: true, rejected: [] };
    }
    log.warn({ waitedMs: Date.now() - now }, 'an interrupted send never left (no self-copy): sending it now');
    raw = await outboxSource(imap, folders.outbox, outboxUids);
  } else {
    raw = await smtp.compose(mail, messageId, from);
    abortCheck(effect.signal);
    const appended = await imap.run(`saving the mail in ${folders.outbox}`, (c) =>
      c.append(folders.outbox, raw, ['\\Seen']),
    );
    // UIDPLUS servers name the new copy's UID; others are asked.
    outboxUids =
      appended && appended.uid ? [appended.uid] : (await imap.findExact(folders.outbox, messageId)).map((h) => h.uid);
  }
  await hooks.afterOutbox?.(messageId);
  // The last point where a cancel is honoured: once SMTP starts, the outcome must be learned, not abandoned.
  abortCheck(effect.signal);

  const recipients = [...new Set([...to, ...cc, from.address])];
  let result: { accepted: string[]; rejected: string[] };
  try {
    result = await smtp.send({ from: from.address, to: recipients }, raw);
  } catch (err) {
    if (err instanceof MailError && definitelyNotSent(err.cause)) {
      await removeAll(imap, folders.outbox, messageId).catch(() => undefined);
    }
    throw err;
  }
  await hooks.afterSmtp?.(messageId);
  await fileAsSent(imap, folders.outbox, folders.sent, outboxUids);
  log.info({ recipients: to.length + cc.length, rejected: result.rejected.length }, 'mail sent');
  return { messageId, alreadySent: false, rejected: result.rejected.filter((r) => r !== from.address) };
}

function abortCheck(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new MailError(MailErrorCode.aborted, 'Sending the mail was cancelled before it left.', {
      cause: signal.reason,
      retryable: true,
    });
}

/**
 * Polls for the SMTP server's record of `messageId` until the deadline (ms since the epoch): our self-copy in INBOX,
 * or the copy some providers file in Sent on their own.
 */
async function waitForServerRecord(
  imap: ImapSession,
  folders: Folders,
  messageId: string,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<'inbox' | 'sent' | undefined> {
  for (;;) {
    if ((await imap.findExact(folders.inbox, messageId)).length > 0) return 'inbox';
    if ((await imap.findExact(folders.sent, messageId)).length > 0) return 'sent';
    if (Date.now() >= deadline) return undefined;
    abortCheck(signal);
    await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
  }
}

/** Moves the Outbox copy to Sent (MOVE is one command; imapflow does COPY+EXPUNGE on servers without it). */
async function fileAsSent(imap: ImapSession, outbox: string, sent: string, uids: number[]): Promise<void> {
  if (uids.length === 0) return;
  await imap.inMailbox(outbox, `filing the mail in ${sent}`, async (client: ImapFlow) => {
    const [first, ...extra] = uids;
    // Two Outbox copies of one key cannot normally exist; if they do, one goes to Sent and the rest away.
    if (extra.length > 0) await client.messageDelete(extra.join(','), { uid: true });
    if (first !== undefined) await client.messageMove(String(first), sent, { uid: true });
  });
}

async function outboxSource(imap: ImapSession, outbox: string, uids: number[]): Promise<Buffer> {
  const uid = uids[0];
  const message = await imap.inMailbox(outbox, `reading ${outbox}`, (c) =>
    c.fetchOne(String(uid), { source: true }, { uid: true }),
  );
  if (!message || !message.source)
    throw new MailError(
      MailErrorCode.server,
      `The IMAP server lost the copy in ${outbox} while it was being read; Solo OS will try again.`,
      { retryable: true },
    );
  return message.source;
}

async function removeAll(imap: ImapSession, folder: string, messageId: string): Promise<void> {
  if (await imap.isEmpty(folder)) return;
  const uids = (await imap.findExact(folder, messageId)).map((h) => h.uid);
  if (uids.length === 0) return;
  await imap.inMailbox(folder, `cleaning ${folder}`, (c) => c.messageDelete(uids.join(','), { uid: true }));
}
