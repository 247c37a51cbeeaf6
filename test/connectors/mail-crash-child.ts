// Child process of the mail crash test: sends MAIL_CRASH_N invoice mails with distinct step keys through the real
// connector, in order, and says on stdout where it is (so the parent can SIGKILL it inside a chosen window).
// Every run starts from the first key: finished ones come back `alreadySent`, which is the point.

import { pino } from 'pino';
import { createMailConnector } from '../../adapters/connectors/mail/index.ts';
import { loadConfig } from '../../src/config.ts';

const n = Number(process.env['MAIL_CRASH_N'] ?? 10);
const pause = Number(process.env['MAIL_CRASH_PAUSE_MS'] ?? 150);
const say = (line: string): boolean => process.stdout.write(`${line}\n`);
const hold = (): Promise<void> => new Promise((r) => setTimeout(r, pause));

const mail = await createMailConnector(loadConfig(process.env), pino({ level: 'silent' }), {
  confirmMs: Number(process.env['MAIL_CRASH_CONFIRM_MS'] ?? 800),
  timeoutMs: 5000,
  // Each hook announces the window it opens and holds it open a moment, so a kill can land inside it.
  hooks: { afterOutbox: (id) => (say(`outbox ${id}`), hold()), afterSmtp: (id) => (say(`smtp ${id}`), hold()) },
});
if (!mail) throw new Error('mail settings missing');
say('ready');
for (let i = 1; i <= n; i++) {
  const number = `INV-${String(i).padStart(4, '0')}`;
  const r = await mail.send(
    {
      to: 'Client <client@example.net>',
      subject: `Invoice ${number}`,
      text: `Hello, please find invoice ${number} attached.`,
      attachments: [
        { filename: `${number}.pdf`, contentType: 'application/pdf', content: Buffer.from(`%PDF-1.4 ${number}`) },
      ],
    },
    { idempotencyKey: `invoice-run-${i}:send` },
  );
  say(`${r.alreadySent ? 'already' : 'sent'} ${r.messageId}`);
}
await mail.close();
say('done');
