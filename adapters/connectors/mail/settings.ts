// SMTP_URL / IMAP_URL → what nodemailer and imapflow need, plus a display form without the password.
// smtps:// and imaps:// are TLS from the start; smtp:// and imap:// upgrade with STARTTLS, which is required
// unless the host is loopback (a local test server may offer no TLS at all).

import { isLoopback } from '../../../src/config.ts';

export interface ServerSettings {
  kind: 'SMTP' | 'IMAP';
  /** The setting it came from, named in error messages. */
  setting: 'SMTP_URL' | 'IMAP_URL';
  host: string;
  port: number;
  /** TLS from the first byte. */
  secure: boolean;
  /** Without `secure`: must the connection upgrade with STARTTLS before logging in? */
  requireStartTls: boolean;
  user: string;
  pass: string;
  /** `ops@example.com at mail.example.com:465`: no password. */
  display: string;
}

const DEFAULT_PORTS = { smtp: 587, smtps: 465, imap: 143, imaps: 993 } as const;

export function parseServerUrl(value: string, kind: 'SMTP' | 'IMAP'): ServerSettings {
  const url = new URL(value);
  const scheme = url.protocol.slice(0, -1) as keyof typeof DEFAULT_PORTS;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  const secure = scheme.endsWith('s');
  const user = decodeURIComponent(url.username);
  return {
    kind,
    setting: kind === 'SMTP' ? 'SMTP_URL' : 'IMAP_URL',
    host,
    port,
    secure,
    requireStartTls: !secure && !isLoopback(host),
    user,
    pass: decodeURIComponent(url.password),
    display: `${user ? `${user} at ` : ''}${url.hostname}:${port}`,
  };
}
