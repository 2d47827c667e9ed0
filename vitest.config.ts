import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real Temporal dev server for the whole run; suites connect to it (see test/support/).
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Workflow tests run real servers and real timers: allow them time, but never hang CI.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2 cores: two files at once keeps the dev server responsive.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
