// Shared by the mail connector tests: real servers (test/support/mail-server.ts), a connector built from settings
// the way the app builds it, and a log that records every line (to prove no password reaches it).

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createMailConnector, type MailFactoryOptions } from '../../adapters/connectors/mail/index.ts';
import { loadConfig } from '../../src/config.ts';
import { REDACT_PATHS } from '../../src/observability/logger.ts';
import type { MailPort } from '../../src/ports/mail.ts';
import type { MailServers, MailUser } from '../support/mail-server.ts';

export interface Built {
  mail: MailPort;
  logs: string[];
}

export async function connectorFor(
  servers: MailServers,
  options: MailFactoryOptions & { user?: MailUser; env?: Record<string, string> } = {},
): Promise<Built> {
  const { user: chosen, env = {}, ...factory } = options;
  const user = chosen ?? servers.users[0];
  if (!user) throw new Error('no mail user');
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }),
  );
  const config = loadConfig({
    SMTP_URL: servers.url('smtp', user),
    IMAP_URL: servers.url('imap', user),
    MAIL_FROM: `Solo Ops <${user.address}>`,
    ...env,
  });
  const mail = await createMailConnector(config, logger, { confirmMs: 1500, timeoutMs: 5000, ...factory });
  if (!mail) throw new Error('the mail connector was not created');
  return { mail, logs };
}

/** A message as it arrives from outside, CRLF line ends. */
export function rawMail(headers: Record<string, string>, body: string): string {
  const lines = Object.entries({
    Date: new Date().toUTCString(),
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}
