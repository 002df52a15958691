import { defineConfig } from 'vitest/config';

// `pnpm test:faults` (issue 12's proof): the API as a child process behind PgBouncer and a pausable
// proxy, under load from several tenants, while backends are terminated, PgBouncer restarts,
// "Postgres" pauses and a table stays locked. Not part of `pnpm test`: it takes 25-40 s,
// deliberately breaks its own database route, and needs PgBouncer. The test file provisions what it
// needs itself (one file, one database), so there is no global setup.
export default defineConfig({
  // Same transform as vitest.config.ts (Nest's legacy decorators), should a test import src/.
  oxc: { decorator: { legacy: true } },
  test: {
    pool: 'forks',
    include: ['test/faults/**/*.test.ts'],
    // The run must stay under 3 minutes in all; these bound a hang well before that.
    testTimeout: 150_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
  },
});
