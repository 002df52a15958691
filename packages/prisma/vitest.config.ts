import { defineConfig } from 'vitest/config';

// The engine's own tests: pure (no database, no network), so they run in CI in seconds. The
// database-backed suites live in packages/db, which builds this app with the engine. The global setup
// generates the fixture schema's client (test/fixture), the one schema these tests use.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/generate-fixture.ts'],
    testTimeout: 10_000,
  },
});
