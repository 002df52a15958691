/**
 * prisma-example: Prisma's published RLS approach (the `row-level-security` client-extension
 * example), written here from its description: every operation becomes a batch transaction
 * `$transaction([$executeRaw\`select set_config(..., true)\`, query])` on a plain PrismaClient over a
 * plain pg.Pool, as the runtime role (tenantry_app, so RLS applies).
 *
 * Two choices, both in the peer's favour, so that the comparison measures the mechanism and nothing
 * else:
 * - The example builds a client per request with `prisma.$extends(forCompany(id))`; here the wrapper
 *   is applied directly, with no per-request `$extends`.
 * - The wrapped queries are the baseline's own (explicit `tenantId`), so the SQL is identical.
 * Both settings go in ONE `set_config` statement (the example sets one; ours has a workspace too).
 * Interactive transactions cannot use the batch form: they run the `set_config` as their first
 * statement, one extra round trip, which is what the example's approach costs there.
 */
import { createAdminPrismaClient } from '@tenantry/db/admin';
import type { Pick } from '../dataset.js';
import type { Strategy, StrategyOptions } from './types.js';
import { explicitQueries, explicitTransactionBody } from './explicit-queries.js';

export function prismaExampleStrategy(appUrl: string, options: StrategyOptions): Strategy {
  // A plain PrismaClient on a plain pg.Pool: the admin factory builds exactly that; the URL's role
  // (tenantry_app, NOBYPASSRLS) is what matters, not the factory's name.
  const db = createAdminPrismaClient({ connectionString: appUrl, poolSize: options.poolSize });
  const q = explicitQueries(db);
  const setConfig = (p: Pick, workspaceId: string) =>
    db.$executeRaw`select set_config('app.tenant_id', ${p.tenantId}, true), set_config('app.workspace_id', ${workspaceId}, true)`;
  return {
    name: 'prisma-example',
    ops: {
      findMany: async (p) => (await db.$transaction([setConfig(p, ''), q.findMany(p)]))[1],
      findUnique: async (p) => {
        const [, row] = await db.$transaction([setConfig(p, ''), q.findUnique(p)]);
        return row ? [row] : [];
      },
      create: async (p) => [(await db.$transaction([setConfig(p, p.workspaceId), q.create(p)]))[1]],
      nestedCreate: async (p) => {
        const [, project] = await db.$transaction([setConfig(p, p.workspaceId), q.nestedCreate(p)]);
        return [project, ...project.tasks];
      },
      transaction: (p) =>
        db.$transaction(async (tx) => {
          await tx.$executeRaw`select set_config('app.tenant_id', ${p.tenantId}, true), set_config('app.workspace_id', ${p.workspaceId}, true)`;
          return explicitTransactionBody(tx, p);
        }),
    },
    close: () => db.$disconnect(),
  };
}
