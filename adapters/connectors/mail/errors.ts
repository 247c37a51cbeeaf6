// nodemailer and imapflow failures → MailError: a stable code, whether retrying can help, and one sentence for the
// operator naming the server and the setting to check. No password ever enters a message: only the user, host and
// port from ServerSettings and the server's own reply text.

import { MailError, MailErrorCode } from '../../../src/ports/mail.ts';
import type { ServerSettings } from './settings.ts';

interface WithCodes {
  code?: unknown;
  originalCode?: unknown;
  errno?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  authenticationFailed?: unknown;
  serverResponseCode?: unknown;
  responseText?: unknown;
  responseStatus?: unknown;
  message?: unknown;
  cause?: unknown;
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  EAI_AGAIN: 'name lookup failed for now',
  NoConnection: 'connection lost',
  EConnectionClosed: 'connection closed',
  ClosedAfterConnectText: 'connection closed by the server',
  ClosedAfterConnectTLS: 'connection closed by the server',
  ECONNECTION: 'connection closed',
  ESOCKET: 'connection failed',
};
const TIMEOUTS = new Set([
  'ETIMEDOUT',
  'ETIMEOUT',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'LockTimeout',
]);
const CERT = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;
/** IMAP response codes (RFC 5530) that say "not now" rather than "not ever". */
const IMAP_TRANSIENT = new Set(['UNAVAILABLE', 'INUSE', 'LIMIT', 'SERVERBUG', 'CONTACTADMIN', 'EXPUNGEISSUED']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const clip = (s: string, n = 160): string => (s.length > n ? s.slice(0, n - 1) + '…' : s).replace(/\s+/g, ' ').trim();

/** Every code the error (or its cause) carries, nodemailer's wrapper code last. */
function codes(err: WithCodes): string[] {
  const inner = typeof err.cause === 'object' && err.cause !== null ? (err.cause as WithCodes) : {};
  return [str(err.originalCode), str(inner.code), str(err.errno), str(err.code)].filter(
    (c): c is string => c !== undefined,
  );
}

/** Failures of the connection itself, the same for SMTP and IMAP. Undefined when it is something else. */
function connectionError(err: WithCodes, server: ServerSettings): MailError | undefined {
  const where = `The ${server.kind} server at ${server.host}:${server.port}`;
  const all = codes(err);
  const detail = str(err.message) ?? all.join(' ');
  if (all.includes('ENOTFOUND')) {
    return new MailError(
      MailErrorCode.unreachable,
      `The ${server.kind} server name ${server.host} does not exist; check ${server.setting}.`,
      { cause: err, detail },
    );
  }
  const cert =
    all.find((c) => CERT.test(c)) ?? (/certificate|self[- ]signed/i.test(detail) ? 'certificate' : undefined);
  if (cert !== undefined) {
    return new MailError(
      MailErrorCode.tls,
      `${where} presented a TLS certificate Solo OS does not trust (${cert}); fix the certificate, or set MAIL_ALLOW_SELF_SIGNED=yes if it is your own self-signed one.`,
      { cause: err, detail },
    );
  }
  const handshake = all.find((c) => c.startsWith('ERR_SSL_'));
  if (handshake !== undefined) {
    return new MailError(
      MailErrorCode.tls,
      `${where} could not start TLS (${handshake}); check the scheme and port in ${server.setting} (${server.kind === 'SMTP' ? 'smtps:// is port 465, smtp:// is 587' : 'imaps:// is port 993, imap:// is 143'}).`,
      { cause: err, detail },
    );
  }
  if (/STARTTLS/i.test(detail) && /not|fail|support/i.test(detail)) {
    return new MailError(
      MailErrorCode.tls,
      `${where} does not offer STARTTLS, so Solo OS will not send the password; use ${server.kind === 'SMTP' ? 'smtps:// (port 465)' : 'imaps:// (port 993)'} in ${server.setting}.`,
      { cause: err, detail },
    );
  }
  const timeout = all.find((c) => TIMEOUTS.has(c));
  if (timeout !== undefined)
    return new MailError(MailErrorCode.timeout, `${where} did not answer in time; Solo OS will try again.`, {
      cause: err,
      detail,
      retryable: true,
    });
  const network = all.map((c) => NETWORK[c]).find((r) => r !== undefined);
  if (network !== undefined)
    return new MailError(
      MailErrorCode.unreachable,
      `${where} could not be reached (${network}); Solo OS will try again.`,
      { cause: err, detail, retryable: true },
    );
  return undefined;
}

const authFailed = (err: WithCodes, server: ServerSettings): MailError =>
  new MailError(
    MailErrorCode.auth,
    `The ${server.kind} server refused the login for ${server.user || 'the configured user'}; check ${server.setting}'s user and password.`,
    {
      cause: err,
      detail: clip(str(err.message) ?? 'authentication failed'),
    },
  );

export function smtpError(raw: unknown, server: ServerSettings): MailError {
  if (raw instanceof MailError) return raw;
  const err = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as WithCodes;
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH') return authFailed(err, server);
  if (err.code === 'EABORT')
    return new MailError(MailErrorCode.aborted, 'Sending the mail was cancelled before it left.', {
      cause: err,
      retryable: true,
    });
  const reply = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const response = clip(str(err.response) ?? str(err.message) ?? '');
  if (reply !== undefined && reply >= 500 && reply !== 503) {
    return new MailError(MailErrorCode.rejected, `The SMTP server refused the mail (${response}).`, {
      cause: err,
      detail: response,
    });
  }
  if (reply !== undefined && reply >= 400) {
    return new MailError(
      MailErrorCode.deferred,
      `The SMTP server deferred the mail (${response}); Solo OS will try again.`,
      { cause: err, detail: response, retryable: true },
    );
  }
  if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') {
    return new MailError(
      MailErrorCode.badInput,
      `The mail could not be sent as given (${clip(str(err.message) ?? '')}).`,
      { cause: err },
    );
  }
  return (
    connectionError(err, server) ??
    new MailError(
      MailErrorCode.server,
      `The SMTP server at ${server.host}:${server.port} failed (${clip(str(err.message) ?? 'unknown error')}).`,
      { cause: err },
    )
  );
}

