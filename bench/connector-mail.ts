// The mail connector's overhead over the raw clients, against the same local servers the tests use (Dovecot for
// IMAP and LMTP, an in-process smtp-server relaying into it). Send rows, all with the same message (a 20 KB PDF):
//   raw nodemailer                   SMTP only: the floor, and no copy in Sent at all;
//   raw + APPEND to Sent             what any client that keeps a Sent copy pays (and can send twice after a crash);
//   raw, the connector's protocol    the same IMAP/SMTP steps the connector takes (Sent SEARCH, Outbox STATUS,
//                                    APPEND, SMTP with the self-copy, MOVE), done with the raw clients: the cost
//                                    of the exactly-once design itself;
//   connector                        connector.send: the design plus our code (exact compare, NOOP syncs, compose).
// Search: raw imapflow SEARCH HEADER Message-ID + FETCH (on a connection that keeps Sent selected) against
// connector.search, on a Sent folder of SENT_SIZE messages and growing.
// Variants are interleaved call by call so machine noise falls on all alike. Figures are printed, never asserted.

import { Writable } from 'node:stream';
// eslint-disable-next-line no-restricted-imports -- the bench's baseline is the raw SDK
import { ImapFlow } from 'imapflow';
// eslint-disable-next-line no-restricted-imports -- the bench's baseline is the raw SDK
import { createTransport } from 'nodemailer';
// eslint-disable-next-line no-restricted-imports -- the bench's baseline is the raw SDK
import MailComposer from 'nodemailer/lib/mail-composer';
import { pino } from 'pino';
import { createMailConnector } from '../adapters/connectors/mail/index.ts';
import { loadConfig } from '../src/config.ts';
import { messageIdForKey } from '../src/mail/message-id.ts';
import { mailServerSkipReason, startMailServers, type MailUser } from '../test/support/mail-server.ts';
import { line, percentile, summary } from './stats.ts';

const N = Number(process.env['BENCH_N'] ?? 150);
const WARMUP = 20;
const SENT_SIZE = Number(process.env['BENCH_SENT_SIZE'] ?? 1000);

const skip = mailServerSkipReason();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

const servers = await startMailServers();
const ops = servers.users[0] as MailUser;
const config = loadConfig({
  SMTP_URL: servers.url('smtp', ops),
  IMAP_URL: servers.url('imap', ops),
  MAIL_FROM: `Solo Ops <${ops.address}>`,
});
const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
const mail = await createMailConnector(config, silent);
if (!mail) throw new Error('mail connector not configured');
const smtp = createTransport({
  pool: true,
  maxConnections: 2,
  host: '127.0.0.1',
  port: servers.smtpPort,
  secure: false,
  auth: { user: ops.address, pass: ops.password },
  logger: false,
});
const imap = new ImapFlow({
  host: '127.0.0.1',
  port: servers.imapPort,
  secure: false,
  auth: { user: ops.address, pass: ops.password },
  logger: false,
  disableAutoIdle: true,
});
await imap.connect();
// The raw search row gets a connection of its own that keeps Sent selected: SEARCH + FETCH and nothing else.
const searcher = new ImapFlow({
  host: '127.0.0.1',
  port: servers.imapPort,
  secure: false,
  auth: { user: ops.address, pass: ops.password },
  logger: false,
  disableAutoIdle: true,
});
await searcher.connect();

const body = { subject: 'Invoice INV-0042', text: 'Hello, please find invoice INV-0042 attached.\n\nBest, Solo Ops' };
const attachment = { filename: 'INV-0042.pdf', contentType: 'application/pdf', content: Buffer.alloc(20_000, 7) };
let seq = 0;
const composed = (id: string): Promise<Buffer> =>
  new MailComposer({
    from: { name: 'Solo Ops', address: ops.address },
    to: 'client@example.net',
    ...body,
    messageId: id,
    attachments: [attachment],
  })
    .compile()
    .build();
