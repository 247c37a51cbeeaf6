// The command line: reads .env and the environment, starts Solo OS, stops it cleanly on SIGINT/SIGTERM.
// Every start-up failure ends as one sentence on stderr and a non-zero exit, never a stack trace.

import { setFlagsFromString } from 'node:v8';
import dotenv from 'dotenv';
import { loadConfig, SETTINGS, type Config } from './config.ts';
import { ConfigError, InputError, SoloError } from './domain/errors.ts';
import { startSolo, VERSION, type SoloApp } from './main.ts';
import { maintenance, MAINTENANCE_COMMANDS, MAINTENANCE_USAGE } from './maintenance/commands.ts';

const USAGE = `Solo OS ${VERSION}: an AI workflow OS for one-person companies.

Usage: npm start            (or: node bin/solo.js)
       node bin/solo.js --help | --version
${MAINTENANCE_USAGE}

Settings come from the environment or a .env file in the working directory:
${Object.entries(SETTINGS)
  .map(([name, text]) => `  ${name.padEnd(22)} ${text}`)
  .join('\n')}
`;

/** After SIGINT/SIGTERM the process ends within this, cleanly or not: a service manager expects it well within 5 s. */
const STOP_DEADLINE_MS = 4500;

function explain(err: unknown, config: Config | undefined): string {
  if (err instanceof SoloError) return err.userMessage;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE')
    return `Port ${config?.PORT ?? 'PORT'} is already in use; stop the other program or set PORT to a free port.`;
  if (e.code === 'EACCES') return 'Not allowed to listen on that port; choose a PORT above 1024.';
  if (e.code === 'EADDRNOTAVAIL')
    return 'HOST is not an address of this machine; use 127.0.0.1 or a local interface address.';
  return `Solo OS could not start: ${e.message ?? String(err)}`;
}

/**
 * What a signal does: stop the app (once it has started), then exit 0. The last resort: whatever has not stopped
 * by the deadline is named in one line on stderr, and the process exits 1 anyway.
 */
export function stopOnSignal(
  signal: string,
  starting: Promise<Pick<SoloApp, 'stop'> | undefined>,
  current: () => Pick<SoloApp, 'stillStopping'> | undefined,
  io: { write(text: string): void; exit(code: number): void },
  deadlineMs = STOP_DEADLINE_MS,
): void {
  const deadline = setTimeout(() => {
    const app = current();
    const waiting = app ? app.stillStopping() : ['start-up to finish'];
    io.write(
      `Solo OS did not stop within ${deadlineMs / 1000} s of ${signal} (still waiting for ${waiting.join(', ') || 'nothing it knows of'}); exiting anyway.\n`,
    );
    io.exit(1);
  }, deadlineMs);
  void starting
    .then((started) => started?.stop(signal))
    .then(() => {
      clearTimeout(deadline);
      io.exit(0);
    })
    .catch((err: unknown) => {
      clearTimeout(deadline);
      io.write(`Solo OS did not stop cleanly: ${(err as Error).message}\n`);
      io.exit(1);
    });
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(USAGE);
  if (argv.includes('--version')) return void process.stdout.write(`${VERSION}\n`);
  if (argv[0] !== undefined && MAINTENANCE_COMMANDS.includes(argv[0])) return runMaintenance(argv[0], argv.slice(1));
  if (argv.length > 0) {
    process.stderr.write(`Unknown argument ${argv[0]}; run with --help to see the options.\n`);
    process.exit(2);
  }
  dotenv.config({ quiet: true });
  // Signal handlers go in first, so a SIGTERM that arrives while starting still ends in a clean stop.
  let starting: Promise<SoloApp | undefined> = Promise.resolve(undefined);
  let app: SoloApp | undefined;
  const io = { write: (text: string) => void process.stderr.write(text), exit: (code: number) => process.exit(code) };
  const shutdown = (signal: string) => stopOnSignal(signal, starting, () => app, io);
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  starting = (async () => {
    let config: Config | undefined;
    try {
      config = loadConfig();
      app = await startSolo(config);
      // Once ready (start-up keeps V8's faster defaults: this costs ~170 ms of CPU there): a heap that grows in
      // smaller steps. With a year of history the recall index build left the heap at 240 MB for 84 MB of live
      // objects (RSS 350 MB); with this, 90 MB (RSS ~210 MB). bench/year.ts measures it.
      setFlagsFromString('--optimize-for-size');
      return app;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(
          `Solo OS cannot start; fix these settings (environment or .env):\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`,
        );
      } else {
        process.stderr.write(`${explain(err, config)}\n`);
        if (process.env['LOG_LEVEL'] === 'debug' || process.env['LOG_LEVEL'] === 'trace') console.error(err);
      }
      process.exit(1);
    }
  })();
  await starting;
}

/** backup, restore, migrate: one line of result on stdout, or one sentence on stderr and exit 1 (2 for usage). */
async function runMaintenance(command: string, args: string[]): Promise<void> {
  dotenv.config({ quiet: true });
  let config: Config | undefined;
  try {
    config = loadConfig();
    await maintenance(command, args, config, (line) => void process.stdout.write(`${line}\n`));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `Solo OS cannot ${command}; fix these settings (environment or .env):\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
    } else {
      process.stderr.write(
        `${err instanceof SoloError ? err.userMessage : `The ${command} failed: ${(err as Error).message}`}\n`,
      );
      if (process.env['LOG_LEVEL'] === 'debug' || process.env['LOG_LEVEL'] === 'trace') console.error(err);
    }
    process.exit(err instanceof InputError ? 2 : 1);
  }
}
