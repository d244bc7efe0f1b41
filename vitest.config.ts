import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Suites that use PostgreSQL create their own throwaway schema, so files may run in parallel.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The console's browser tests need console/dist: built here if a fresh clone lacks it.
    globalSetup: ['test/support/console-build.ts'],
  },
});