const raw = (id: string): string =>
  [
    `From: Solo Ops <${ops.address}>`,
    'To: client@example.net',
    `Subject: ${body.subject}`,
    `Message-ID: ${id}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body.text,
    '',
  ].join('\r\n');

// Sent grows with every send; fill it first so the search rows see a realistic folder.
await mail.search({ folder: 'sent', limit: 1 }); // creates the folders
for (let i = 0; i < SENT_SIZE; i++) await imap.append('Sent', raw(`<filler-${i}@example.com>`), ['\\Seen']);
const probeId = messageIdForKey('bench-probe', 'example.com');
await mail.send({ to: 'client@example.net', ...body }, { idempotencyKey: 'bench-probe' });

const variants: Array<[string, () => Promise<unknown>]> = [
  [
    'send: raw nodemailer (floor)',
    () => smtp.sendMail({ from: ops.address, to: 'client@example.net', ...body, attachments: [attachment] }),
  ],
  [
    'send: raw nodemailer + APPEND to Sent',
    async () => {
      const bytes = await composed(`<raw-${++seq}@example.com>`);
      await smtp.sendMail({ envelope: { from: ops.address, to: ['client@example.net'] }, raw: bytes });
      await imap.append('Sent', bytes, ['\\Seen']);
    },
  ],
  [
    "send: raw, the connector's protocol",
    async () => {
      const id = `<proto-${++seq}@example.com>`;
      const bytes = await composed(id);
      let lock = await imap.getMailboxLock('Sent');
      try {
        await imap.search({ header: { 'message-id': id.slice(1, -1) } }, { uid: true });
      } finally {
        lock.release();
      }
      await imap.status('Solo Outbox', { messages: true });
      const appended = await imap.append('Solo Outbox', bytes, ['\\Seen']);
      await smtp.sendMail({ envelope: { from: ops.address, to: ['client@example.net', ops.address] }, raw: bytes });
      lock = await imap.getMailboxLock('Solo Outbox');
      try {
        await imap.messageMove(String(appended && appended.uid), 'Sent', { uid: true });
      } finally {
        lock.release();
      }
    },
  ],
  [
    'send: connector (new key)',
    () =>
      mail.send({ to: 'client@example.net', ...body, attachments: [attachment] }, { idempotencyKey: `bench-${++seq}` }),
  ],
  [
    'send: connector (key already sent)',
    () => mail.send({ to: 'client@example.net', ...body }, { idempotencyKey: 'bench-probe' }),
  ],
  [
    'search: raw imapflow HEADER + FETCH',
    async () => {
      const lock = await searcher.getMailboxLock('Sent');
      try {
        const uids = (await searcher.search({ header: { 'message-id': probeId.slice(1, -1) } }, { uid: true })) || [];
        await searcher.fetchAll(uids.join(','), { uid: true, envelope: true }, { uid: true });
      } finally {
        lock.release();
      }
    },
  ],
  ['search: connector by Message-ID', () => mail.search({ folder: 'sent', messageId: probeId })],
];
const times = new Map<string, number[]>(variants.map(([label]) => [label, []]));
for (let i = 0; i < WARMUP + N; i++) {
  for (const [label, run] of variants) {
    const t = performance.now();
    await run();
    if (i >= WARMUP) times.get(label)?.push(performance.now() - t);
  }
}

console.log(`Sent folder: ${SENT_SIZE} messages before the run, ${SENT_SIZE + (WARMUP + N) * 3 + 1} after`);
for (const [label, values] of times) line(label, summary(values, 'ms', 2));
const sorted = (label: string) => [...(times.get(label) ?? [])].sort((a, b) => a - b);
const diff = (a: string, b: string, p: number) => (percentile(sorted(a), p) - percentile(sorted(b), p)).toFixed(2);
console.log('');
line(
  'connector send over raw nodemailer',
  `p50 +${diff('send: connector (new key)', 'send: raw nodemailer (floor)', 50)} ms  p99 +${diff('send: connector (new key)', 'send: raw nodemailer (floor)', 99)} ms`,
);
line(
  'connector send over raw + APPEND',
  `p50 +${diff('send: connector (new key)', 'send: raw nodemailer + APPEND to Sent', 50)} ms  p99 +${diff('send: connector (new key)', 'send: raw nodemailer + APPEND to Sent', 99)} ms`,
);
line(
  "  of which the design's protocol",
  `p50 +${diff("send: raw, the connector's protocol", 'send: raw nodemailer + APPEND to Sent', 50)} ms  p99 +${diff("send: raw, the connector's protocol", 'send: raw nodemailer + APPEND to Sent', 99)} ms`,
);
line(
  'connector send over its raw protocol',
  `p50 +${diff('send: connector (new key)', "send: raw, the connector's protocol", 50)} ms  p99 +${diff('send: connector (new key)', "send: raw, the connector's protocol", 99)} ms`,
);
line(
  'connector search over raw imapflow',
  `p50 +${diff('search: connector by Message-ID', 'search: raw imapflow HEADER + FETCH', 50)} ms  p99 +${diff('search: connector by Message-ID', 'search: raw imapflow HEADER + FETCH', 99)} ms`,
);
line('RSS', `${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);

smtp.close();
await imap.logout();
await searcher.logout();
await mail.close();
await servers.stop();
