// The README's isolation-kit example, compiled by `pnpm typecheck` (see readme-snippets.test.ts).
// snippet: isolation-kit
import { describe, expect, it } from 'vitest';
import { createTenantPrismaClient } from '@tenantry/prisma';
import { createAdminPrismaClient } from '@tenantry/prisma/admin';
import { formatIsolationReport, runIsolationFuzz, seedTenants } from '@tenantry/testing';
import { PrismaClient } from '../src/generated/prisma/client.js'; // your generated client

describe('tenant isolation of my schema', () => {
  it('finds no leaks', async () => {
    const client = createTenantPrismaClient({ PrismaClient, connectionString: process.env.DATABASE_URL, poolSize: 8 });
    const admin = createAdminPrismaClient({ PrismaClient }); // DATABASE_ADMIN_URL: seeds and checks the oracle
    // 20 tenants with rows in every tenant-scoped model, planned from the schema (keys, relations, uniques).
    const schema = 'prisma/schema.prisma';
    const tenants = await seedTenants(admin, 20, { schema, seed: 1 });
    // Reads, writes, nested writes, rollbacks, foreign-id probes, raw SQL and session-state attacks,
    // all derived from the schema; `extraOperations` adds your own.
    const report = await runIsolationFuzz({ client, admin, tenants, schema, ops: 5_000, seed: 1 });
    console.log(formatIsolationReport(report));
    expect([report.crossTenantRows, report.noContextRows, report.lostWrites, report.phantomWrites, report.inheritedSessionState]).toEqual([0, 0, 0, 0, 0]);
    await Promise.all([client.$disconnect(), admin.$disconnect()]);
  }, 120_000);
});
// end-snippet
