// Reading mail: new inbox mail from a UIDVALIDITY + UID cursor (never marked as read: BODY.PEEK), parsed with
// mailparser into InboundMail, and folder search. Solo OS's own self-copies (see send.ts) are skipped, and removed
// from INBOX once Sent holds the mail.

import type { FetchMessageObject, MessageStructureObject, SearchObject } from 'imapflow';
import type { AddressObject, ParsedMail } from 'mailparser';
import type {
  FetchResult,
  InboundMail,
  MailAddress,
  MailCursor,
  MailQuery,
  MailSummary,
} from '../../../src/ports/mail.ts';
import { isOurMessageId, messageIdsIn } from '../../../src/mail/message-id.ts';
import type { ImapSession } from './imap.ts';

type SimpleParser = (typeof import('mailparser'))['simpleParser'];

export interface ReadDeps {
  imap: ImapSession;
  parse: SimpleParser;
  from: { address: string; domain: string };
}

/** Larger mails are read only up to this many bytes (text comes first; attachment names come from BODYSTRUCTURE). */
const MAX_SOURCE = 2 * 1024 * 1024;
const MAX_TEXT = 20_000;

interface Fetched {
  meta: FetchMessageObject;
  source: Buffer;
  truncated: boolean;
}

export async function fetchSince(deps: ReadDeps, cursor: MailCursor | undefined, limit = 25): Promise<FetchResult> {
  const { imap } = deps;
  const { inbox } = await imap.folders();
  const batch = await imap.inMailbox(inbox, 'reading the inbox', async (client, box) => {
    const validity = String(box.uidValidity);
    if (cursor === undefined)
      return { validity, end: box.uidNext - 1, reset: false, items: [] as Fetched[], more: false };
    const reset = cursor.uidValidity !== validity;
    let uids: number[];
    if (!reset) {
      // `n:*` always includes the newest message, even when its UID is below n: filter.
      uids = ((await client.search({ uid: `${cursor.uid + 1}:*` }, { uid: true })) || []).filter((u) => u > cursor.uid);
    } else if (cursor.at !== undefined) {
      // The server renumbered the mailbox: resume by arrival time (SINCE is by day; the exact time is checked below).
      uids = (await client.search({ since: new Date(cursor.at) }, { uid: true })) || [];
    } else {
      uids = [];
    }
    uids.sort((a, b) => a - b);
    if (uids.length === 0)
      return { validity, end: reset ? box.uidNext - 1 : cursor.uid, reset, items: [] as Fetched[], more: false };
    let metas = await client.fetchAll(
      uids.join(','),
      { uid: true, size: true, internalDate: true, envelope: true, bodyStructure: true },
      { uid: true },
    );
    metas.sort((a, b) => a.uid - b.uid);
    if (reset && cursor.at !== undefined) {
      const after = Date.parse(cursor.at);
      metas = metas.filter((m) => arrival(m) > after);
    }
    const more = metas.length > limit;
    const items: Fetched[] = [];
    for (const meta of metas.slice(0, limit)) {
      const truncated = (meta.size ?? 0) > MAX_SOURCE;
      const body = isOwnCopy(deps, meta)
        ? undefined
        : await client.fetchOne(
            String(meta.uid),
            { source: truncated ? { maxLength: MAX_SOURCE } : true },
            { uid: true },
          );
      items.push({ meta, source: (body && body.source) || Buffer.alloc(0), truncated });
    }
    return { validity, end: reset ? box.uidNext - 1 : cursor.uid, reset, items, more };
  });

  const last = batch.items.at(-1);
  const next: MailCursor = last
    ? { uidValidity: batch.validity, uid: last.meta.uid, at: new Date(arrival(last.meta)).toISOString() }
    : { uidValidity: batch.validity, uid: batch.end, ...(cursor?.at === undefined ? {} : { at: cursor.at }) };
  const mails: InboundMail[] = [];
  const ownCopies: Fetched[] = [];
  for (const item of batch.items) {
    if (isOwnCopy(deps, item.meta)) ownCopies.push(item);
    else mails.push(await toInbound(deps, batch.validity, item));
  }
  if (ownCopies.length > 0) await tidyOwnCopies(deps, inbox, ownCopies);
  return { mails, cursor: next, more: batch.more, reset: batch.reset };
}

/** A copy of a mail Solo OS sent: our Message-ID form and our From address. */
function isOwnCopy(deps: ReadDeps, m: FetchMessageObject): boolean {
  return (
    isOurMessageId(m.envelope?.messageId, deps.from.domain) &&
    m.envelope?.from?.[0]?.address?.toLowerCase() === deps.from.address
  );
}

function arrival(m: FetchMessageObject): number {
  const d = m.internalDate instanceof Date ? m.internalDate : new Date(m.internalDate ?? 0);
  return d.getTime();
}

