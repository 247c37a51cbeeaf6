// The store maintenance commands of the command line:
//   solo backup [path]        a consistent copy of the store, also while the bot runs
//   solo restore <path>       puts a backup back (the bot must be stopped); the store it replaces is kept
//   solo migrate --to <uri>   copies the store into another one (MongoDB, or an embedded store in a folder)
// Each ends with one line saying what it did, or fails with one sentence (a SoloError).

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { maskUri, type Config } from '../config.ts';
import { InputError, StoreError } from '../domain/errors.ts';
import type { Store } from '../ports/store.ts';
import { answersHealth, runningInstance } from '../compose/instance.ts';
import { copyStore, holdings } from './copy.ts';

export const MAINTENANCE_USAGE = `       node bin/solo.js backup [path]        consistent copy of the store, also while Solo OS runs (npm run backup)
       node bin/solo.js restore <path>       puts a backup back; stop Solo OS first (the store it replaces is kept)
       node bin/solo.js migrate --to <uri>   copies the store into mongodb://… or into an embedded store in a folder`;

export const MAINTENANCE_COMMANDS = ['backup', 'restore', 'migrate'];

type Out = (line: string) => void;

const stamp = (d = new Date()) =>
  d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
const n = (x: number) => x.toLocaleString('en');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const backupsDir = (config: Config) => join(resolve(config.DATA_DIR), 'backups');
const sqliteFile = (config: Config) => join(resolve(config.DATA_DIR), 'solo.db');

export async function maintenance(command: string, args: string[], config: Config, out: Out): Promise<void> {
  if (command === 'backup') return backupCommand(args, config, out);
  if (command === 'restore') return restoreCommand(args, config, out);
  return migrateCommand(args, config, out);
}

async function backupCommand(args: string[], config: Config, out: Out): Promise<void> {
  const [path, extra] = args;
  if (extra !== undefined) throw new InputError(`backup takes at most one path, not "${extra}".`);
  const started = performance.now();
  if (config.MONGODB_URI) {
    const { dumpMongo } = await import('../../adapters/stores/mongo/dump.ts');
    const dir = resolve(path ?? join(backupsDir(config), `solo-${stamp()}`));
    const info = await dumpMongo(config.MONGODB_URI, dir);
    out(
      `Backed up ${maskUri(config.MONGODB_URI)} to ${dir} in ${seconds(started)}: ${Object.entries(info.counts)
        .map(([c, k]) => `${c}: ${n(k)}`)
        .join(', ')}.`,
    );
    if (!info.snapshot)
      out(
        'This server offers no snapshot reads (it is not a replica set): collections were read one after another, so writes made meanwhile may be in some and not others. Stop Solo OS first for a backup that is one moment in time.',
      );
    return;
  }
  const { backupSqlite } = await import('../../adapters/stores/sqlite/backup.ts');
  const file = resolve(path ?? join(backupsDir(config), `solo-${stamp()}.db`));
  const info = await backupSqlite(sqliteFile(config), file);
  const { events, memories, runs, invoices } = info.counts;
  out(
    `Backed up ${sqliteFile(config)} to ${file} in ${seconds(started)}: ${mb(info.bytes)}; ${n(events)} events, ${n(memories)} memories, ${n(runs)} runs, ${n(invoices)} invoices.`,
  );
}

/** Refuses when a bot has this data folder open, or answers on this configuration's address. */
async function ensureStopped(config: Config, doing: string): Promise<void> {
  const running = await runningInstance(resolve(config.DATA_DIR));
  if (running) {
    throw new StoreError(
      'bot_running',
      `Solo OS is running (process ${running.pid}, ${running.url || 'starting'}) with this store; stop it first, then ${doing}.`,
    );
  }
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  if (config.PORT !== 0 && (await answersHealth(`http://${host}:${config.PORT}`))) {
    throw new StoreError(
      'bot_running',
      `A Solo OS answers at http://${host}:${config.PORT}; stop it first, then ${doing}.`,
    );
  }
}

