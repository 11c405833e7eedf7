import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // With TEST_DATABASE_URL: one migrated Postgres template for the run; test databases are copies of it.
    globalSetup: ['test/helpers/postgres-template.global.ts'],
    testTimeout: 90_000,
    hookTimeout: 180_000,
    // PGlite instances are heavy: two workers on this 2-core machine.
    maxWorkers: 2,
    pool: 'forks',
  },
});
