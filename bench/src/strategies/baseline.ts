/**
 * baseline: unscoped Prisma 7 on a role that bypasses RLS (tenantry_admin, through the one bypass
 * entry `@tenantry/db/admin`), naming the tenant explicitly in every query. What an application
 * without isolation pays; every other strategy is measured against it. The same through each
 * PgBouncer (`baseline-pgbouncer-session`, `-transaction`) is the same-route reference.
 */
import { createAdminPrismaClient } from '@tenantry/db/admin';
import type { Pick } from '../dataset.js';
import type { Strategy, StrategyName, StrategyOptions } from './types.js';
import { explicitQueries, explicitTransactionBody } from './explicit-queries.js';

export function baselineStrategy(
  name: Extract<StrategyName, 'baseline' | 'baseline-pgbouncer-session' | 'baseline-pgbouncer-transaction'>,
  adminUrl: string,
  options: StrategyOptions,
): Strategy {
  const db = createAdminPrismaClient({ connectionString: adminUrl, poolSize: options.poolSize });
  const q = explicitQueries(db);
  return {
    name,
    ops: {
      findMany: (p) => q.findMany(p),
      findUnique: async (p) => {
        const row = await q.findUnique(p);
        return row ? [row] : [];
      },
      create: async (p) => [await q.create(p)],
      nestedCreate: async (p) => {
        const project = await q.nestedCreate(p);
        return [project, ...project.tasks];
      },
      transaction: (p: Pick) => db.$transaction((tx) => explicitTransactionBody(tx, p)),
    },
    close: () => db.$disconnect(),
  };
}
