// The mail connector's factory: undefined unless SMTP_URL, IMAP_URL and MAIL_FROM are all set. The SDKs
// (nodemailer, imapflow, mailparser) are imported only when the connector is first used.

import { mailConfigured, type Config } from '../../../src/config.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import type { MailPort } from '../../../src/ports/mail.ts';
import type { SendHooks } from './send.ts';
import { parseServerUrl } from './settings.ts';

export interface MailFactoryOptions {
  /** See MailConnectorOptions: for tests and benches. */
  timeoutMs?: number;
  confirmMs?: number;
  healthTimeoutMs?: number;
  hooks?: SendHooks;
}

export async function createMailConnector(
  config: Pick<Config, 'SMTP_URL' | 'IMAP_URL' | 'MAIL_FROM' | 'MAIL_SENT_FOLDER' | 'MAIL_ALLOW_SELF_SIGNED'>,
  logger: Logger,
  options: MailFactoryOptions = {},
): Promise<MailPort | undefined> {
  if (!mailConfigured(config as Config) || !config.SMTP_URL || !config.IMAP_URL || !config.MAIL_FROM) return undefined;
  const { MailConnector } = await import('./connector.ts');
  return new MailConnector({
    smtp: parseServerUrl(config.SMTP_URL, 'SMTP'),
    imap: parseServerUrl(config.IMAP_URL, 'IMAP'),
    from: config.MAIL_FROM,
    ...(config.MAIL_SENT_FOLDER === undefined ? {} : { sentFolder: config.MAIL_SENT_FOLDER }),
    allowSelfSigned: config.MAIL_ALLOW_SELF_SIGNED === 'yes',
    logger: logger.child({ connector: 'mail' }),
    ...options,
  });
}
