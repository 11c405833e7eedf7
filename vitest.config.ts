import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are heavy: two workers on this 2-core machine.
    maxWorkers: 2,
    pool: 'forks',
  },
});
