// Safe file access for /import: a chat command must not turn into a file reader for the whole machine. Paths are
// resolved inside the import folder; after every link is resolved the file must still be inside it; only regular
// files and folders are read (a FIFO, socket or device is never opened), and each file has a size limit.

import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../domain/errors.ts';

/** What an import path resolved to: the real path inside the import folder and what it is. */
export interface ImportTarget {
  /** The real path (no links left). */
  path: string;
  kind: 'file' | 'folder';
}

const within = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

const describeKind = (s: { isFIFO(): boolean; isSocket(): boolean }): string =>
  s.isFIFO() ? 'a pipe' : s.isSocket() ? 'a socket' : 'a device';

/** The real path of the import folder, created when missing. */
async function importRoot(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return realpath(dir);
}

/**
 * Resolves what the operator typed after /import: a name inside the import folder (`clients.csv`, `notes/`), or an
 * absolute or `~/` path that lies inside it. Anything else is refused before the file system is asked about it, so
 * the answer does not even tell whether a file outside exists.
 */
export async function resolveImportPath(dir: string, typed: string): Promise<ImportTarget> {
  const root = await importRoot(dir);
  const shownRoot = resolve(dir);
  const arg = typed.trim().replace(/^(["'])(.*)\1$/, '$2');
  const candidate =
    arg === '~' || arg.startsWith('~/')
      ? join(homedir(), arg.slice(1))
      : isAbsolute(arg)
        ? resolve(arg)
        : resolve(shownRoot, arg);
  if (!within(shownRoot, candidate) && !within(root, candidate)) {
    throw new InputError(
      `I only import from the import folder, ${shownRoot}: put the file or folder there and give its name, e.g. /import clients.csv.`,
    );
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new InputError(
      `There is no file or folder named ${relative(shownRoot, candidate) || arg} in the import folder (${shownRoot}).`,
    );
  }
  if (!within(root, real))
    throw new InputError(`${arg} is a link to somewhere outside the import folder (${shownRoot}), so it was not read.`);
  const info = await lstat(real);
  if (info.isDirectory()) return { path: real, kind: 'folder' };
  if (info.isFile()) return { path: real, kind: 'file' };
  throw new InputError(`${arg} is ${describeKind(info)}, not a file or folder, so it was not read.`);
}

export type WalkEntry = { path: string; skip?: undefined } | { path: string; skip: string };

/**
 * Every file under a folder inside the import folder, depth first. Links are followed only while they stay inside
 * the import folder (each folder and file once, so a link loop ends); links out and special files come back as skips.
 * `wanted` filters files by name; a link out is reported whatever its name.
 */
export async function* walkImportFolder(
  root: string,
  dir: string,
  wanted: (name: string) => boolean,
  seen = new Set<string>(),
): AsyncGenerator<WalkEntry> {
  seen.add(dir);
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const shown = relative(root, path);
    let real = path;
    if (entry.isSymbolicLink()) {
      real = await realpath(path).catch(() => '');
      if (!real) {
        if (wanted(entry.name)) yield { path, skip: `${shown}: a broken link` };
        continue;
      }
      if (!within(root, real)) {
        yield { path, skip: `${shown}: a link out of the import folder` };
        continue;
      }
    }
    const info = await lstat(real);
    if (info.isDirectory()) {
      if (!seen.has(real)) yield* walkImportFolder(root, real, wanted, seen);
    } else if (!wanted(entry.name)) {
      continue;
    } else if (info.isFile()) {
      if (seen.has(real)) continue;
      seen.add(real);
      yield { path: real };
    } else {
      yield { path, skip: `${shown}: ${describeKind(info)}, not a regular file` };
    }
  }
}

/** A file that is not read: `reason` is a phrase ("a pipe, not a regular file") the caller puts in a sentence. */
export class NotRead extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/**
 * Opens a regular file for reading, refusing anything else even if it was swapped in since it was listed:
 * O_NOFOLLOW refuses a link, O_NONBLOCK keeps a pipe from blocking the open, and the open file is checked again.
 */
export async function openRegularFile(path: string, maxBytes: number): Promise<FileHandle> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new NotRead(`${describeKind(info)}, not a regular file`);
    if (info.size > maxBytes)
      throw new NotRead(`${(info.size / 1048576).toFixed(1)} MB, over the ${maxBytes / 1048576} MB limit for one file`);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Up to `max` names at the top of the import folder (folders end in /), for a bare /import. */
export async function listImportFolder(
  dir: string,
  max = 10,
): Promise<{ root: string; names: string[]; more: number }> {
  const root = await importRoot(dir);
  const entries = (await readdir(root, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    root: resolve(dir),
    names: entries.slice(0, max).map((e) => (e.isDirectory() ? `${e.name}/` : e.name)),
    more: Math.max(0, entries.length - max),
  };
}