export function imapError(raw: unknown, server: ServerSettings, doing = 'the request'): MailError {
  if (raw instanceof MailError) return raw;
  const err = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as WithCodes;
  if (err.authenticationFailed === true || err.serverResponseCode === 'AUTHENTICATIONFAILED')
    return authFailed(err, server);
  const connection = connectionError(err, server);
  if (connection) return connection;
  const responseCode = str(err.serverResponseCode);
  const text = clip(str(err.responseText) ?? str(err.message) ?? 'unknown error');
  const transient = responseCode !== undefined && IMAP_TRANSIENT.has(responseCode);
  return new MailError(
    MailErrorCode.server,
    `The IMAP server at ${server.host}:${server.port} refused ${doing} (${text})${transient ? '; Solo OS will try again' : ''}.`,
    { cause: err, detail: text, retryable: transient },
  );
}

/**
 * True when an SMTP failure proves the server did not take the message: it answered no, or we never got far
 * enough to hand it over. A timeout or a dropped connection during the transfer proves nothing.
 */
export function definitelyNotSent(raw: unknown): boolean {
  const err = (typeof raw === 'object' && raw !== null ? raw : {}) as WithCodes;
  if (typeof err.responseCode === 'number' && err.responseCode >= 400) return true;
  if (['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EDNS', 'ECONFIG', 'EABORT', 'ETLS'].includes(str(err.code) ?? '')) return true;
  return codes(err).some(
    (c) => c === 'ECONNREFUSED' || c === 'ENOTFOUND' || c === 'EHOSTUNREACH' || c === 'ENETUNREACH',
  );
}
