// The README's isolation-kit example, compiled by `pnpm typecheck` (see readme-snippets.test.ts).
// snippet: isolation-kit
import { describe, expect, it } from 'vitest';
import { createTenantPrismaClient } from '@tenantry/db';
import { createAdminPrismaClient } from '@tenantry/db/admin';
import { formatIsolationReport, runIsolationFuzz, type FuzzOperation, type FuzzTenant } from '@tenantry/db/testing';

describe('tenant isolation of my schema', () => {
  it('finds no leaks', async () => {
    const client = createTenantPrismaClient({ connectionString: process.env.DATABASE_URL, poolSize: 8 });
    const admin = createAdminPrismaClient(); // DATABASE_ADMIN_URL: seeds and checks the oracle
    // Your tenants (seed them however you like); `known` lists row ids per model to aim at.
    const tenants: FuzzTenant[] = (await admin.tenant.findMany({ take: 50 })).map((t) => ({
      tenantId: t.id,
      workspaceIds: [],
      known: new Map(),
    }));
    // Reads of every kind for every model with a tenantId come from the schema; add your writes.
    const createInvoice: FuzzOperation = {
      name: 'workspace.create',
      weight: 2,
      async run({ client, rng, oracle, ctx }) {
        const id = rng.uuid();
        oracle.attempt('Workspace', id, ctx.tenantId);
        const row = await client.workspace.create({ data: { id, name: `fuzz-${id}` } });
        oracle.settle([id], 'acked');
        oracle.checkRows('workspace.create', ctx, [row]);
      },
    };
    const report = await runIsolationFuzz({ client, admin, tenants, ops: 5_000, seed: 1, extraOperations: [createInvoice] });
    console.log(formatIsolationReport(report));
    expect([report.crossTenantRows, report.noContextRows, report.lostWrites, report.phantomWrites, report.inheritedSessionState]).toEqual([0, 0, 0, 0, 0]);
    await Promise.all([client.$disconnect(), admin.$disconnect()]);
  }, 120_000);
});
// end-snippet
