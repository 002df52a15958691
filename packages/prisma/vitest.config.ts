import { defineConfig } from 'vitest/config';

// The engine's own tests: pure (no database, no network), so they run in CI in seconds. The
// database-backed suites live in packages/db, which builds this app with the engine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 10_000,
  },
});
