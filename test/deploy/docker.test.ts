// Docker cannot run on the test machines, so the deployment files are checked by reading them: docker-compose.yml
// must hand .env to the bot; every file the image's CMD and its npm scripts reach (followed through their relative
// imports) must be COPY'd and not dockerignored; the folders the bot writes must exist and belong to `node`.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig, SETTINGS } from '../../src/config.ts';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

interface Instruction {
  op: string;
  args: string[];
}

/** Dockerfile instructions, continuation lines joined, comments dropped; JSON-form arguments unpacked. */
function dockerfile(text: string): Instruction[] {
  const joined = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return joined.map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    const tail = line.slice(op.length).trim();
    const args = tail.startsWith('[') ? (JSON.parse(tail) as string[]) : rest;
    return { op: op.toUpperCase(), args };
  });
}

const instructions = dockerfile(read('Dockerfile'));
const workdir = instructions.findLast((i) => i.op === 'WORKDIR')?.args[0] ?? '/';

/** ENV key=value pairs, in order. */
const imageEnv: Record<string, string> = Object.fromEntries(
  instructions
    .filter((i) => i.op === 'ENV')
    .flatMap((i) => i.args.map((a) => a.split('=') as [string, string]).filter((kv) => kv.length === 2)),
);

/** Where each COPY puts a repo file in the image (build context = repo root), with the instruction's index. */
function imagePathsOf(file: string): { path: string; at: number }[] {
  const out: { path: string; at: number }[] = [];
  instructions.forEach((ins, at) => {
    if (ins.op !== 'COPY' || ins.args.some((a) => a.startsWith('--from'))) return;
    const parts = ins.args.filter((a) => !a.startsWith('--'));
    const dest = posix.resolve(workdir, parts.at(-1) ?? '.');
    const sources = parts.slice(0, -1);
    for (const source of sources.map((s) => posix.normalize(s))) {
      const isDir = existsSync(join(ROOT, source)) && statSync(join(ROOT, source)).isDirectory();
      if (isDir && (file === source || file.startsWith(`${source}/`) || source === '.'))
        out.push({ path: posix.join(dest, posix.relative(source, file)), at });
      else if (!isDir && file === source)
        out.push({
          path: sources.length > 1 || parts.at(-1)?.endsWith('/') ? posix.join(dest, posix.basename(source)) : dest,
          at,
        });
    }
  });
  return out;
}

/** .dockerignore as Docker reads it: patterns anchored at the context root, a match on a folder covers its files. */
function dockerignored(file: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const toRegex = (p: string) =>
    new RegExp(
      `^${p
        .replace(/^\//, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '.*')}$`,
    );
  const prefixes = file.split('/').map((_, i, all) => all.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const regex = toRegex(negate ? raw.slice(1) : raw);
    if (prefixes.some((p) => regex.test(p))) ignored = !negate;
  }
  return ignored;
}

/** Repo files reachable from `entry` through relative imports, dynamic imports, require() and new URL(…, import.meta.url). */
function reachable(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!/\.(ts|js|cjs|mjs)$/.test(file)) continue;
    const text = read(file);
    const specs = [
      ...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g),
      ...text.matchAll(/require\)?\(\s*'(\.{1,2}\/[^']+)'/g),
      ...text.matchAll(/new URL\('(\.{1,2}\/[^']+)',\s*import\.meta\.url\)/g),
    ].map((m) => m[1] as string);
    for (const spec of specs) {
      const target = relative(ROOT, join(ROOT, dirname(file), spec));
      assert.ok(existsSync(join(ROOT, target)), `${file} refers to ${spec}, which does not exist`);
      queue.push(target);
    }
  }
  return seen;
}

const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, { env_file?: unknown; environment?: Record<string, string>; volumes?: string[] }>;
};
const bot = compose.services['bot'];
const composeEnv = bot?.environment ?? {};
const pkg = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

