// The calendar connector's typed errors: a stable code, whether a later retry can help, and one sentence for the
// operator naming the server and the setting to check. Credentials never appear: we build every sentence ourselves.

import { ConnectorError } from '../../../src/ports/connector.ts';

export const CALENDAR_ERROR_CODES = [
  'calendar_auth',
  'calendar_forbidden',
  'calendar_not_found',
  'calendar_ambiguous',
  'calendar_unreachable',
  'calendar_timeout',
  'calendar_rate_limited',
  'calendar_server_error',
  'calendar_conflict',
  'calendar_event_not_found',
  'calendar_rejected',
  'calendar_bad_input',
] as const;

export type CalendarErrorCode = (typeof CALENDAR_ERROR_CODES)[number];

export class CalendarError extends ConnectorError {
  declare readonly code: CalendarErrorCode;
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** How long the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: CalendarErrorCode,
    userMessage: string,
    options: { cause?: unknown; retryable?: boolean; detail?: string; status?: number; retryAfterMs?: number } = {},
  ) {
    const { status, retryAfterMs, ...rest } = options;
    super('calendar', code, userMessage, { ...rest, detail: `${code}: ${options.detail ?? userMessage}` });
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Where the connector talks to, for sentences: "ops at cal.example.com". */
export interface Where {
  user: string;
  host: string;
  /** The calendar's path, once known. */
  path?: string;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return code;
  }
  return undefined;
}

/** Retry-After as milliseconds: seconds or an HTTP date. */
function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An HTTP answer that is not what the operation needed. `what` says what we were doing, for the log. */
export function fromStatus(
  status: number,
  where: Where,
  what: string,
  headers?: { get(name: string): string | null },
  body = '',
): CalendarError {
  const detail = `${what}: HTTP ${status}${body ? ` ${body.slice(0, 300).replace(/\s+/g, ' ')}` : ''}`;
  const place = `${where.host}${where.path ?? ''}`;
  if (status === 401) {
    return new CalendarError(
      'calendar_auth',
      `The calendar server at ${where.host} refused the login for ${where.user}; check CALDAV_USERNAME and CALDAV_PASSWORD.`,
      { status, detail },
    );
  }
  if (status === 403) {
    return new CalendarError(
      'calendar_forbidden',
      `The calendar server does not let ${where.user} use ${place}; check that CALDAV_URL (or CALDAV_CALENDAR) names one of that account's calendars.`,
      { status, detail },
    );
  }
  if (status === 429) {
    const wait = retryAfterMs(headers?.get('retry-after') ?? null);
    return new CalendarError(
      'calendar_rate_limited',
      `The calendar server at ${where.host} asked us to slow down; the call will be tried again${wait === undefined ? '' : ` in ${Math.ceil(wait / 1000)} s`}.`,
      {
        status,
        detail,
        retryable: true,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      },
    );
  }
  if (status >= 500 || status === 408) {
    const wait = retryAfterMs(headers?.get('retry-after') ?? null);
    return new CalendarError(
      'calendar_server_error',
      `The calendar server at ${where.host} failed (HTTP ${status}); the call will be tried again.`,
      {
        status,
        detail,
        retryable: true,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      },
    );
  }
  return new CalendarError(
    'calendar_rejected',
    `The calendar server at ${where.host} rejected the ${what} (HTTP ${status}); the log has its answer.`,
    { status, detail },
  );
}

/** A failure before any HTTP answer: refused or reset connections and timeouts are transient. */
export function fromFailure(err: unknown, where: Where, what: string, timeoutMs: number): CalendarError {
  if (err instanceof CalendarError) return err;
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError') {
    return new CalendarError(
      'calendar_timeout',
      `The calendar server at ${where.host} did not answer within ${Math.round(timeoutMs / 1000)} s; the call will be tried again.`,
      {
        cause: err,
        retryable: true,
        detail: `${what}: no answer within ${timeoutMs} ms`,
      },
    );
  }
  const code = networkCode(err);
  if (code) {
    return new CalendarError(
      'calendar_unreachable',
      `The calendar server at ${where.host} cannot be reached (${code}); the call will be tried again.`,
      {
        cause: err,
        retryable: true,
        detail: `${what}: ${code}`,
      },
    );
  }
  // fetch's own "fetch failed" without a known code, or a bug: report it, do not promise a retry will help.
  const message = (err instanceof Error ? err.message : String(err)).replace(/\/\/[^/\s:@]+:[^@\s]*@/g, '//***@');
  return new CalendarError(
    'calendar_unreachable',
    `The calendar server at ${where.host} could not be used (${message.slice(0, 120)}).`,
    { cause: err, detail: `${what}: ${message}` },
  );
}

export const badInput = (sentence: string): CalendarError => new CalendarError('calendar_bad_input', sentence);
