// The mail connector's failures against real servers: a refused login is a typed, non-retryable error with one
// sentence naming the setting and no password anywhere (message, detail, log); a server that is down or silent is
// retryable; self-signed TLS is refused unless MAIL_ALLOW_SELF_SIGNED=yes; and health() gives one line per state.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import { MailError } from '../../src/ports/mail.ts';
import { tempDir } from '../support/app.ts';
import {
  freePort,
  mailServerSkipReason,
  startMailServers,
  type MailServers,
  type MailUser,
} from '../support/mail-server.ts';
import { connectorFor } from './mail-harness.ts';

const skip = mailServerSkipReason();
const CLIENT = 'client@example.net';
const WRONG = 'Wr0ng-Pa55word!';

async function errorOf(p: Promise<unknown>): Promise<MailError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof MailError, `expected a MailError, got ${String(err)}`);
  return err;
}

/** Everything an error could show or log: message, sentence, stack, and the causes' messages. */
function everything(err: MailError, logs: string[]): string {
  const causes: string[] = [];
  for (let c: unknown = err.cause; c instanceof Error; c = c.cause) causes.push(c.message);
  return [err.message, err.userMessage, err.stack ?? '', ...causes, ...logs].join('\n');
}

/** A TLS front (self-signed certificate) for a plain port: imaps:// and smtps:// to the real servers. */
async function tlsFront(target: number): Promise<{ port: number; server: Server }> {
  const dir = tempDir('solo-mail-tls-');
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-days',
    '1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  assert.equal(made.status, 0, made.stderr?.toString());
  const server = createTlsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (socket) => {
      const upstream = connect(target, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

describe('mail connector: errors and health', { skip }, () => {
  let servers: MailServers;
  let ops: MailUser;
  const closers: Array<() => Promise<void> | void> = [];

  before(async () => {
    servers = await startMailServers();
    ops = servers.users[0] as MailUser;
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await servers?.stop();
  });

  test('health: one line with both servers, user, host and latency, no password', async () => {
    const { mail } = await connectorFor(servers);
    closers.push(() => mail.close());
    const health = await mail.health();
    assert.equal(health.connector, 'mail');
    assert.equal(health.state, 'ok');
    assert.match(
      health.detail,
      /^SMTP ops@example\.com at 127\.0\.0\.1:\d+: ok \(\d+ ms\); IMAP ops@example\.com at 127\.0\.0\.1:\d+: ok \(\d+ ms\)$/,
    );
    assert.ok(!health.detail.includes(ops.password));
  });

  test('a wrong IMAP password: not retryable, one sentence naming IMAP_URL, no password anywhere', async () => {
    const { mail, logs } = await connectorFor(servers, { env: { IMAP_URL: servers.url('imap', ops, WRONG) } });
    closers.push(() => mail.close());
    const err = await errorOf(mail.send({ to: CLIENT, subject: 's', text: 't' }, { idempotencyKey: 'err-a:send' }));
    assert.equal(err.code, 'mail_auth_failed');
    assert.equal(err.retryable, false);
    assert.equal(err.connector, 'mail');
    assert.equal(
      err.userMessage,
      "The IMAP server refused the login for ops@example.com; check IMAP_URL's user and password.",
    );
    const health = await mail.health();
    assert.equal(health.state, 'misconfigured');
    assert.match(health.detail, /IMAP ops@example\.com at 127\.0\.0\.1:\d+: login refused, check IMAP_URL$/);
    const all = everything(err, logs) + health.detail;
    assert.ok(!all.includes(WRONG) && !all.includes(encodeURIComponent(WRONG)), 'the password is nowhere');
    assert.equal(servers.messageIds(CLIENT).length, 0);
  });

  test('a wrong SMTP password: not retryable, names SMTP_URL, leaves no Outbox copy, sends nothing', async () => {
    const { mail, logs } = await connectorFor(servers, { env: { SMTP_URL: servers.url('smtp', ops, WRONG) } });
    closers.push(() => mail.close());
    const err = await errorOf(mail.send({ to: CLIENT, subject: 's', text: 't' }, { idempotencyKey: 'err-b:send' }));
    assert.equal(err.code, 'mail_auth_failed');
    assert.equal(err.retryable, false);
    assert.equal(
      err.userMessage,
      "The SMTP server refused the login for ops@example.com; check SMTP_URL's user and password.",
    );
    const id = messageIdForKey('err-b:send', 'example.com');
    assert.equal(servers.messageIds(ops.address, 'Solo Outbox').filter((m) => m === id).length, 0);
    const health = await mail.health();
    assert.equal(health.state, 'misconfigured');
    assert.match(health.detail, /^SMTP .*: login refused, check SMTP_URL; IMAP .*: ok \(\d+ ms\)$/);
    assert.ok(!everything(err, logs).includes(WRONG));
  });

  test('servers that are down: retryable errors and a "down" health line', async () => {
    const closed = await freePort();
    const { mail } = await connectorFor(servers, {
      env: {
        IMAP_URL: `imap://ops%40example.com:${ops.password}@127.0.0.1:${closed}`,
        SMTP_URL: `smtp://ops%40example.com:${ops.password}@127.0.0.1:${closed}`,
      },
    });
    closers.push(() => mail.close());
    const err = await errorOf(mail.send({ to: CLIENT, subject: 's', text: 't' }, { idempotencyKey: 'err-c:send' }));
    assert.equal(err.code, 'mail_unreachable');
    assert.equal(err.retryable, true);
    assert.equal(
      err.userMessage,
      `The IMAP server at 127.0.0.1:${closed} could not be reached (connection refused); Solo OS will try again.`,
    );
    const search = await errorOf(mail.search({ from: 'x' }));
    assert.equal(search.retryable, true);
    const health = await mail.health();
    assert.equal(health.state, 'down');
    assert.equal(
      health.detail,
      `SMTP ops@example.com at 127.0.0.1:${closed}: unreachable (connection refused); IMAP ops@example.com at 127.0.0.1:${closed}: unreachable (connection refused)`,
    );
  });

  test('SMTP down while IMAP is up: retryable, no Outbox copy left, and once SMTP is back the same key sends once', async () => {
    const { mail, logs } = await connectorFor(servers);
    closers.push(() => mail.close());
    await servers.stopSmtp();
    const err = await errorOf(mail.send({ to: CLIENT, subject: 'back', text: 'b' }, { idempotencyKey: 'err-d:send' }));
    await servers.startSmtp();
    assert.equal(err.code, 'mail_unreachable');
    assert.equal(err.retryable, true);
    assert.match(
      err.userMessage,
      /^The SMTP server at 127\.0\.0\.1:\d+ could not be reached \(connection (refused|failed)\); Solo OS will try again\.$/,
    );
    const id = messageIdForKey('err-d:send', 'example.com');
    assert.equal(
      servers.messageIds(ops.address, 'Solo Outbox').filter((m) => m === id).length,
      0,
      'a refused connection proves nothing left',
    );
    const r = await mail.send({ to: CLIENT, subject: 'back', text: 'b' }, { idempotencyKey: 'err-d:send' });
    assert.equal(r.alreadySent, false);
    assert.equal(servers.messageIds(CLIENT).filter((m) => m === id).length, 1);
    assert.ok(!logs.some((l) => l.includes('interrupted send')), 'no in-doubt wait was needed');
  });

  test('a server that accepts the connection but never answers: a retryable timeout, and health says so', async () => {
    const sockets: Array<import('node:net').Socket> = [];
    const silent = createServer((s) => void sockets.push(s));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    closers.push(
      () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(() => resolve()))),
    );
    const { mail } = await connectorFor(servers, {
      env: { IMAP_URL: `imap://ops%40example.com:x@127.0.0.1:${port}` },
      timeoutMs: 300,
      healthTimeoutMs: 1000,
    });
    closers.push(() => mail.close());
    const err = await errorOf(mail.search({ from: 'x' }));
    assert.equal(err.code, 'mail_timeout');
    assert.equal(err.retryable, true);
    assert.equal(
      err.userMessage,
      `The IMAP server at 127.0.0.1:${port} did not answer in time; Solo OS will try again.`,
    );
    const health = await mail.health();
    assert.equal(health.state, 'down');
    assert.match(health.detail, /IMAP ops@example\.com at 127\.0\.0\.1:\d+: no answer within 1 s$/);
  });

  test(
    'a self-signed certificate is refused unless MAIL_ALLOW_SELF_SIGNED=yes',
    { skip: existsSync('/usr/bin/openssl') ? false : 'openssl is not installed' },
    async () => {
      const imaps = await tlsFront(servers.imapPort);
      const smtps = await tlsFront(servers.smtpPort);
      closers.push(
        () => new Promise<void>((r) => imaps.server.close(() => r())),
        () => new Promise<void>((r) => smtps.server.close(() => r())),
      );
      const env = {
        IMAP_URL: `imaps://ops%40example.com:${ops.password}@127.0.0.1:${imaps.port}`,
        SMTP_URL: `smtps://ops%40example.com:${ops.password}@127.0.0.1:${smtps.port}`,
      };
      const strict = await connectorFor(servers, { env });
      closers.push(() => strict.mail.close());
      const err = await errorOf(strict.mail.search({ from: 'x' }));
      assert.equal(err.code, 'mail_tls_failed');
      assert.equal(err.retryable, false);
      assert.match(
        err.userMessage,
        /presented a TLS certificate Solo OS does not trust \(DEPTH_ZERO_SELF_SIGNED_CERT\); .*MAIL_ALLOW_SELF_SIGNED=yes/,
      );
      assert.equal((await strict.mail.health()).state, 'misconfigured');
      const relaxed = await connectorFor(servers, { env: { ...env, MAIL_ALLOW_SELF_SIGNED: 'yes' } });
      closers.push(() => relaxed.mail.close());
      assert.equal((await relaxed.mail.health()).state, 'ok');
      const r = await relaxed.mail.send(
        { to: CLIENT, subject: 'over TLS', text: 'tls' },
        { idempotencyKey: 'err-e:send' },
      );
      assert.equal(servers.messageIds(CLIENT).filter((m) => m === r.messageId).length, 1);
      const plainAsTls = await connectorFor(servers, {
        env: { IMAP_URL: `imaps://ops%40example.com:x@127.0.0.1:${servers.imapPort}` },
      });
      closers.push(() => plainAsTls.mail.close());
      const wrong = await errorOf(plainAsTls.mail.search({ from: 'x' }));
      assert.equal(wrong.code, 'mail_tls_failed');
      assert.match(
        wrong.userMessage,
        /could not start TLS \(ERR_SSL_WRONG_VERSION_NUMBER\); check the scheme and port in IMAP_URL/,
      );
    },
  );
});
