import { defineConfig } from 'vitest/config';

// `pnpm test:citus` (docs/citus.md): the isolation integration tests on a real Citus cluster, given by
// CITUS_URL (a superuser URL of the coordinator, at least two workers registered). Every file's
// database is migrated, then distributed (tenant tables by tenant_id, global tables as reference
// tables, local execution off so every statement goes through the workers' shards), and every
// client runs in Citus mode (DATABASE_DISTRIBUTED=citus). On all three routes, like `pnpm test`.
// Not part of `.ci/run`: Citus is no Debian package.
// The global setup runs in this process, not in the test workers: it reads these too.
process.env.TENANTRY_CITUS = '1';
process.env.DATABASE_DISTRIBUTED = 'citus';

const routes = ['direct', 'pgbouncer-session', 'pgbouncer-transaction'] as const;

/** The isolation files that run here; docs/citus.md says why the others do not. */
export const CITUS_FILES = [
  'citus-mode',
  'cross-tenant-reads',
  'cross-tenant-writes',
  'no-context-fail-closed',
  'nested-writes',
  'interactive-transactions',
  'raw-sql-boundaries',
  'concurrent-tenants',
  'injection',
  'workspace-scoping',
  'foreign-tenant-arguments',
  'context-integrity',
  'batch-transactions',
  'audit-log',
  'soft-delete-schema',
]
  .map((name) => `test/integration/${name}.test.ts`)
  // Lane-only checks: the plans the workers run.
  .concat(['test/citus/**/*.test.ts']);

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tenantry\/db\/admin$/, replacement: new URL('./src/admin.ts', import.meta.url).pathname },
      { find: /^@tenantry\/db\/testing$/, replacement: new URL('./src/testing/index.ts', import.meta.url).pathname },
      { find: /^@tenantry\/db$/, replacement: new URL('./src/index.ts', import.meta.url).pathname },
    ],
  },
  test: {
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/setup/global-setup.ts'],
    env: { TENANTRY_CITUS: '1', DATABASE_DISTRIBUTED: 'citus' },
    projects: routes.map((route) => ({
      extends: true as const,
      test: {
        name: `citus-${route}`,
        include: CITUS_FILES,
        env: { TENANTRY_ROUTE: route, TENANTRY_CITUS: '1', DATABASE_DISTRIBUTED: 'citus' },
      },
    })),
  },
});
