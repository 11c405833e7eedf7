import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 90_000,
    hookTimeout: 180_000,
    // PGlite instances are heavy: two workers on this 2-core machine, shared by both projects.
    maxWorkers: 2,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Pure code, no database, server or thread: the files of a worker share one module graph instead
          // of importing it each (the unit files took 52 s alone, 12 s so).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**'],
          // One migrated PGlite data directory for the run, and with TEST_DATABASE_URL one migrated Postgres
          // template: test databases are copies of them. Each file runs in a fresh module graph (services,
          // threads and servers are per file).
          globalSetup: ['test/helpers/pglite-template.global.ts', 'test/helpers/postgres-template.global.ts'],
        },
      },
    ],
  },
});
