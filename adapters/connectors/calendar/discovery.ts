// Which calendar CALDAV_URL means: the collection itself when it is one (one PROPFIND), otherwise RFC 6764/4791
// discovery with tsdav (well-known URL → principal → calendar home → calendars), picked by CALDAV_CALENDAR.

import { createAccount, fetchCalendars, propfind } from 'tsdav';
import { CalendarError, fromStatus, type Where } from './errors.ts';

export interface DiscoveryInput {
  url: string;
  calendar: string | undefined;
  headers: Record<string, string>;
  where: Where;
  fetch: typeof globalThis.fetch;
  send: <T>(what: string, run: (fetchOptions: RequestInit) => Promise<T>) => Promise<T>;
}

const slash = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

export async function resolveCalendar(input: DiscoveryInput): Promise<string> {
  const { url, headers, where, send } = input;
  const [self] = await send('calendar lookup', (fetchOptions) =>
    propfind({
      url: slash(url),
      props: { 'd:resourcetype': {}, 'd:displayname': {} },
      depth: '0',
      headers,
      fetchOptions,
      fetch: input.fetch,
    }),
  );
  if (!self) throw fromStatus(502, where, 'calendar lookup');
  if (!self.ok) {
    if (self.status === 404) throw notFound(where, url);
    throw fromStatus(self.status, where, 'calendar lookup');
  }
  if (Object.keys((self.props?.['resourcetype'] as object | undefined) ?? {}).includes('calendar')) return slash(url);

  // Not a calendar: discover the account's calendars.
  const calendars = await send('calendar discovery', async (fetchOptions) => {
    let account;
    try {
      account = await createAccount({
        account: { serverUrl: url, accountType: 'caldav', credentials: {} },
        headers,
        fetchOptions,
        fetch: input.fetch,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : '';
      if (/401|Invalid credentials/i.test(message)) throw fromStatus(401, where, 'calendar discovery');
      if (/cannot find (principalUrl|homeUrl)/i.test(message)) {
        throw new CalendarError(
          'calendar_not_found',
          `The server at ${where.host} does not say where ${where.user}'s calendars are; set CALDAV_URL to the calendar's own URL.`,
          { cause: err },
        );
      }
      throw err;
    }
    return fetchCalendars({ account, headers, fetchOptions, fetch: input.fetch });
  });
  const events = calendars.filter((c) => !c.components || c.components.length === 0 || c.components.includes('VEVENT'));
  const name = (c: (typeof events)[number]): string =>
    typeof c.displayName === 'string' && c.displayName ? c.displayName : new URL(c.url).pathname;
  const names = events.map(name).join(', ');
  const wanted = input.calendar?.trim();
  if (wanted) {
    const lower = wanted.toLowerCase();
    const match =
      events.find((c) => name(c).toLowerCase() === lower) ??
      events.find(
        (c) =>
          slash(new URL(c.url).pathname) ===
          slash(wanted.startsWith('/') ? wanted : new URL(c.url).pathname.replace(/[^/]+\/?$/, '') + wanted),
      );
    if (!match) {
      throw new CalendarError(
        'calendar_not_found',
        `The account ${where.user} has no calendar "${wanted}"${names ? ` (it has: ${names})` : ''}; check CALDAV_CALENDAR.`,
      );
    }
    return slash(match.url);
  }
  const only = events[0];
  if (events.length === 1 && only) return slash(only.url);
  if (events.length === 0)
    throw new CalendarError(
      'calendar_not_found',
      `The account ${where.user} at ${where.host} has no calendar for events; create one, or set CALDAV_URL to one.`,
    );
  throw new CalendarError(
    'calendar_ambiguous',
    `The account ${where.user} has several calendars (${names}); set CALDAV_CALENDAR to the one Solo OS should use.`,
  );
}

function notFound(where: Where, url: string): CalendarError {
  return new CalendarError(
    'calendar_not_found',
    `There is no calendar at ${where.host}${new URL(url).pathname}; check CALDAV_URL.`,
    { status: 404 },
  );
}
