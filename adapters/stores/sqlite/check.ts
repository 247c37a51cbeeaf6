// The rest of the start-up check, for a store too large to check whole before starting: SQLite's quick check of
// every page, in a child process at low priority, after the bot is up. The bot's own thread never waits for it,
// and its memory is the child's, given back when it ends.

import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';

// Plain JavaScript, run with `node -e`: opens the file read-only (beside the bot's connection; WAL lets both read).
const CHILD = `
const { DatabaseSync } = require('node:sqlite');
let out;
try {
  const db = new DatabaseSync(process.argv[1], { readOnly: true });
  out = { problems: db.prepare('PRAGMA quick_check(3)').all().map((r) => r.quick_check) };
  db.close();
} catch (err) {
  out = { error: String(err && err.message || err) };
}
process.stdout.write(JSON.stringify(out));
`;

export interface BackgroundCheck {
  /** Undefined when the store is sound; otherwise what SQLite found, in a phrase. */
  result: Promise<string | undefined>;
  stop(): void;
}

export function checkInBackground(file: string): BackgroundCheck {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD, file], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    if (child.pid !== undefined) setPriority(child.pid, 10);
  } catch {
    // Not allowed to lower it: it runs at normal priority, on the other core when there is one.
  }
  // Kept referenced: whoever awaits the result waits for it; store.close() ends the check (stop()).
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const result = new Promise<string | undefined>((resolve) => {
    // A check that could not run says nothing about the store.
    child.once('error', () => resolve(undefined));
    child.once('close', (code, signal) => {
      if (signal) return resolve(undefined);
      try {
        const parsed = JSON.parse(out) as { problems?: string[]; error?: string };
        if (parsed.error !== undefined) return resolve(parsed.error);
        const problems = parsed.problems ?? [];
        resolve(
          problems.length === 1 && problems[0] === 'ok'
            ? undefined
            : (problems[0] ?? 'no answer').replace(/\s+/g, ' ').slice(0, 200),
        );
      } catch {
        resolve(code === 0 ? undefined : `the check ended with code ${code}`);
      }
    });
  });
  return { result, stop: () => void child.kill() };
}
