// The lint fences are part of the architecture: an SDK or an adapter imported into the core, or the clock in a
// workflow, fails `npm test`. Each case lints a small probe file placed where the rule applies (the real ESLint
// configuration, through ESLint's API) and expects exactly the fence's error; the same code under adapters/ or
// outside workflows passes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const root = new URL('../..', import.meta.url).pathname;
// The project's configuration as it is, without type information (the probes exist only in memory, so the
// TypeScript project cannot see them) and with only the fence rules on.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports' || ruleId === 'no-restricted-syntax',
});

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('lint fences', () => {
  test('an SDK, a store driver or an adapter imported under src/ fails; under adapters/ it is fine', async () => {
    for (const code of [
      "import { Bot } from 'grammy';\nexport const b = Bot;\n",
      "import Stripe from 'stripe';\nexport const s = Stripe;\n",
      "import { DatabaseSync } from 'node:sqlite';\nexport const d = DatabaseSync;\n",
      "import { MongoClient } from 'mongodb';\nexport const m = MongoClient;\n",
      "import OpenAI from 'openai';\nexport const o = OpenAI;\n",
      "import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';\nexport const s = SqliteStore;\n",
    ]) {
      assert.deepEqual(await ruleIds('src/memory/lint-probe.ts', code), ['no-restricted-imports'], code);
    }
    assert.deepEqual(
      await ruleIds(
        'adapters/stores/sqlite/lint-probe.ts',
        "import { DatabaseSync } from 'node:sqlite';\nexport const d = DatabaseSync;\n",
      ),
      [],
    );
    assert.deepEqual(
      await ruleIds(
        'src/compose/lint-probe.ts',
        "import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';\nexport const s = SqliteStore;\n",
      ),
      [],
      'the composition root may wire adapters',
    );
  });

  test('the clock, randomness, timers and I/O in a workflow fail; elsewhere in src they are fine', async () => {
    for (const code of [
      'export const t = Date.now();\n',
      'export const d = new Date();\n',
      'export const r = Math.random();\n',
      'export const p = performance.now();\n',
      'setTimeout(() => undefined, 1);\n',
      "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
    ]) {
      const ids = await ruleIds('src/workflows/lint-probe.ts', code);
      assert.ok(
        ids.length > 0 && ids.every((id) => id === 'no-restricted-syntax' || id === 'no-restricted-imports'),
        `${code}: ${ids.join(', ')}`,
      );
    }
    // A step's function is journaled: the clock is read once and replayed from the journal.
    const inStep =
      'export async function run(ctx: { step: (id: string, f: () => Promise<number>) => Promise<number> }) {\n  return ctx.step("at", async () => Date.now());\n}\n';
    assert.deepEqual(await ruleIds('src/workflows/lint-probe.ts', inStep), [], 'the clock inside ctx.step is fine');
    const outside =
      'export async function run(ctx: { step: (id: string, f: () => Promise<number>) => Promise<number> }) {\n  const t = Date.now();\n  return ctx.step("at", async () => t);\n}\n';
    assert.deepEqual(
      await ruleIds('src/workflows/lint-probe.ts', outside),
      ['no-restricted-syntax'],
      'the clock beside ctx.step is not',
    );
    assert.deepEqual(
      await ruleIds('src/workflows/lint-probe.ts', "export const fixed = new Date('2026-01-01T00:00:00Z');\n"),
      [],
      'a fixed date is deterministic',
    );
    assert.deepEqual(await ruleIds('src/engine/lint-probe.ts', 'export const t = Date.now();\n'), []);
  });
});
