#!/usr/bin/env node
// `npm test`: typecheck, lint, format check, unused-code check, then every test file with Node's own test runner.
// Stops at the first failing step.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./check-node.cjs');

/** @param {string} title @param {string} command @param {string[]} args */
const run = (title, command, args) => {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\n${title} failed (exit ${result.status ?? result.signal}).\n`);
    process.exit(result.status || 1);
  }
};

/** @param {string} name */
const bin = (name) => `node_modules/.bin/${name}`;
run('typecheck', bin('tsc'), ['--noEmit']);
run('lint', bin('eslint'), ['.']);
run('format (Prettier; `npx prettier --write .` fixes it)', bin('prettier'), ['--check', '--log-level=warn', '.']);
run('unused files, exports and dependencies (knip)', bin('knip'), ['--no-progress']);

// The MongoDB contract run needs either MONGODB_URI (a real server) or the test-only emulator package.
if (!process.env.MONGODB_URI && !existsSync('test/mongo-emulator/node_modules/@push.rocks/smartmongo')) {
  run('install the test-only MongoDB emulator', 'npm', [
    'ci',
    '--prefix',
    'test/mongo-emulator',
    '--no-audit',
    '--no-fund',
  ]);
}

const files = process.argv.slice(2);
run('tests', process.execPath, [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=120000',
  ...(files.length ? files : ['test/**/*.test.ts']),
]);
