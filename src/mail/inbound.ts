// New inbox mail, as the poller hands it over: sorted by triage, recorded once (so a mail read again after a
// restart is not announced again), announced in one line when it matters, and — when it answers a mail Solo OS
// sent — turned into a `mail.reply` signal keyed by our Message-ID, which resumes a run waiting for that reply.
// The mail is untrusted data throughout: nothing in it is followed as an instruction; its text reaches a waiting
// run only inside the signal's payload, marked untrusted.

import { newEvent } from '../domain/events.ts';
import type { OutboundMessage } from '../domain/messages.ts';
import type { Signal, SignalFrom } from '../engine/signal.ts';
import type { Logger } from '../observability/logger.ts';
import type { InboundMail } from '../ports/mail.ts';
import type { EventLog } from '../ports/store.ts';
import { mailForModel, triageMail, type MailTriage } from './triage.ts';

const MAIL_STREAM = 'mail:inbox';

export interface InboundMailDeps {
  ourAddress: string;
  ourDomain: string;
  /** Whether memory knows the sender (a client's or contact's address). */
  knownSender: (address: string) => Promise<boolean>;
  events: Pick<EventLog, 'append'>;
  signal: (signal: Signal, from: SignalFrom) => Promise<unknown>;
  notify: (message: OutboundMessage) => Promise<unknown>;
  logger: Logger;
  /** Called for a new lead after it is announced, unless onMail claimed the mail (the consultant's pipeline). */
  onLead?: (mail: InboundMail, triage: MailTriage) => Promise<void>;
  /** Called for every new mail after triage; true claims it (the content loop keeps audience questions). */
  onMail?: (mail: InboundMail, triage: MailTriage) => Promise<boolean>;
}

/** What a run waiting on `mail.reply` gets. `text` is the untrusted-marked form a model may be shown. */
export interface MailReplyPayload {
  mailId: string;
  messageId?: string;
  from?: string;
  subject: string;
  date: string;
  untrustedText: string;
}

export function inboundMail(d: InboundMailDeps): (mail: InboundMail) => Promise<void> {
  const log = d.logger.child({ component: 'mail-inbound' });
  return async (mail) => {
    const sender = mail.from?.address.toLowerCase();
    const known = sender === undefined ? false : await d.knownSender(sender);
    const triage = triageMail(mail, { ourDomain: d.ourDomain, ourAddress: d.ourAddress, isKnownSender: () => known });
    const data = {
      mailId: mail.id,
      ...(mail.messageId ? { messageId: mail.messageId } : {}),
      ...(sender ? { from: sender } : {}),
      subject: mail.subject.slice(0, 200),
      kind: triage.kind,
      quiet: triage.quiet,
      reason: triage.reason,
      ...(triage.threadMessageId ? { threadMessageId: triage.threadMessageId } : {}),
    };
    // Keyed by the Message-ID when there is one: a renumbered mailbox gives mails new ids, not new Message-IDs.
    const { duplicate } = await d.events.append(
      newEvent('mail.received', MAIL_STREAM, data, `mail:${mail.messageId ?? mail.id}`),
    );
    if (duplicate) return log.debug({ mail: mail.id }, 'mail seen before');
    if (triage.threadMessageId && !triage.quiet) {
      const payload: MailReplyPayload = {
        mailId: mail.id,
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
        ...(sender ? { from: sender } : {}),
        subject: mail.subject.slice(0, 300),
        date: mail.date,
        untrustedText: mailForModel({ ...mail, text: mail.text.slice(0, 8000) }),
      };
      await d.signal(
        { kind: 'event', event: 'mail.reply', key: triage.threadMessageId, payload },
        { by: sender ? `mail:${sender}` : 'mail', via: 'mail' },
      );
    }
    if (triage.line) await d.notify({ text: triage.line });
    // An audience question that names a piece may read like a lead; it starts no sales pipeline.
    const claimed = d.onMail ? await d.onMail(mail, triage) : false;
    if (triage.kind === 'lead' && d.onLead && !claimed) await d.onLead(mail, triage);
  };
}
