import { defineConfig } from 'vitest/config';

// One global setup provisions PostgreSQL (TEST_DATABASE_URL → Docker → embedded), a migrated database
// with the demo data and PgBouncer, builds the app (`next build`) and starts it (`next start`) on a
// random port. HTTP and browser tests then talk to that server; nothing is mocked.
export default defineConfig({
  resolve: { alias: { '@': new URL('./src', import.meta.url).pathname } },
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    fileParallelism: false, // two cores: the browser, the server and Postgres already share them
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/setup/global-setup.ts'],
  },
});
