// Helpers for the calendar connector tests: a logger whose output the test can read, and "another app" that talks
// plain HTTP/WebDAV to the same Radicale (to count events and to change them behind the connector's back).

import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export interface CapturedLog {
  logger: Logger;
  text: () => string;
}

/** A JSON logger at debug level writing into memory. */
export async function captureLog(): Promise<CapturedLog> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  const logger = await createLogger({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }, sink);
  return { logger, text: () => out };
}

/** Another CalDAV client with its own credentials: raw requests, as a phone or a web calendar would send them. */
export class OtherApp {
  readonly calendarUrl: string;
  private readonly auth: string;
  constructor(calendarUrl: string, user: string, password: string) {
    this.calendarUrl = calendarUrl;
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  /** Names of the object resources in the calendar (PROPFIND depth 1). */
  async resources(): Promise<string[]> {
    const res = await fetch(this.calendarUrl, {
      method: 'PROPFIND',
      headers: { authorization: this.auth, depth: '1', 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
    });
    const xml = await res.text();
    const path = new URL(this.calendarUrl).pathname;
    return [...xml.matchAll(/<(?:\w+:)?href>([^<]+)<\/(?:\w+:)?href>/g)]
      .map((m) => decodeURIComponent(m[1] ?? ''))
      .filter((h) => h !== path && h.startsWith(path))
      .map((h) => h.slice(path.length));
  }

  async get(name: string): Promise<{ status: number; etag: string | null; ics: string }> {
    const res = await fetch(new URL(name, this.calendarUrl), { headers: { authorization: this.auth } });
    return { status: res.status, etag: res.headers.get('etag'), ics: await res.text() };
  }

  async put(name: string, ics: string, headers: Record<string, string> = {}): Promise<number> {
    const res = await fetch(new URL(name, this.calendarUrl), {
      method: 'PUT',
      headers: { authorization: this.auth, 'content-type': 'text/calendar; charset=utf-8', ...headers },
      body: ics,
    });
    await res.text();
    return res.status;
  }

  /** Changes an event the way another app would: read, edit the text, write back with If-Match. */
  async edit(name: string, change: (ics: string) => string): Promise<void> {
    const { etag, ics } = await this.get(name);
    const status = await this.put(name, change(ics), etag ? { 'if-match': etag } : {});
    if (status >= 300) throw new Error(`the other app's edit of ${name} answered ${status}`);
  }
}

/** A VCALENDAR with the given VEVENT lines (CRLF, DTSTAMP added). */
export function vcalendar(...vevents: string[][]): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Other App//Test//EN'];
  for (const v of vevents) lines.push('BEGIN:VEVENT', 'DTSTAMP:20260101T000000Z', ...v, 'END:VEVENT');
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}

export const BERLIN_VTIMEZONE = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];
