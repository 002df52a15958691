import { defineConfig } from 'vitest/config';

// Integration tests start real servers (embedded Postgres, PgBouncer): generous timeouts, and forks so
// a crashing native child process cannot take other test files' workers with it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
