import { defineConfig } from 'vitest/config';

// Every integration test file runs three times, once per route from the runtime role to Postgres:
// straight to the server, and through PgBouncer in session and in transaction mode (I4 must hold in
// each). One global setup provisions the server, the template database and both PgBouncers.
const routes = ['direct', 'pgbouncer-session', 'pgbouncer-transaction'] as const;

export default defineConfig({
  resolve: {
    // The README examples import the package by name, as users do.
    alias: [
      { find: /^@tenantry\/db\/admin$/, replacement: new URL('./src/admin.ts', import.meta.url).pathname },
      { find: /^@tenantry\/db\/testing$/, replacement: new URL('./src/testing/index.ts', import.meta.url).pathname },
      { find: /^@tenantry\/db$/, replacement: new URL('./src/index.ts', import.meta.url).pathname },
    ],
  },
  test: {
    pool: 'forks',
    // Two files at a time: the tests wait on Postgres far more than they compute, and vitest's
    // default on two cores (one worker) left the suite at ~10 minutes in CI. Each file has its own
    // database and small pools, so two at once stay far below max_connections.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/setup/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/rig/**/*.test.ts'] },
      },
      ...routes.map((route) => ({
        extends: true as const,
        test: {
          name: route,
          include: ['test/integration/**/*.test.ts'],
          env: { TENANTRY_ROUTE: route },
        },
      })),
    ],
  },
});
