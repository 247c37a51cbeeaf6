// The mail connector's reading side against real Dovecot: the inbox cursor across reconnects and a UIDVALIDITY
// change (no repeats, none missed), mail never marked read, parsing (HTML to text, attachments, machine headers),
// our self-copies skipped and tidied, folder search, and the poller keeping its cursor in the real SQLite store.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { MailPoller } from '../../src/mail/poller.ts';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import type { InboundMail, MailPort } from '../../src/ports/mail.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';
import { mailServerSkipReason, startMailServers, type MailServers } from '../support/mail-server.ts';
import { connectorFor, rawMail } from './mail-harness.ts';

const skip = mailServerSkipReason();
const OPS = 'ops@example.com';
const CLIENT = 'client@example.net';

describe('mail connector: reading', { skip }, () => {
  let servers: MailServers;
  let mail: MailPort;
  let n = 0;
  const incoming = async (extra: Record<string, string> = {}, body = 'Hello there.'): Promise<string> => {
    const id = `<in-${++n}@example.org>`;
    await servers.deliver(
      rawMail(
        { From: `Sender ${n} <s${n}@example.org>`, To: OPS, Subject: `Mail ${n}`, 'Message-ID': id, ...extra },
        body,
      ),
      [OPS],
    );
    return id;
  };

  before(async () => {
    servers = await startMailServers();
    ({ mail } = await connectorFor(servers));
  });
  after(async () => {
    await mail?.close();
    await servers?.stop();
  });

  test('without a cursor it starts at the end; then each new mail comes once, across a reconnect', async () => {
    await incoming();
    const start = await mail.fetchSince(undefined);
    assert.deepEqual(start.mails, [], 'no backlog on first start');
    const ids = [await incoming(), await incoming(), await incoming()];
    const first = await mail.fetchSince(start.cursor, { limit: 2 });
    assert.equal(first.more, true);
    assert.deepEqual(
      first.mails.map((m) => m.messageId),
      ids.slice(0, 2),
    );
    await mail.close();
    ({ mail } = await connectorFor(servers)); // a restart: a new connection, the cursor from the store
    ids.push(await incoming(), await incoming());
    const rest = await mail.fetchSince(JSON.parse(JSON.stringify(first.cursor)) as typeof first.cursor);
    assert.deepEqual(
      rest.mails.map((m) => m.messageId),
      ids.slice(2),
      'none missed, none repeated',
    );
    assert.equal(rest.more, false);
    assert.deepEqual((await mail.fetchSince(rest.cursor)).mails, [], 'nothing new: nothing returned');
    const unseen = servers.flags(OPS).filter(([id]) => ids.includes(id));
    assert.equal(unseen.length, 5);
    assert.ok(
      unseen.every(([, flags]) => !flags.includes('\\Seen')),
      'reading never marks mail as read',
    );
  });

  test('HTML-only mail becomes text; attachments are named; machine headers are reported', async () => {
    const cursor = (await mail.fetchSince(undefined)).cursor;
    await incoming(
      {
        'Content-Type': 'text/html; charset=utf-8',
        'List-Unsubscribe': '<https://news.example.org/u>',
        Precedence: 'bulk',
      },
      '<h1>News</h1><p>Our <b>spring</b> sale.</p>',
    );
    const boundary = 'b1';
    await incoming(
      {
        'Content-Type': `multipart/mixed; boundary="${boundary}"`,
        'Auto-Submitted': 'auto-replied',
        'In-Reply-To': '<solo-1@example.com>',
        References: '<a@x> <solo-1@example.com>',
      },
      [
        `--${boundary}`,
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Gr=FC=DFe aus M=FCnchen',
        `--${boundary}`,
        'Content-Type: application/pdf; name="offer.pdf"',
        'Content-Disposition: attachment; filename="offer.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4').toString('base64'),
        `--${boundary}--`,
      ].join('\n'),
    );
    const [news, auto] = (await mail.fetchSince(cursor)).mails as [InboundMail, InboundMail];
    assert.equal(news.text.replace(/\s+/g, ' '), 'NEWS Our spring sale.');
    assert.equal(news.automated.listUnsubscribe, true);
    assert.equal(news.automated.precedence, 'bulk');
    assert.equal(auto.text, 'Grüße aus München', 'charset and transfer encoding decoded');
    assert.deepEqual(auto.attachments, ['offer.pdf']);
    assert.equal(auto.automated.autoSubmitted, 'auto-replied');
    assert.equal(auto.inReplyTo, '<solo-1@example.com>');
    assert.deepEqual(auto.references, ['<a@x>', '<solo-1@example.com>']);
    assert.deepEqual(auto.from, { name: `Sender ${n}`, address: `s${n}@example.org` });
    assert.match(auto.id, /^\d+:\d+$/);
  });

  test('our self-copies are skipped, and removed from INBOX once Sent holds the mail', async () => {
    const cursor = (await mail.fetchSince(undefined)).cursor;
    const sent = await mail.send({ to: CLIENT, subject: 'Hi', text: 'hello' }, { idempotencyKey: 'read-a:send' });
    // A self-copy whose send is still in doubt (no Sent copy yet) must stay: an interrupted send's retry needs it.
    const pendingId = messageIdForKey('read-b:send', 'example.com');
    await servers.deliver(
      rawMail({ From: `Solo Ops <${OPS}>`, To: CLIENT, Subject: 'in doubt', 'Message-ID': pendingId }, 'x'),
      [OPS],
    );
    const outside = await incoming();
    assert.equal(servers.messageIds(OPS).filter((id) => id === sent.messageId).length, 1, 'the self-copy arrived');
    const result = await mail.fetchSince(cursor);
    assert.deepEqual(
      result.mails.map((m) => m.messageId),
      [outside],
      'only outside mail is returned',
    );
    const inbox = servers.flags(OPS);
    assert.equal(inbox.filter(([id]) => id === sent.messageId).length, 0, 'the filed self-copy left INBOX');
    assert.match(
      inbox.find(([id]) => id === pendingId)?.[1] ?? 'missing',
      /\\Seen/,
      'the in-doubt one stays, marked read',
    );
    assert.equal(servers.messageIds(OPS, 'Sent').filter((id) => id === sent.messageId).length, 1);
  });

  test('a renumbered mailbox (UIDVALIDITY changed) resumes by arrival time: nothing repeated, nothing missed', async () => {
    await incoming();
    const before = await mail.fetchSince((await mail.fetchSince(undefined)).cursor);
    const seen = await incoming();
    const cursor = (await mail.fetchSince(before.cursor)).cursor;
    assert.ok(cursor.at, 'the cursor remembers when the last mail arrived');
    await new Promise((r) => setTimeout(r, 1100)); // IMAP arrival times have one-second resolution
    const fresh = await incoming();
    await mail.close();
    servers.doveadm([
      'mailbox',
      'update',
      '--uid-validity',
      String(Number(cursor.uidValidity) + 7),
      '-u',
      OPS,
      'INBOX',
    ]);
    ({ mail } = await connectorFor(servers));
    const after = await mail.fetchSince(cursor);
    assert.equal(after.reset, true);
    assert.deepEqual(
      after.mails.map((m) => m.messageId),
      [fresh],
      `not ${seen} again, and ${fresh} not missed`,
    );
    assert.equal(after.cursor.uidValidity, String(Number(cursor.uidValidity) + 7));
    assert.deepEqual((await mail.fetchSince(after.cursor)).mails, []);
  });

  test('search: by sender, subject or words, newest first, limited; Sent by name', async () => {
    await servers.deliver(
      rawMail(
        {
          From: 'Acme Billing <billing@acme.test>',
          To: OPS,
          Subject: 'Question about INV-0007',
          'Message-ID': '<acme-1@acme.test>',
        },
        'When is it due?',
      ),
      [OPS],
    );
    await servers.deliver(
      rawMail(
        {
          From: 'Acme Billing <billing@acme.test>',
          To: OPS,
          Subject: 'Second question',
          'Message-ID': '<acme-2@acme.test>',
        },
        'Also the receipt please.',
      ),
      [OPS],
    );
    const byFrom = await mail.search({ from: 'billing@acme.test' });
    assert.deepEqual(
      byFrom.map((s) => s.messageId),
      ['<acme-2@acme.test>', '<acme-1@acme.test>'],
    );
    assert.deepEqual(byFrom[0]?.from, { name: 'Acme Billing', address: 'billing@acme.test' });
    assert.equal(byFrom[0]?.seen, false);
    assert.deepEqual(
      (await mail.search({ subject: 'INV-0007' })).map((s) => s.messageId),
      ['<acme-1@acme.test>'],
    );
    assert.deepEqual(
      (await mail.search({ text: 'receipt' })).map((s) => s.messageId),
      ['<acme-2@acme.test>'],
    );
    assert.equal((await mail.search({ from: 'billing@acme.test', limit: 1 })).length, 1);
    assert.ok((await mail.search({ folder: 'sent' })).every((s) => s.folder === 'Sent' && s.from?.address === OPS));
    assert.deepEqual(await mail.search({ from: 'nobody@nowhere.test' }), []);
  });

  test('the poller hands each mail over once, keeps its cursor in the store across a restart, and retries a failed mail', async () => {
    const store = new SqliteStore(tempDir('solo-mail-poller-'));
    await store.init();
    const logger = pino({ level: 'silent' });
    const handled: string[] = [];
    let failNext = false;
    const poller = (port: MailPort) =>
      new MailPoller({
        mail: port,
        cursors: store.settings,
        intervalMs: 60_000,
        logger,
        onMail: async (m) => {
          if (failNext) {
            failNext = false;
            throw new Error('handler failed once');
          }
          handled.push(m.messageId ?? '');
        },
      });
    try {
      assert.equal(await poller(mail).pollOnce(), 0, 'the first poll only places the cursor');
      const ids = [await incoming(), await incoming(), await incoming()];
      assert.equal(await poller(mail).pollOnce(), 3);
      await mail.close();
      ({ mail } = await connectorFor(servers));
      ids.push(await incoming(), await incoming());
      failNext = true;
      const restarted = poller(mail);
      assert.equal(await restarted.pollOnce(), 0, 'the failed mail stops the round');
      assert.equal(await restarted.pollOnce(), 2, 'and is tried again at the next');
      assert.deepEqual(handled, ids);
      assert.equal(await restarted.pollOnce(), 0);
    } finally {
      await store.close();
    }
  });
});
