import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects, told apart by the file name:
 * - unit: `*.unit.test.ts`, pure code. No server, no process (test/support/no-servers.ts refuses
 *   both), so `npm run test:unit` runs in seconds with nothing installed.
 * - integration: every other `*.test.ts`. They run real servers: one Temporal dev server for the
 *   whole run (test/support/global-setup.ts) and whatever else a suite starts itself.
 * `npm test` runs both.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    // 2 cores: two files at once keeps the dev server responsive.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.unit.test.ts'],
          setupFiles: ['test/support/no-servers.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/**/*.unit.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Real servers and real timers: allow them time, but never hang CI.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
