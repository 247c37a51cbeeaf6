// The calendar connector's factory: undefined when CALDAV_URL is not set; tsdav and ical.js are loaded only when it
// is, so an unconfigured connector costs no start-up time or memory.

import { isLoopback, type Config } from '../../../src/config.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import type { CalendarPort } from '../../../src/ports/calendar.ts';

export interface CalendarConnectorOptions {
  /** IANA zone for all-day and floating events (default: this machine's zone). */
  timeZone?: string;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

type CalendarSettings = Pick<Config, 'CALDAV_URL' | 'CALDAV_USERNAME' | 'CALDAV_PASSWORD' | 'CALDAV_CALENDAR'>;

export async function createCalendarConnector(
  config: CalendarSettings,
  logger: Logger,
  options: CalendarConnectorOptions = {},
): Promise<CalendarPort | undefined> {
  if (!config.CALDAV_URL) return undefined;
  const url = new URL(config.CALDAV_URL);
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    logger.warn(
      { connector: 'calendar', host: url.host },
      'CALDAV_URL is plain http: the password crosses the network unencrypted; use https',
    );
  }
  const { CalDavCalendar } = await import('./caldav.ts');
  return new CalDavCalendar(
    {
      url: config.CALDAV_URL,
      username: config.CALDAV_USERNAME ?? '',
      password: config.CALDAV_PASSWORD ?? '',
      calendar: config.CALDAV_CALENDAR,
      timeZone: options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    },
    logger,
  );
}
