// Lint: typescript-eslint's recommended type-checked rules (no-floating-promises above all) and no import cycles.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'test/mongo-emulator/**', '.tmp/**', '**/*.html'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'shims/*/*.js'] }, tsconfigRootDir: import.meta.dirname },
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
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-restricted-imports': [
        'error',
        // A regex on the module name, so that a local path (test/fakes/stripe/, adapters/scheduler/agenda/) is not
        // taken for the SDK.
        { patterns: [{ regex: '^(grammy|@slack/[^/]+|discord\\.js|nodemailer|imapflow|mailparser|tsdav|ical\\.js|stripe|agenda|@agendajs/[^/]+)(/.*)?$', message: 'Only adapters/ may import platform SDKs.' }] },
      ],
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
        ['window', 'document', 'location', 'history', 'localStorage', 'fetch', 'URLSearchParams', 'FormData', 'Node', 'Event', 'getComputedStyle', 'setTimeout', 'clearTimeout'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
