// Real mail servers for the mail connector's tests: Dovecot (IMAP + LMTP, in the foreground, config and maildirs in a
// temp dir, random free ports on 127.0.0.1) and an SMTP server (npm smtp-server, in this process) that takes PLAIN
// logins and delivers each accepted message to Dovecot over LMTP, so a sent mail really lands in a mailbox.
// Mailboxes are checked with `doveadm`, straight from the mail store: an oracle independent of the IMAP client.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line no-restricted-imports -- test support: nodemailer is the LMTP client of the fake MTA, not product code
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';

export interface MailUser {
  address: string;
  password: string;
}

/** Why these tests cannot run here, or undefined when they can. Creates the `vmail` system user when root. */
export function mailServerSkipReason(): string | undefined {
  if (!existsSync(DOVECOT) || !existsSync('/usr/lib/dovecot/lmtp') || !existsSync('/usr/lib/dovecot/imap')) {
    return 'Dovecot is not installed (apt-get install dovecot-imapd dovecot-lmtpd)';
  }
  if (spawnSync('id', ['-u', 'vmail']).status !== 0) {
    if (process.getuid?.() !== 0)
      return 'Dovecot needs a system user "vmail" (useradd --system vmail) and the tests are not root';
    const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'vmail']);
    if (made.status !== 0) return `could not create the vmail user: ${made.stderr.toString().trim()}`;
  }
  if (process.getuid?.() !== 0) return 'Dovecot is started as root by these tests (it switches to vmail for mail)';
  return undefined;
}

