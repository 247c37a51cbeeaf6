// `<DATA_DIR>/solo.pid` while Solo OS runs: which process has the store open, and where its web chat answers. The
// maintenance commands (restore, migrate) read it to refuse working under a running bot. A process killed with
// kill -9 leaves the file behind; a file whose process is gone is ignored.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PID_FILE = 'solo.pid';

export interface Instance {
  pid: number;
  url: string;
  startedAt: string;
}

/** Writes the pid file; the returned function removes it (only if it is still this process's). */
export async function claimInstance(dataDir: string, url: string): Promise<() => Promise<void>> {
  const file = join(dataDir, PID_FILE);
  await mkdir(dataDir, { recursive: true });
  const mine: Instance = { pid: process.pid, url, startedAt: new Date().toISOString() };
  await writeFile(file, `${JSON.stringify(mine)}\n`, { mode: 0o644 });
  return async () => {
    if ((await readInstance(file))?.pid === process.pid) await rm(file, { force: true });
  };
}

async function readInstance(file: string): Promise<Instance | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Instance>;
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, url: String(parsed.url ?? ''), startedAt: String(parsed.startedAt ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The Solo OS process that has this data folder open, if one does. */
export async function runningInstance(dataDir: string): Promise<Instance | undefined> {
  const instance = await readInstance(join(dataDir, PID_FILE));
  return instance && instance.pid !== process.pid && alive(instance.pid) ? instance : undefined;
}

/** Whether a Solo OS web chat answers at this address (a bot with another data folder, on the same store). */
export async function answersHealth(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: unknown };
    return typeof body.status === 'string';
  } catch {
    return false;
  }
}
