import { defineConfig } from 'vitest/config';

// e2e only: each file starts the real Nest app on a random port and talks HTTP to it; the app talks
// to real PostgreSQL as the runtime role through PgBouncer (session mode) when installed. One global
// setup provisions the server, a migrated database and the pooler for the whole run.
export default defineConfig({
  // Nest's parameter decorators are TypeScript legacy decorators (tsconfig experimentalDecorators).
  oxc: { decorator: { legacy: true } },
  test: {
    pool: 'forks',
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/setup/global-setup.ts'],
  },
});
