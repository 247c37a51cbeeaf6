// `npm run models`: downloads the embedding model into MODELS_DIR once, then proves it works offline by embedding
// one sentence with downloads off, exactly as the bot will. Settings come from the environment or .env
// (EMBEDDING_MODEL, EMBEDDING_DTYPE, MODELS_DIR); flags override them. Every failure is one sentence and exit 1.
// Usage: node scripts/models.ts [--model <hub id>] [--dtype q8|fp32|fp16|q4] [--dir <folder>] [--hub <url>]

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { ConfigError, describeError } from '../src/domain/errors.ts';
import { createEmbedder, missingModelFiles, DTYPE_FILE_SUFFIX } from '../adapters/embedding/transformers/embedder.ts';

const USAGE = `Usage: node scripts/models.ts [--model <hub id>] [--dtype q8|fp32|fp16|q4] [--dir <folder>] [--hub <url>]
Downloads the embedding model (default: EMBEDDING_MODEL, Xenova/all-MiniLM-L6-v2) into MODELS_DIR (default ./models).
`;

const fail = (sentence: string): never => {
  process.stderr.write(`${sentence}\n`);
  process.exit(1);
};

let args: {
  model?: string | undefined;
  dtype?: string | undefined;
  dir?: string | undefined;
  hub?: string | undefined;
  help?: boolean | undefined;
};
try {
  args = parseArgs({
    options: {
      model: { type: 'string' },
      dtype: { type: 'string' },
      dir: { type: 'string' },
      hub: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  fail(`${(err as Error).message}; run with --help to see the options.`);
  throw err;
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

dotenv.config({ quiet: true });
let settings: { model: string; dtype: string; dir: string };
try {
  const config = loadConfig();
  settings = {
    model: args.model ?? config.EMBEDDING_MODEL,
    dtype: args.dtype ?? config.EMBEDDING_DTYPE,
    dir: resolve(args.dir ?? config.MODELS_DIR),
  };
} catch (err) {
  if (err instanceof ConfigError) fail(`Fix these settings first:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
  throw err;
}
const { model, dtype, dir } = settings;
if (model === 'off') fail('EMBEDDING_MODEL is off; pass --model <hub id> to download a model anyway.');
if (!(dtype in DTYPE_FILE_SUFFIX))
  fail(`Unknown dtype ${dtype}; expected one of ${Object.keys(DTYPE_FILE_SUFFIX).join(', ')}.`);

// The embedder logs through pino; this stream turns its records into a progress line and plain sentences.
const tty = process.stderr.isTTY === true;
let failure: { kind?: string; detail?: string } = {};
const stream = {
  write(line: string) {
    const rec = JSON.parse(line) as {
      msg: string;
      progress?: number;
      loadedMb?: number;
      totalMb?: number;
      kind?: string;
      detail?: string;
    };
    if (rec.msg.startsWith('embedding model: downloading') && rec.progress !== undefined) {
      const text = `Downloading ${model} (${dtype}) into ${dir}: ${rec.progress.toFixed(0)}% (${rec.loadedMb ?? 0} of ${rec.totalMb ?? '?'} MB)`;
      process.stderr.write(tty ? `\r${text}` : `${text}\n`);
    } else if (rec.msg.startsWith('embedding model unavailable')) {
      failure = { ...(rec.kind ? { kind: rec.kind } : {}), ...(rec.detail ? { detail: rec.detail } : {}) };
    }
  },
};
const logger = pino({ level: 'info' }, stream);
const common = { model, dtype, modelsDir: dir, logger, idleMs: 60_000, ...(args.hub ? { remoteHost: args.hub } : {}) };

if (missingModelFiles(dir, model, dtype).length === 0) {
  process.stdout.write(`${model} (${dtype}) is already in ${dir}.\n`);
} else {
  const downloader = createEmbedder({ ...common, allowDownload: true, retryMs: 1 });
  const started = performance.now();
  try {
    await downloader.embed(['warm up']);
  } catch (err) {
    if (tty) process.stderr.write('\n');
    await downloader.close();
    if (failure.kind === 'network')
      fail(
        `Could not download ${model}: the model hub is unreachable from here (${failure.detail ?? 'no network'}); check the network and run this again.`,
      );
    if (failure.kind === 'not_on_hub')
      fail(
        `Could not download ${model}: the model hub has no ${failure.detail ?? 'such file'} for it; check --model and --dtype.`,
      );
    fail(`Could not download ${model}: ${describeError(err)}`);
  }
  await downloader.close();
  if (tty) process.stderr.write('\n');
  process.stdout.write(
    `Downloaded ${model} (${dtype}) into ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
  );
}

// Verify exactly as the bot runs it: worker thread, downloads off.
const offline = createEmbedder({ ...common, allowDownload: false });
try {
  const started = performance.now();
  const [vector] = await offline.embed(['Solo OS keeps its memory on this machine.']);
  process.stdout.write(
    `Verified offline: one sentence → ${vector?.length ?? 0}-d vector in ${Math.round(performance.now() - started)} ms (including the model load).\n`,
  );
} catch (err) {
  fail(`The model is in ${dir} but does not load: ${describeError(err)}`);
} finally {
  await offline.close();
}
