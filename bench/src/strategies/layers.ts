/**
 * The layer strategies: each switches on one part of tenantry-direct, on the same queries, so the
 * report can say which layer costs what (baseline → + extension → + settings → + RLS = full).
 *
 * - layer-extension: the tenant extension and its batching hook (the engine's own factory), over a
 *   plain pg.Pool on the BYPASSRLS role: no settings statement, no policies. The queries are the
 *   application's (no tenant in `where`), scoped by the extension.
 * - layer-settings: the TenantPool (the settings statement with every statement) on the BYPASSRLS
 *   role, under a plain PrismaClient (with the engine's batching hook) running the baseline's
 *   explicit queries: no extension, and the policies are bypassed.
 * - layer-rls-settings: the same on the runtime role, so the policies apply: RLS + settings, no
 *   extension. tenantry-direct adds the extension to this.
 */
import pg from 'pg';
import { TenantPool, bindRequestsToCallerContext, createTenantPrismaClient, tenantContext } from '@tenantry/db';
import type { Pick } from '../dataset.js';
import { explicitQueries, explicitTransactionBody } from './explicit-queries.js';
import { modelOperation } from './model-operation.js';
import { prismaOverPool } from './prisma-pieces.js';
import { tenantryOperations } from './tenantry.js';
import type { Strategy, StrategyName, StrategyOptions } from './types.js';

export function extensionOnlyStrategy(adminUrl: string, options: StrategyOptions): Strategy {
  const pool = new pg.Pool({ connectionString: adminUrl, max: options.poolSize });
  pool.on('error', () => {});
  // The factory wants its TenantPool; it relies only on what pg.Pool has (adapter-pg's instanceof
  // check passes), and a plain pool sends no settings, which is the point here.
  const db = createTenantPrismaClient({ pool: pool as unknown as TenantPool });
  return {
    name: 'layer-extension',
    ops: tenantryOperations(db),
    async close() {
      await db.$disconnect();
      if (!pool.ending) await pool.end();
    },
  };
}

export function settingsStrategy(
  name: Extract<StrategyName, 'layer-settings' | 'layer-rls-settings'>,
  url: string,
  options: StrategyOptions,
): Strategy {
  // pooler 'none': a direct connection, as tenantry-direct's (the default, 'transaction', resets before every
  // statement because a transaction-mode pooler shares the server session).
  const pool = new TenantPool({ connectionString: url, max: options.poolSize, pooler: 'none' });
  pool.on('error', () => {});
  const db = prismaOverPool(pool);
  // The engine's batching hook, without which Prisma coalesces concurrent findUnique calls of
  // different tenants into one statement under the first caller's settings (the others read null
  // through RLS). It is part of the connection layer's correctness, not of the extension measured apart.
  bindRequestsToCallerContext(db);
  const q = explicitQueries(db);
  // Model operations (in the interactive transaction too), marked as the engine's hook marks
  // Prisma's, over an adapter wrapped as the engine wraps its own (see model-operation.ts): without
  // the marks every pipeline would start with DISCARD ALL, which tenantry-direct skips on a clean
  // session, and the reset would be counted as the settings' cost.
  const inTenant = <R>(p: Pick, fn: () => Promise<R>) =>
    tenantContext.run({ tenantId: p.tenantId }, () => modelOperation(fn));
  const inWorkspace = <R>(p: Pick, fn: () => Promise<R>) =>
    tenantContext.run({ tenantId: p.tenantId, workspaceId: p.workspaceId }, () => modelOperation(fn));
  const inWorkspaceTransaction = <R>(p: Pick, fn: () => Promise<R>) =>
    tenantContext.run({ tenantId: p.tenantId, workspaceId: p.workspaceId }, () => modelOperation(fn));
  return {
    name,
    ops: {
      findMany: (p) => inTenant(p, () => q.findMany(p)),
      findUnique: async (p) => {
        const row = await inTenant(p, () => q.findUnique(p));
        return row ? [row] : [];
      },
      create: async (p) => [await inWorkspace(p, () => q.create(p))],
      nestedCreate: async (p) => {
        const project = await inWorkspace(p, () => q.nestedCreate(p));
        return [project, ...project.tasks];
      },
      transaction: (p) => inWorkspaceTransaction(p, () => db.$transaction((tx) => explicitTransactionBody(tx, p))),
    },
    async close() {
      await db.$disconnect();
      if (!pool.ending) await pool.end();
    },
  };
}
