// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Everything above the ground floor (config/, experience/): they import none of it. */
const upperFloors = [
  '**/integrations/**',
  '**/activities/**',
  '**/workflows/**',
  '**/catalog/**',
  '**/client/**',
  '**/worker/**',
  '**/embedded/**',
  '**/wiring/**',
  '**/cluster/**',
  '**/scripts/**',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**', 'test/histories/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The portal's script (client/web/assets/portal.js) runs as it is in the browser: plain
    // JavaScript, a classic script with the browser's globals. Not in the TypeScript project, so
    // no type-aware rules.
    files: ['client/web/assets/**/*.js'],
    extends: [js.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'script', globals: globals.browser },
    // typescript-eslint's no-unused-vars (with the project's `_` patterns) already reports these.
    rules: { 'no-unused-vars': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O, no
    // integrations. It may import only @temporalio/workflow, types, and other workflow modules.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'crypto', 'os', 'child_process', 'net'],
              message: 'Workflows must be deterministic: no Node built-ins.',
            },
            {
              group: ['**/integrations/**', '**/client/**', '**/worker/**', '**/embedded/**'],
              message: 'Workflows reach the outside world only through activities.',
            },
            {
              group: ['**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows may import activity *types* only (import type).',
            },
            {
              group: [
                'zod',
                'ldapts',
                'nodemailer',
                'twilio',
                'pino',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
              ],
              message: 'Keep heavy and non-deterministic libraries out of workflow code.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'Workflows get configuration from their input.' }],
    },
  },
  {
    // Integrations are plain adapters: they never know about Temporal, and they sit below
    // everything that uses them. What they need (configuration, demo data) is passed in.
    files: ['integrations/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@temporalio/*'], message: 'integrations/ never imports Temporal.' },
            {
              group: [
                '**/worker/**',
                '**/embedded/**',
                '**/client/**',
                '**/activities/**',
                '**/workflows/**',
                '**/wiring/**',
              ],
              message: 'integrations/ sits below the worker, the API and the journeys: pass what it needs in.',
            },
          ],
        },
      ],
    },
  },
  {
    // Experience figures are pure calculation over records: no storage, no web, no Temporal.
    files: ['experience/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@temporalio/*', 'pg', 'node:*'], message: 'experience/ is pure calculation.' },
            {
              group: upperFloors,
              message: 'experience/ sits below its users (catalog, client, the stores): it imports none of them.',
            },
          ],
        },
      ],
    },
  },
  {
    // The ground floor: configuration and logging import no project code above them.
    files: ['config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: upperFloors,
              message: 'config/ is the ground floor: it imports nothing of the floors above.',
            },
          ],
        },
      ],
    },
  },
  {
    // The environment is read in config/ (and by tests and scripts), nowhere else.
    files: ['**/*.ts'],
    ignores: ['config/**', 'test/**', 'scripts/**', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment through config/ (environment()).' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