/** `n` distinct free ports: held open together while they are chosen (one at a time, the OS may give one twice). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Dovecot did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Delivered {
  from: string;
  to: string[];
  size: number;
}

export class MailServers {
  readonly dir: string;
  readonly users: MailUser[];
  imapPort = 0;
  lmtpPort = 0;
  smtpPort = 0;
  /** Every message the SMTP server accepted, in order. */
  readonly delivered: Delivered[] = [];
  /** Set to make the SMTP server answer every DATA with this code (e.g. 451 or 554). */
  failData: number | undefined;
  #dovecot: ChildProcess | undefined;
  #smtp: SMTPServer | undefined;

  constructor(users: MailUser[]) {
    this.dir = mkdtempSync(join(tmpdir(), 'solo-mail-'));
    this.users = users;
  }

  get config(): string {
    return join(this.dir, 'dovecot.conf');
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'dovecot.log'), 'utf8');
    } catch {
      return '';
    }
  }

  url(scheme: 'smtp' | 'imap', user: MailUser, password = user.password): string {
    const port = scheme === 'smtp' ? this.smtpPort : this.imapPort;
    return `${scheme}://${encodeURIComponent(user.address)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  }

  async start(): Promise<this> {
    chmodSync(this.dir, 0o755);
    for (const sub of ['run', 'state', 'mail']) mkdirSync(join(this.dir, sub));
    const vmail = spawnSync('id', ['-u', 'vmail']).stdout.toString().trim();
    const vgid = spawnSync('id', ['-g', 'vmail']).stdout.toString().trim();
    chownSync(join(this.dir, 'mail'), Number(vmail), Number(vgid));
    writeFileSync(join(this.dir, 'users'), this.users.map((u) => `${u.address}:{PLAIN}${u.password}::::::\n`).join(''));
    const [imap, lmtp, smtp] = await freePorts(3);
    [this.imapPort, this.lmtpPort, this.smtpPort] = [imap ?? 0, lmtp ?? 0, smtp ?? 0];
    writeFileSync(this.config, dovecotConfig(this.dir, this.imapPort, this.lmtpPort));
    const child = spawn(DOVECOT, ['-F', '-c', this.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    this.#dovecot = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`dovecot exited with ${code}: ${stderr}\n${this.log()}`))),
    );
    await Promise.race([
      Promise.all([
        waitForPort(this.imapPort, 10_000, () => this.log()),
        waitForPort(this.lmtpPort, 10_000, () => this.log()),
      ]),
      exited,
    ]);
    exited.catch(() => undefined);
    await this.startSmtp();
    return this;
  }

  /** The SMTP server (again, after stopSmtp), on the same port. */
  async startSmtp(): Promise<void> {
    const users = new Map(this.users.map((u) => [u.address, u.password]));
    const lmtp = createTransport({ lmtp: true, host: '127.0.0.1', port: this.lmtpPort, logger: false } as Parameters<
      typeof createTransport
    >[0]);
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      logger: false,
      size: 20 * 1024 * 1024,
      onAuth: (auth, _session, callback) => {
        if (auth.username !== undefined && users.get(auth.username) === auth.password)
          callback(null, { user: auth.username });
        else callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, callback) => {
        if (users.has(address.address.toLowerCase())) callback();
        else callback(Object.assign(new Error(`No such user here: ${address.address}`), { responseCode: 550 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.failData !== undefined) {
            callback(
              Object.assign(new Error(this.failData >= 500 ? 'Message refused by policy' : 'Try again later'), {
                responseCode: this.failData,
              }),
            );
            return;
          }
          const raw = Buffer.concat(chunks);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          // Delivered before the 250 goes back, as an MTA that delivers locally at once would.
          lmtp.sendMail({ envelope: { from, to }, raw }).then(
            () => {
              this.delivered.push({ from, to, size: raw.length });
              callback();
            },
            (err: unknown) =>
              callback(Object.assign(new Error(`LMTP delivery failed: ${String(err)}`), { responseCode: 451 })),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.smtpPort, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.#smtp = server;
  }

  async stopSmtp(): Promise<void> {
    const server = this.#smtp;
    this.#smtp = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Delivers a raw message straight into the users' INBOXes over LMTP (mail "from outside"). */
  async deliver(raw: string | Buffer, to: string[], from = 'outside@example.org'): Promise<void> {
    const lmtp = createTransport({ lmtp: true, host: '127.0.0.1', port: this.lmtpPort, logger: false } as Parameters<
      typeof createTransport
    >[0]);
    await lmtp.sendMail({ envelope: { from, to }, raw });
    lmtp.close();
  }

  /** Message-IDs in a user's folder, read from the mail store by doveadm (one per message, duplicates kept). */
  messageIds(user: string, folder = 'INBOX'): string[] {
    const out = this.doveadm(['fetch', '-u', user, 'hdr.message-id', 'mailbox', folder, 'ALL']);
    return [...out.matchAll(/^hdr\.message-id:\s*(.*)$/gim)].map((m) => (m[1] ?? '').trim());
  }

  /** Flags of each message in a folder: [message-id, flags]. */
  flags(user: string, folder = 'INBOX'): Array<[string, string]> {
    const out = this.doveadm(['-f', 'tab', 'fetch', '-u', user, 'hdr.message-id flags', 'mailbox', folder, 'ALL']);
    return out
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [id, flags] = l.split('\t');
        return [(id ?? '').trim(), (flags ?? '').trim()];
      });
  }

  /** Puts a raw message straight into a folder (no delivery), e.g. to plant a look-alike in Sent. */
  save(user: string, folder: string, raw: string): void {
    this.doveadm(['save', '-u', user, '-m', folder], raw);
  }

  doveadm(args: string[], input?: string): string {
    const r = spawnSync(DOVEADM, ['-c', this.config, ...args], {
      encoding: 'utf8',
      ...(input === undefined ? {} : { input }),
    });
    if (r.status !== 0) throw new Error(`doveadm ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  async stop(): Promise<void> {
    await this.stopSmtp();
    const child = this.#dovecot;
    this.#dovecot = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function dovecotConfig(dir: string, imapPort: number, lmtpPort: number): string {
  return `# Written by test/support/mail-server.ts
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests log in with wrong passwords on purpose: no delay after a failure, and no growing per-IP penalty (the auth
# process finds no anvil penalty socket under its usual name, which turns the penalty off).
auth_failure_delay = 0
mail_location = maildir:${dir}/mail/%d/%n
mail_uid = vmail
mail_gid = vmail
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=${dir}/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
  unix_listener lmtp {
    mode = 0600
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    path = anvil-auth-penalty-off
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.com
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}
`;
}

/** Starts Dovecot + SMTP with an operator mailbox and two client mailboxes. */
export async function startMailServers(): Promise<MailServers> {
  return new MailServers([
    { address: 'ops@example.com', password: 'ops-secret-pw-1' },
    { address: 'client@example.net', password: 'client-pw-2' },
    { address: 'other@example.net', password: 'other-pw-3' },
  ]).start();
}
