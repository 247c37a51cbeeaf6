// The mail connector's send path against real servers: Dovecot (IMAP, LMTP) and an SMTP server relaying into it.
// Mailboxes are counted with doveadm, straight from the mail store. Proves: one delivery per key, a copy in Sent,
// each crash window between Outbox, SMTP and Sent ending in exactly one delivery, the substring-search trap, and
// SMTP refusals leaving no Outbox copy behind.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import { MailError, type MailPort } from '../../src/ports/mail.ts';
import { mailServerSkipReason, startMailServers, type MailServers, type MailUser } from '../support/mail-server.ts';
import { connectorFor, rawMail } from './mail-harness.ts';

const skip = mailServerSkipReason();
const OPS = 'ops@example.com';
const CLIENT = 'client@example.net';
const OTHER = 'other@example.net';
const OUTBOX = 'Solo Outbox';

describe('mail connector: sending', { skip }, () => {
  let servers: MailServers;
  let mail: MailPort;
  let logs: string[];
  let crashAt: 'afterOutbox' | 'afterSmtp' | undefined;
  const crash = (point: 'afterOutbox' | 'afterSmtp') => () => {
    if (crashAt === point) throw new Error(`simulated crash ${point}`);
  };
  const count = (user: string, id: string, folder = 'INBOX') =>
    servers.messageIds(user, folder).filter((m) => m === id).length;

  before(async () => {
    servers = await startMailServers();
    ({ mail, logs } = await connectorFor(servers, {
      hooks: { afterOutbox: crash('afterOutbox'), afterSmtp: crash('afterSmtp') },
    }));
  });
  after(async () => {
    await mail?.close();
    await servers?.stop();
  });

  test('a send lands once in each recipient INBOX, a copy in Sent, nothing left in the Outbox', async () => {
    const r = await mail.send(
      { to: 'Client <client@example.net>', cc: [OTHER], subject: 'Proposal', text: 'Here it is.' },
      { idempotencyKey: 'run-a:send' },
    );
    assert.equal(r.messageId, messageIdForKey('run-a:send', 'example.com'));
    assert.equal(r.alreadySent, false);
    assert.deepEqual(r.rejected, []);
    assert.equal(count(CLIENT, r.messageId), 1);
    assert.equal(count(OTHER, r.messageId), 1);
    assert.equal(count(OPS, r.messageId, 'Sent'), 1);
    assert.equal(count(OPS, r.messageId, OUTBOX), 0);
    const sentFlags = servers.flags(OPS, 'Sent').find(([id]) => id === r.messageId)?.[1] ?? '';
    assert.match(sentFlags, /\\Seen/);
    assert.doesNotMatch(sentFlags, /\\Draft/, 'a sent copy is not a draft');
    const delivered = servers.delivered.at(-1);
    assert.deepEqual(
      delivered?.to.sort(),
      [CLIENT, OPS, OTHER].sort(),
      'the envelope carries the self-copy to MAIL_FROM',
    );
  });

  test('the same key twice sends once (also: a crash after filing in Sent, before the journal heard)', async () => {
    const first = await mail.send({ to: CLIENT, subject: 'Once', text: 'only once' }, { idempotencyKey: 'run-b:send' });
    const again = await mail.send({ to: CLIENT, subject: 'Once', text: 'only once' }, { idempotencyKey: 'run-b:send' });
    assert.equal(again.alreadySent, true);
    assert.equal(again.messageId, first.messageId);
    assert.equal(count(CLIENT, first.messageId), 1);
    assert.equal(count(OPS, first.messageId, 'Sent'), 1);
    const other = await mail.send(
      { to: CLIENT, subject: 'Once', text: 'only once' },
      { idempotencyKey: 'run-b:send-2' },
    );
    assert.notEqual(other.messageId, first.messageId);
    assert.equal(other.alreadySent, false, 'another key is another mail');
  });

  test('crash after the Outbox copy, before SMTP: the retry finds no self-copy and sends, once', async () => {
    crashAt = 'afterOutbox';
    await assert.rejects(
      mail.send({ to: CLIENT, subject: 'Window 1', text: 'x' }, { idempotencyKey: 'run-c:send' }),
      /simulated crash afterOutbox/,
    );
    crashAt = undefined;
    const id = messageIdForKey('run-c:send', 'example.com');
    assert.equal(count(OPS, id, OUTBOX), 1, 'the Outbox holds the intent');
    assert.equal(count(CLIENT, id), 0, 'nothing left yet');
    const retry = await mail.send({ to: CLIENT, subject: 'Window 1', text: 'x' }, { idempotencyKey: 'run-c:send' });
    assert.equal(retry.alreadySent, false, 'it had never left, so the retry sent it');
    assert.equal(count(CLIENT, id), 1);
    assert.equal(count(OPS, id, 'Sent'), 1);
    assert.equal(count(OPS, id, OUTBOX), 0);
    assert.ok(logs.some((l) => l.includes('never left')));
  });

  test('crash after SMTP accepted, before filing in Sent: the retry finds the self-copy and sends nothing', async () => {
    crashAt = 'afterSmtp';
    await assert.rejects(
      mail.send({ to: CLIENT, subject: 'Window 2', text: 'y' }, { idempotencyKey: 'run-d:send' }),
      /simulated crash afterSmtp/,
    );
    crashAt = undefined;
    const id = messageIdForKey('run-d:send', 'example.com');
    assert.equal(count(CLIENT, id), 1, 'the server took it');
    assert.equal(count(OPS, id, 'Sent'), 0, 'not filed yet');
    const retry = await mail.send({ to: CLIENT, subject: 'Window 2', text: 'y' }, { idempotencyKey: 'run-d:send' });
    assert.equal(retry.alreadySent, true);
    assert.equal(count(CLIENT, id), 1, 'still exactly one delivery');
    assert.equal(count(OPS, id, 'Sent'), 1, 'filed in Sent by the retry');
    assert.equal(count(OPS, id, OUTBOX), 0);
  });

  test('a provider that files sent mail in Sent itself: the retry finds that copy and sends nothing', async () => {
    crashAt = 'afterSmtp';
    await assert.rejects(
      mail.send({ to: CLIENT, subject: 'Window 2b', text: 'y' }, { idempotencyKey: 'run-d2:send' }),
      /simulated crash/,
    );
    crashAt = undefined;
    const id = messageIdForKey('run-d2:send', 'example.com');
    // No self-copy in INBOX this time; the "provider" files its Sent copy while the retry is waiting.
    servers.doveadm(['expunge', '-u', OPS, 'mailbox', 'INBOX', 'header', 'Message-ID', id]);
    assert.equal(count(OPS, id), 0);
    const { mail: patient } = await connectorFor(servers, { confirmMs: 15_000 });
    try {
      const filed = new Promise<void>((resolve) =>
        setTimeout(
          () => (
            servers.save(OPS, 'Sent', rawMail({ From: OPS, To: CLIENT, Subject: 'Window 2b', 'Message-ID': id }, 'y')),
            resolve()
          ),
          300,
        ),
      );
      const retry = await patient.send(
        { to: CLIENT, subject: 'Window 2b', text: 'y' },
        { idempotencyKey: 'run-d2:send' },
      );
      await filed;
      assert.equal(retry.alreadySent, true);
      assert.equal(count(CLIENT, id), 1);
      assert.equal(count(OPS, id, 'Sent'), 1, "the provider's copy, not a second one");
      assert.equal(count(OPS, id, OUTBOX), 0);
    } finally {
      await patient.close();
    }
  });

  test('a retry cut short (its signal aborts while it waits for the self-copy) is taken up by the next, which sends once', async () => {
    crashAt = 'afterOutbox';
    await assert.rejects(
      mail.send({ to: CLIENT, subject: 'Window 1b', text: 'x' }, { idempotencyKey: 'run-c2:send' }),
      /simulated crash/,
    );
    crashAt = undefined;
    const id = messageIdForKey('run-c2:send', 'example.com');
    const { mail: patient } = await connectorFor(servers, { confirmMs: 30_000 });
    const err = await patient
      .send(
        { to: CLIENT, subject: 'Window 1b', text: 'x' },
        { idempotencyKey: 'run-c2:send', signal: AbortSignal.timeout(300) },
      )
      .catch((e: unknown) => e)
      .finally(() => patient.close());
    assert.ok(err instanceof MailError);
    assert.equal(err.code, 'mail_aborted');
    assert.equal(err.retryable, true);
    assert.equal(count(CLIENT, id), 0, 'a cancelled wait sends nothing');
    const retry = await mail.send({ to: CLIENT, subject: 'Window 1b', text: 'x' }, { idempotencyKey: 'run-c2:send' });
    assert.equal(retry.alreadySent, false);
    assert.equal(count(CLIENT, id), 1);
    assert.equal(count(OPS, id, OUTBOX), 0);
  });

  test('two calls with the same key at once (a retry while the first still runs): one delivery', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        mail.send({ to: CLIENT, subject: 'Concurrent', text: 'c' }, { idempotencyKey: 'run-l:send' }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.alreadySent),
      [false, true, true],
    );
    assert.equal(count(CLIENT, results[0]?.messageId ?? ''), 1);
  });

  test('a Message-ID that contains ours is not mistaken for ours (IMAP header SEARCH is a substring match)', async () => {
    const key = 'run-e:send';
    const id = messageIdForKey(key, 'example.com');
    const lookalike = id.replace('<', '<x-'); // <x-solo-…@example.com>: contains ours
    for (const folder of ['Sent', OUTBOX, 'INBOX']) {
      servers.save(
        OPS,
        folder,
        rawMail({ From: OPS, To: CLIENT, Subject: 'look-alike', 'Message-ID': lookalike }, 'not ours'),
      );
    }
    assert.equal(
      servers.messageIds(OPS, 'Sent').filter((m) => m.includes(id.slice(1, -1))).length,
      1,
      'the look-alike is there',
    );
    const r = await mail.send({ to: CLIENT, subject: 'Real one', text: 'z' }, { idempotencyKey: key });
    assert.equal(r.alreadySent, false, 'the look-alike in Sent did not count as sent');
    assert.equal(count(CLIENT, id), 1);
    assert.equal(count(OPS, lookalike, 'Sent'), 1, 'the look-alike was left alone');
    assert.equal(count(OPS, lookalike, OUTBOX), 1);
    const search = await mail.search({ folder: 'sent', messageId: id });
    assert.deepEqual(
      search.map((s) => s.messageId),
      [id],
      'search by Message-ID is exact too',
    );
  });

  test('a permanent SMTP refusal is not retryable and leaves no Outbox copy; the same key sends once later', async () => {
    servers.failData = 554;
    const err = await mail
      .send({ to: CLIENT, subject: 'Refused', text: 'r' }, { idempotencyKey: 'run-f:send' })
      .catch((e: unknown) => e);
    servers.failData = undefined;
    assert.ok(err instanceof MailError);
    assert.equal(err.code, 'mail_rejected');
    assert.equal(err.retryable, false);
    assert.match(err.userMessage, /^The SMTP server refused the mail \(554/);
    const id = messageIdForKey('run-f:send', 'example.com');
    assert.equal(count(OPS, id, OUTBOX), 0, 'a definite refusal clears the Outbox: no in-doubt wait later');
    assert.equal(count(CLIENT, id), 0);
    const later = await mail.send({ to: CLIENT, subject: 'Refused', text: 'r' }, { idempotencyKey: 'run-f:send' });
    assert.equal(later.alreadySent, false);
    assert.equal(count(CLIENT, id), 1);
  });

  test('a temporary SMTP refusal (451) is retryable and the retry sends once', async () => {
    servers.failData = 451;
    const err = await mail
      .send({ to: CLIENT, subject: 'Later', text: 'l' }, { idempotencyKey: 'run-g:send' })
      .catch((e: unknown) => e);
    servers.failData = undefined;
    assert.ok(err instanceof MailError);
    assert.equal(err.code, 'mail_deferred');
    assert.equal(err.retryable, true);
    const id = messageIdForKey('run-g:send', 'example.com');
    assert.equal(count(OPS, id, OUTBOX), 0);
    await mail.send({ to: CLIENT, subject: 'Later', text: 'l' }, { idempotencyKey: 'run-g:send' });
    assert.equal(count(CLIENT, id), 1);
  });

  test('a recipient the server refuses is reported; the others get the mail', async () => {
    const r = await mail.send(
      { to: [CLIENT, 'nobody@example.net'], subject: 'Partly', text: 'p' },
      { idempotencyKey: 'run-h:send' },
    );
    assert.deepEqual(r.rejected, ['nobody@example.net']);
    assert.equal(count(CLIENT, r.messageId), 1);
  });

  test('bad input and a cancelled signal send nothing and leave nothing behind', async () => {
    const bad = await mail
      .send({ to: 'not an address', subject: 's', text: 't' }, { idempotencyKey: 'run-i:send' })
      .catch((e: unknown) => e);
    assert.ok(bad instanceof MailError);
    assert.equal(bad.code, 'mail_bad_input');
    assert.equal(bad.retryable, false);
    assert.equal(bad.userMessage, 'The mail\'s recipient "not an address" is not an email address.');
    const controller = new AbortController();
    controller.abort();
    const aborted = await mail
      .send({ to: CLIENT, subject: 's', text: 't' }, { idempotencyKey: 'run-j:send', signal: controller.signal })
      .catch((e: unknown) => e);
    assert.ok(aborted instanceof MailError);
    assert.equal(aborted.code, 'mail_aborted');
    for (const key of ['run-i:send', 'run-j:send']) {
      const id = messageIdForKey(key, 'example.com');
      assert.equal(count(OPS, id, OUTBOX) + count(OPS, id, 'Sent') + count(CLIENT, id), 0);
    }
  });

  test('html, attachments (bytes and base64) and threading headers arrive intact', async () => {
    const original = await mail.send(
      { to: CLIENT, subject: 'Thread start', text: 'first' },
      { idempotencyKey: 'run-k:first' },
    );
    const { mail: clientMail } = await connectorFor(servers, { user: servers.users[1] as MailUser });
    try {
      const start = await clientMail.fetchSince(undefined);
      const r = await mail.send(
        {
          to: CLIENT,
          subject: 'Invoice INV-0042',
          text: 'Please find the invoice attached.',
          html: '<p>Please find the <b>invoice</b> attached.</p>',
          attachments: [
            { filename: 'INV-0042.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 fake') },
            { filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('grüße').toString('base64') },
          ],
          inReplyTo: original.messageId,
          references: [original.messageId],
        },
        { idempotencyKey: 'run-k:second' },
      );
      const got = (await clientMail.fetchSince(start.cursor)).mails.find((m) => m.messageId === r.messageId);
      assert.ok(got, 'the client reads the mail');
      assert.equal(got.subject, 'Invoice INV-0042');
      assert.equal(got.text, 'Please find the invoice attached.');
      assert.deepEqual(got.attachments, ['INV-0042.pdf', 'notes.txt']);
      assert.equal(got.inReplyTo, original.messageId);
      assert.deepEqual(got.references, [original.messageId]);
      assert.deepEqual(got.from, { name: 'Solo Ops', address: OPS });
      const notes = servers.doveadm([
        'fetch',
        '-u',
        CLIENT,
        'body',
        'mailbox',
        'INBOX',
        'header',
        'Message-ID',
        r.messageId,
      ]);
      assert.match(
        notes,
        new RegExp(Buffer.from('grüße').toString('base64').slice(0, 6)),
        'the base64 attachment was sent as its bytes',
      );
    } finally {
      await clientMail.close();
    }
  });
});