test('docker-compose.yml hands .env to the bot, with MongoDB and a required token on 0.0.0.0', () => {
  assert.ok(bot, 'a bot service');
  const files = ([] as unknown[])
    .concat(bot.env_file ?? [])
    .map((f) => (typeof f === 'string' ? f : (f as { path?: string }).path));
  assert.ok(files.includes('.env'), `env_file lists .env (got ${JSON.stringify(bot.env_file)})`);
  assert.match(composeEnv['MONGODB_URI'] ?? '', /^mongodb:\/\/mongo:27017\//);
  assert.equal(composeEnv['HOST'], '0.0.0.0');
  assert.match(composeEnv['WEB_TOKEN'] ?? '', /^\$\{WEB_TOKEN:\?.+\}$/, 'WEB_TOKEN is required at `compose up`');
  for (const name of Object.keys(composeEnv))
    assert.ok(name in SETTINGS, `${name} in docker-compose.yml is not a Solo OS setting`);
  assert.match(
    String(compose.services['bot']?.volumes?.find((v) => v.endsWith(':/data')) ?? ''),
    /^[\w-]+:\/data$/,
    'a named volume keeps /data (models, store)',
  );
});

test('every file CMD and the npm scripts used in the image reach is COPYd to the same place and not dockerignored', () => {
  const cmd = instructions.findLast((i) => i.op === 'CMD')?.args ?? [];
  assert.equal(cmd[0], 'node');
  const scriptFile = (name: string): string => {
    const match = /^node (\S+)/.exec(pkg.scripts[name] ?? '');
    assert.ok(match?.[1], `package.json script ${name} runs a node file`);
    return match[1];
  };
  // `docker compose run --rm bot npm run models` is how the README downloads the model inside the container.
  const entries = [cmd[1] as string, scriptFile('start'), scriptFile('models')];
  // Read at run time by path, not imported: the default AGENTS_DIR, PROMPTS_DIR, POLICIES_DIR, PACKAGES_DIR, TEMPLATES_DIR.
  const defaults = loadConfig({});
  const needed = [
    ...reachable(entries),
    defaults.AGENTS_DIR,
    defaults.PROMPTS_DIR,
    defaults.POLICIES_DIR,
    defaults.PACKAGES_DIR,
    defaults.TEMPLATES_DIR,
  ].map((f) => posix.normalize(f));
  const missing = needed.filter((f) => !imagePathsOf(f).some((c) => c.path === posix.join(workdir, f)));
  assert.deepEqual(missing, [], 'not copied into the image');
  assert.deepEqual(needed.filter(dockerignored), [], 'excluded by .dockerignore');
  assert.ok(
    needed.includes('scripts/models.ts') &&
      needed.includes('adapters/embedding/transformers/worker.ts') &&
      needed.includes('adapters/channels/web/page.html'),
    'the walk follows imports and URLs',
  );
});

test('npm ci in the image sees what the install needs: .npmrc, the preinstall script and file: dependencies', () => {
  const install = instructions.findIndex((i) => i.op === 'RUN' && i.args.join(' ').includes('npm ci'));
  assert.ok(install > 0, 'RUN npm ci');
  const preinstall = /node (\S+)/.exec((pkg as { scripts: Record<string, string> }).scripts['preinstall'] ?? '')?.[1];
  const local = Object.values(pkg.dependencies)
    .filter((v) => v.startsWith('file:'))
    .map((v) => posix.normalize(v.slice('file:'.length)));
  for (const file of ['package.json', 'package-lock.json', '.npmrc', ...(preinstall ? [preinstall] : []), ...local]) {
    const copied = imagePathsOf(file).filter((c) => c.at < install && c.path === posix.join(workdir, file));
    assert.ok(copied.length > 0, `${file} is copied before npm ci`);
    assert.ok(!dockerignored(file), `${file} is not dockerignored`);
  }
});

test('the folders the bot writes (store, import folder, models) are writable by node in the image', () => {
  const user = instructions.findLastIndex((i) => i.op === 'USER');
  assert.equal(instructions[user]?.args[0], 'node', 'the image runs as node');
  const before = instructions
    .slice(0, user)
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args.join(' '));
  const made = before.flatMap((r) =>
    [...r.matchAll(/mkdir -p ((?:\/\S+\s*)+)/g)].flatMap((m) => (m[1] ?? '').trim().split(/\s+/)),
  );
  // chown -R covers what is under a path; plain chown only the path itself.
  const owned = before.flatMap((r) =>
    [...r.matchAll(/chown (-R )?node(?::node)? ((?:\/\S+\s*)+)/g)].flatMap((m) =>
      (m[2] ?? '')
        .trim()
        .split(/\s+/)
        .map((path) => ({ path, deep: m[1] !== undefined })),
    ),
  );
  const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
  // What the settings come to inside the container: defaults, then the image's ENV, then compose's environment.
  for (const [where, env] of [
    ['the image alone', imageEnv],
    ['docker compose', { ...imageEnv, ...composeEnv }],
  ] as const) {
    // WEB_TOKEN comes from .env at run time; MONGODB_URI's value is not a path.
    const config = loadConfig({ ...env, WEB_TOKEN: 'sixteen-characters-at-least' });
    for (const name of ['DATA_DIR', 'IMPORT_DIR', 'MODELS_DIR'] as const) {
      const dir = posix.resolve(workdir, config[name]);
      // Writable: the folder, or the one the bot creates it in, is made in the image and owned by node.
      const writable = owned.some(
        (o) =>
          made.some((m) => under(m, o.path)) &&
          (o.deep ? under(dir, o.path) : dir === o.path || posix.dirname(dir) === o.path),
      );
      assert.ok(writable, `${where}: ${name}=${dir} is not writable by node`);
    }
  }
  // A path in .env means something on the machine it was written for; compose sets the container's own.
  for (const name of ['DATA_DIR', 'IMPORT_DIR', 'MODELS_DIR'])
    assert.ok(composeEnv[name], `docker-compose.yml sets ${name} over .env`);
});
