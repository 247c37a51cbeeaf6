// Lint: typescript-eslint's recommended type-checked rules (no-floating-promises above all) and no import cycles.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// Module-name regexes, so that a local path (test/fakes/stripe/, adapters/scheduler/agenda/) is not taken for a package.
const SDKS = {
  regex:
    '^(grammy|@slack/[^/]+|discord\\.js|nodemailer|imapflow|mailparser|tsdav|ical\\.js|stripe|agenda|@agendajs/[^/]+)(/.*)?$',
  message: 'Only adapters/ may import platform SDKs.',
};
const IO_LIBRARIES = {
  regex: '^(node:sqlite|mongodb|openai|@huggingface/transformers|onnxruntime-node|pdfkit)(/.*)?$',
  message: 'The core talks to ports (src/ports/); stores, the model client, embeddings and documents are adapters.',
};
const ADAPTERS = {
  regex: '(^|/)adapters/',
  message: 'Only the composition root (src/main.ts, src/compose/) imports adapters; the core uses ports.',
};
const NODE_IO = {
  regex:
    '^(node:)?(fs|fs/promises|http|https|net|dgram|child_process|worker_threads|crypto|os|dns|tls|timers|timers/promises)$',
  message:
    'Workflows do no I/O and read no clock or randomness: do it inside ctx.step (or ctx.act), which journals the result.',
};
// Inside a step's or an effect's function (ctx.step / ctx.act) the value is journaled, so the clock is fine there.
const IN_STEP = 'CallExpression[callee.property.name=/^(step|act)$/] :function *';
const NONDETERMINISM = [
  {
    selector: `CallExpression[callee.object.name='Date'][callee.property.name='now']:not(${IN_STEP})`,
    message: 'Date.now() in a workflow differs on replay: read the time inside ctx.step.',
  },
  {
    selector: `NewExpression[callee.name='Date'][arguments.length=0]:not(${IN_STEP})`,
    message: 'new Date() in a workflow differs on replay: read the time inside ctx.step.',
  },
  {
    selector: `CallExpression[callee.object.name='Math'][callee.property.name='random']:not(${IN_STEP})`,
    message: 'Math.random() in a workflow differs on replay: draw inside ctx.step.',
  },
  {
    selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']",
    message: 'performance.now() in a workflow differs on replay.',
  },
  {
    selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate|fetch)$/]',
    message: 'Timers and fetch are I/O: do them inside ctx.step.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'test/mongo-emulator/**', '.tmp/**', '**/*.html'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'shims/*/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.cjs', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-restricted-imports': ['error', { patterns: [SDKS] }],
    },
  },
  // The core (src/) imports no I/O library at all, and no adapter: it talks to ports. Only the composition root
  // (main.ts, compose/) wires adapters in.
  {
    files: ['src/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SDKS, IO_LIBRARIES, ADAPTERS] }] },
  },
  {
    files: ['src/main.ts', 'src/compose/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [SDKS, IO_LIBRARIES] }] },
  },
  // Workflows are deterministic (Temporal's rule): a replay after a crash must take the same path, so the clock,
  // randomness and I/O come only through the workflow context (ctx.step records what they returned).
  {
    files: ['src/workflows/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [SDKS, IO_LIBRARIES, ADAPTERS, NODE_IO] }],
      'no-restricted-syntax': ['error', ...NONDETERMINISM],
    },
  },
  {
    files: ['adapters/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The dashboard's browser scripts: plain JavaScript for the browser, linted without type information.
    files: ['adapters/http/dashboard/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'localStorage',
          'fetch',
          'URLSearchParams',
          'FormData',
          'Node',
          'Event',
          'getComputedStyle',
          'setTimeout',
          'clearTimeout',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