async function toInbound(deps: ReadDeps, validity: string, { meta, source, truncated }: Fetched): Promise<InboundMail> {
  const parsed: ParsedMail = await deps.parse(source, {
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const header = (name: string): string | undefined => {
    const line = parsed.headerLines.find((h) => h.key === name)?.line;
    return line === undefined
      ? undefined
      : line
          .slice(line.indexOf(':') + 1)
          .replace(/\r?\n[ \t]+/g, ' ')
          .trim();
  };
  const references = Array.isArray(parsed.references) ? parsed.references : messageIdsIn(parsed.references);
  const text = (parsed.text ?? '').replace(/\r\n?/g, '\n').trim();
  const autoSubmitted = header('auto-submitted');
  const precedence = header('precedence');
  const listId = header('list-id');
  const replyTo = addresses(parsed.replyTo)[0];
  const from = addresses(parsed.from)[0];
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : new Date(arrival(meta));
  return {
    id: `${validity}:${meta.uid}`,
    uid: meta.uid,
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    ...(from ? { from } : {}),
    ...(replyTo ? { replyTo } : {}),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: parsed.subject ?? '',
    date: date.toISOString(),
    ...(parsed.inReplyTo ? { inReplyTo: messageIdsIn(parsed.inReplyTo)[0] ?? parsed.inReplyTo } : {}),
    references,
    text: text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) + '…' : text,
    attachments: attachmentNames(meta.bodyStructure),
    automated: {
      ...(autoSubmitted === undefined ? {} : { autoSubmitted }),
      ...(precedence === undefined ? {} : { precedence }),
      ...(listId === undefined ? {} : { listId }),
      listUnsubscribe: header('list-unsubscribe') !== undefined,
      autoReplyHeader: ['x-autoreply', 'x-autorespond', 'x-autoresponder'].some((h) => header(h) !== undefined),
    },
    truncated,
  };
}

function addresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const flat = (list: AddressObject['value']): MailAddress[] =>
    list.flatMap((a) =>
      a.group
        ? flat(a.group)
        : a.address
          ? [{ ...(a.name ? { name: a.name } : {}), address: a.address.toLowerCase() }]
          : [],
    );
  return objects.flatMap((o) => flat(o.value));
}

function attachmentNames(node: MessageStructureObject | undefined): string[] {
  if (!node) return [];
  if (node.childNodes) return node.childNodes.flatMap(attachmentNames);
  const name = node.dispositionParameters?.['filename'] ?? node.parameters?.['name'];
  if (name) return [name];
  return node.disposition === 'attachment' ? [`(unnamed ${node.type})`] : [];
}

/**
 * Our self-copies have done their job once Sent holds the mail: they are removed from INBOX (unless our own
 * address was also a real recipient). Until then they stay, marked read: an interrupted send's retry needs them.
 */
async function tidyOwnCopies(deps: ReadDeps, inbox: string, copies: Fetched[]): Promise<void> {
  const { sent } = await deps.imap.folders();
  const remove: number[] = [];
  const keep: number[] = [];
  for (const { meta } of copies) {
    const id = meta.envelope?.messageId?.trim() ?? '';
    const addressedToUs = [...(meta.envelope?.to ?? []), ...(meta.envelope?.cc ?? [])].some(
      (a) => a.address?.toLowerCase() === deps.from.address,
    );
    if (!addressedToUs && (await deps.imap.findExact(sent, id)).length > 0) remove.push(meta.uid);
    else keep.push(meta.uid);
  }
  await deps.imap.inMailbox(inbox, 'tidying the inbox', async (client) => {
    if (keep.length > 0) await client.messageFlagsAdd(keep.join(','), ['\\Seen'], { uid: true });
    if (remove.length > 0) await client.messageDelete(remove.join(','), { uid: true });
  });
}

export async function searchMail(deps: ReadDeps, query: MailQuery): Promise<MailSummary[]> {
  const folders = await deps.imap.folders();
  const folder =
    query.folder === undefined || query.folder.toLowerCase() === 'inbox'
      ? folders.inbox
      : query.folder.toLowerCase() === 'sent'
        ? folders.sent
        : query.folder;
  const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
  const criteria: SearchObject = {
    ...(query.from ? { from: query.from } : {}),
    ...(query.to ? { to: query.to } : {}),
    ...(query.subject ? { subject: query.subject } : {}),
    ...(query.text ? { text: query.text } : {}),
    ...(query.since ? { since: query.since } : {}),
    ...(query.before ? { before: query.before } : {}),
    ...(query.messageId ? { header: { 'message-id': query.messageId.replace(/^<|>$/g, '') } } : {}),
  };
  if (Object.keys(criteria).length === 0) criteria.all = true;
  return deps.imap.inMailbox(folder, `a search of ${folder}`, async (client) => {
    const uids = ((await client.search(criteria, { uid: true })) || []).sort((a, b) => b - a);
    if (uids.length === 0) return [];
    // A Message-ID search is a substring match: compare exactly, then cut to the limit.
    const wanted = query.messageId ? uids : uids.slice(0, limit);
    const metas = await client.fetchAll(
      wanted.join(','),
      { uid: true, envelope: true, internalDate: true, flags: true },
      { uid: true },
    );
    return metas
      .filter((m) => !query.messageId || m.envelope?.messageId?.trim() === query.messageId)
      .sort((a, b) => b.uid - a.uid)
      .slice(0, limit)
      .map((m): MailSummary => {
        const env = m.envelope;
        const from = env?.from?.[0];
        const date = env?.date ? new Date(env.date) : new Date(arrival(m));
        return {
          folder,
          uid: m.uid,
          ...(env?.messageId ? { messageId: env.messageId } : {}),
          ...(from?.address
            ? { from: { ...(from.name ? { name: from.name } : {}), address: from.address.toLowerCase() } }
            : {}),
          to: (env?.to ?? []).flatMap((a) =>
            a.address ? [{ ...(a.name ? { name: a.name } : {}), address: a.address.toLowerCase() }] : [],
          ),
          subject: env?.subject ?? '',
          date: (Number.isNaN(date.getTime()) ? new Date(arrival(m)) : date).toISOString(),
          seen: m.flags?.has('\\Seen') ?? false,
        };
      });
  });
}
