import { defineConfig } from 'vitest/config';

// The kit's own tests, on a schema that is not Tenantry's (test/fixture: organizationId, teams as the
// workspace). The global setup generates the fixture's client; each file provisions its own throwaway
// database with provisionTestRig (TEST_DATABASE_URL, else testcontainers, else embedded Postgres).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