async function restoreCommand(args: string[], config: Config, out: Out): Promise<void> {
  const [path, extra] = args;
  if (path === undefined) throw new InputError('Name the backup to restore: node bin/solo.js restore <path>.');
  if (extra !== undefined) throw new InputError(`restore takes one path, not "${extra}" as well.`);
  const source = resolve(path);
  if (!existsSync(source)) throw new InputError(`There is no backup at ${source}.`);
  await ensureStopped(config, 'restore');
  const keep = join(backupsDir(config), `replaced-${stamp()}`);
  if (statSync(source).isDirectory()) {
    if (!config.MONGODB_URI)
      throw new InputError(`${source} is a MongoDB backup; set MONGODB_URI to the database to restore it into.`);
    const { dumpMongo, inspectMongoBackup, restoreMongo } = await import('../../adapters/stores/mongo/dump.ts');
    inspectMongoBackup(source);
    // What the database holds now is backed up before it is replaced.
    const before = await dumpMongo(config.MONGODB_URI, keep);
    const info = await restoreMongo(source, config.MONGODB_URI);
    const held = Object.values(before.counts).some((k) => k > 0);
    out(
      `Restored the backup taken ${info.takenAt} (${Object.entries(info.counts)
        .map(([c, k]) => `${c}: ${n(k)}`)
        .join(
          ', ',
        )}) into ${maskUri(config.MONGODB_URI)}; ${held ? `what it held before is kept in ${keep}` : 'it was empty before'}.`,
    );
  } else {
    if (config.MONGODB_URI) {
      throw new InputError(
        `${source} is a backup of the embedded store, and MONGODB_URI is set; unset MONGODB_URI to restore it into DATA_DIR, then move it with "migrate --to" if you want it in MongoDB.`,
      );
    }
    const { restoreSqlite } = await import('../../adapters/stores/sqlite/backup.ts');
    const { info, kept } = restoreSqlite(source, sqliteFile(config), keep);
    const lines: string[] = [];
    // Opened once now, so an older backup is migrated (and says so) before anything else uses it.
    const store = await openSqlite(config, lines);
    await store.close();
    const { events, memories, runs, invoices } = info.counts;
    out(
      `Restored ${source} (${n(events)} events, ${n(memories)} memories, ${n(runs)} runs, ${n(invoices)} invoices) into ${sqliteFile(config)}; ${kept ? `the store it replaced is kept at ${kept}` : 'there was no store before'}.`,
    );
    for (const line of lines)
      out(`The restored store was ${line.replace(/^migrated the store at [^:]+: /, 'migrated: ')}.`);
  }
}

async function openSqlite(config: Config, lines: string[], dataDir = config.DATA_DIR): Promise<Store> {
  const { SqliteStore } = await import('../../adapters/stores/sqlite/index.ts');
  const info = ((_: unknown, line: string) => void lines.push(line)) as never;
  const store = new SqliteStore(dataDir, {
    synchronous: config.SQLITE_SYNCHRONOUS,
    idleCheckpoints: false,
    logger: { info, warn: info },
  });
  await store.init();
  return store;
}

async function openMongo(uri: string, lines: string[]): Promise<Store> {
  const { MongoStore } = await import('../../adapters/stores/mongo/index.ts');
  const store = new MongoStore(uri, {
    logger: { info: ((_: unknown, line: string) => void lines.push(line)) as never },
  });
  await store.init();
  return store;
}

function targetOf(args: string[]): string {
  const i = args.findIndex((a) => a === '--to' || a.startsWith('--to='));
  const flag = args[i] ?? '';
  const value = i === -1 ? undefined : flag.startsWith('--to=') ? flag.slice('--to='.length) : args[i + 1];
  if (!value)
    throw new InputError(
      'Say where to move the store: node bin/solo.js migrate --to mongodb://host/db (or --to <folder> for an embedded store).',
    );
  const rest = args.filter((_, j) => j !== i && !(flag === '--to' && j === i + 1));
  if (rest.length) throw new InputError(`migrate takes only --to <uri>, not "${rest[0]}".`);
  return value;
}

async function migrateCommand(args: string[], config: Config, out: Out): Promise<void> {
  const to = targetOf(args);
  const toMongo = /^mongodb(\+srv)?:\/\//.test(to);
  const toFolder = resolve(to.replace(/^sqlite:/, '').replace(/[/\\]solo\.db$/, ''));
  const from = config.MONGODB_URI ? maskUri(config.MONGODB_URI) : sqliteFile(config);
  const where = toMongo ? maskUri(to) : join(toFolder, 'solo.db');
  if (to === config.MONGODB_URI || (!toMongo && !config.MONGODB_URI && toFolder === resolve(config.DATA_DIR))) {
    throw new InputError(`${where} is the store Solo OS uses now; name another one to move it to.`);
  }
  await ensureStopped(config, 'migrate');
  const lines: string[] = [];
  const source = config.MONGODB_URI ? await openMongo(config.MONGODB_URI, lines) : await openSqlite(config, lines);
  let target: Store | undefined;
  try {
    target = toMongo ? await openMongo(to, []) : await openSqlite(config, [], toFolder);
    const held = await holdings(target.copy);
    if (Object.keys(held).length) {
      throw new StoreError(
        'target_not_empty',
        `${where} already holds data (${Object.entries(held)
          .map(([t, k]) => `${t}: ${n(k)}`)
          .join(', ')}); move into an empty store, or empty it first.`,
      );
    }
    const started = performance.now();
    const report = await copyStore(source, target, out);
    const { events, memories, runs, invoices } = report.counts;
    out(
      `Copied ${from} into ${where} in ${seconds(started)}: ${n(events)} events, ${n(memories)} memories, ${n(runs)} runs, ${n(invoices)} invoices; every table's count and ${report.sampled} sample records read back the same.`,
    );
    out(
      toMongo
        ? `To use it, set MONGODB_URI to that address and start Solo OS; ${from} was not changed.`
        : `To use it, unset MONGODB_URI and set DATA_DIR=${toFolder}, then start Solo OS; ${from} was not changed.`,
    );
  } finally {
    await target?.close();
    await source.close();
  }
}
