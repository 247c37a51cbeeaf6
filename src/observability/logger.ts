// pino everywhere: JSON when stdout is not a terminal, pino-pretty (in-process, no worker thread) when it is.
// Secrets are removed by pino's `redact` before anything is written.

import { pino, type Logger, type DestinationStream } from 'pino';
import type { Config } from '../config.ts';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'secret',
  '*.secret',
  'pass',
  '*.pass',
  '*.auth.pass',
  'config.WEB_TOKEN',
  'config.OPENAI_API_KEY',
  'config.MONGODB_URI',
  'config.TELEGRAM_BOT_TOKEN',
  'config.TELEGRAM_WEBHOOK_SECRET',
  'config.DISCORD_TOKEN',
  'config.SLACK_BOT_TOKEN',
  'config.SLACK_APP_TOKEN',
  'config.SLACK_SIGNING_SECRET',
  'config.STRIPE_SECRET_KEY',
  'config.STRIPE_WEBHOOK_SECRET',
  'config.CALDAV_PASSWORD',
  'config.SMTP_URL',
  'config.IMAP_URL',
];

export async function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>,
  destination?: DestinationStream,
): Promise<Logger> {
  const options = {
    level: config.LOG_LEVEL,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { app: 'solo-os' },
  };
  if (destination) return pino(options, destination);
  const pretty = config.LOG_FORMAT === 'pretty' || (config.LOG_FORMAT === 'auto' && process.stdout.isTTY === true);
  if (!pretty) return pino(options);
  // Loaded only in a terminal: keeps JSON mode's start-up and memory lean.
  const { default: prettyStream } = await import('pino-pretty');
  return pino(options, prettyStream({ colorize: true, ignore: 'pid,hostname,app', translateTime: 'HH:MM:ss' }));
}
