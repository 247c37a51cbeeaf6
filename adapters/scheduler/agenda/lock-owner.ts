// Who holds a job lock: `host:pid:nonce` of the process. A lock whose process is gone (same host, no such pid, or
// this pid with another nonce: an earlier life of a restarted container) is treated as expired at once, so a job
// locked just before a kill -9 fires on time after the restart instead of waiting out its lock lifetime.

import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** The host and, on Linux, the PID namespace: a pid means the same process only within both. */
const HOST = `${hostname()}${pidNamespace()}`;
function pidNamespace(): string {
  try {
    return `/${readlinkSync('/proc/self/ns/pid').replace(/\D/g, '')}`;
  } catch {
    return '';
  }
}
/** One nonce per process: every backend in this process shares it, so they never see each other's locks as dead. */
export const LOCK_OWNER = `${HOST}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** True when `owner` certainly names a process that no longer exists; an owner on another host is never dead. */
export function isDeadOwner(owner: string): boolean {
  const match = /^(.*):(\d+):([0-9a-f]+)$/.exec(owner);
  if (!match || match[1] !== HOST) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return owner !== LOCK_OWNER;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
