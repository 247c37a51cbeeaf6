// A real Radicale 3 CalDAV server for tests and benches: Debian's package, started on 127.0.0.1 with a free port,
// plain htpasswd users, owner-only rights and storage in a temp dir. `radicaleMissing` says why tests must skip.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './app.ts';

const PYTHON = '/usr/bin/python3';

function probe(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing (Radicale runs on Debian's python3)`;
  if (!existsSync('/usr/lib/python3/dist-packages/radicale'))
    return 'Radicale is not installed (apt-get install radicale)';
  return undefined;
}

/** Why Radicale tests cannot run on this machine, or undefined when they can. */
export const radicaleMissing: string | undefined = probe();

export interface Radicale {
  /** Server root, e.g. http://127.0.0.1:5232/ */
  url: string;
  port: number;
  dir: string;
  /** The calendar collection made for `user` by `makeCalendarFor`, with a trailing slash. */
  calendarUrl(user: string, name?: string): string;
  stop(): Promise<void>;
  /** Stops the server but keeps its storage; `start()` brings it back on the same port. */
  pause(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Radicale with the given users (name → plain password). Resolves once it answers HTTP. */
export async function startRadicale(users: Record<string, string> = { ops: 'ops-secret-pw' }): Promise<Radicale> {
  if (radicaleMissing) throw new Error(radicaleMissing);
  const dir = tempDir('solo-radicale-');
  const port = await freePort();
  writeFileSync(
    join(dir, 'users'),
    Object.entries(users)
      .map(([u, p]) => `${u}:${p}`)
      .join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'config'),
    [
      '[server]',
      `hosts = 127.0.0.1:${port}`,
      '[auth]',
      'type = htpasswd',
      `htpasswd_filename = ${join(dir, 'users')}`,
      'htpasswd_encryption = plain',
      'delay = 0',
      '[rights]',
      'type = owner_only',
      '[storage]',
      `filesystem_folder = ${join(dir, 'collections')}`,
      '[web]',
      'type = none',
      '[logging]',
      'level = error',
      'mask_passwords = True',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(PYTHON, ['-m', 'radicale', '--config', join(dir, 'config')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child = proc;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`Radicale exited with ${proc.exitCode}:\n${output}`);
      try {
        await fetch(url, { method: 'OPTIONS', signal: AbortSignal.timeout(1000) });
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`Radicale did not answer within 15 s:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const pause = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    url,
    port,
    dir,
    calendarUrl: (user, name = 'work') => `${url}${user}/${name}/`,
    pause,
    start,
    stop: async () => {
      await pause();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Makes the calendar collection /<user>/<name>/ with MKCALENDAR (the principal collection first, as clients do). */
export async function makeCalendarFor(
  server: Radicale,
  user: string,
  password: string,
  name = 'work',
  displayName = 'Work',
): Promise<string> {
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  // Radicale creates the principal collection on the owner's first authenticated request.
  await fetch(`${server.url}${user}/`, { method: 'PROPFIND', headers: { authorization: auth, depth: '0' } });
  const body =
    '<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">' +
    `<D:set><D:prop><D:displayname>${displayName}</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`;
  const res = await fetch(server.calendarUrl(user, name), {
    method: 'MKCALENDAR',
    headers: { authorization: auth, 'content-type': 'application/xml' },
    body,
  });
  if (res.status !== 201) throw new Error(`MKCALENDAR ${name} answered ${res.status}: ${await res.text()}`);
  return server.calendarUrl(user, name);
}
