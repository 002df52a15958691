/**
 * The one way the kit's tests get a database: provisionTestRig on the fixture's migrations (RLS
 * included), a tenant client on the fixture's own PrismaClient keyed by organizationId/teamId, and
 * the admin client for seeding. Nothing here is Tenantry's own schema.
 */
import path from 'node:path';
import { createTenantPrismaClient, type TenantPrismaClient } from '@tenantry/prisma';
import { createAdminPrismaClient } from '@tenantry/prisma/admin';
import { provisionTestRig, type PoolMode, type Route, type TestRig } from '../../src/index.js';
import { PrismaClient } from '../fixture/generated/prisma/client.js';
import { fixtureDir } from '../setup/generate-fixture.js';

export const FIELDS = { tenantField: 'organizationId', workspaceField: 'teamId' } as const;
export const fixtureSchema = path.join(fixtureDir, 'schema.prisma');
export const fixtureMigrations = { schemaPath: fixtureSchema, migrationsDir: path.join(fixtureDir, 'migrations') };

export interface FixtureRig {
  rig: TestRig;
  admin: PrismaClient;
  /** A tenant-scoped client of the fixture's schema on `route` (with `$restore`: its folders and files are soft-deletable). */
  client(route?: Route, poolSize?: number): TenantPrismaClient<PrismaClient>;
  stop(): Promise<void>;
}

export async function provisionFixtureRig(name: string, modes: readonly PoolMode[] = []): Promise<FixtureRig> {
  const rig = await provisionTestRig({
    purpose: 'the @tenantry/testing tests',
    prefix: `tenantry_kit_${name}_${process.pid}`,
    migrations: fixtureMigrations,
    ...(modes.length ? { pgbouncer: { modes, poolSize: 6, ifMissing: 'direct' as const } } : {}),
  });
  const admin = createAdminPrismaClient({ PrismaClient, connectionString: rig.url('admin'), poolSize: 3 });
  const clients: Array<{ $disconnect(): Promise<void> }> = [];
  return {
    rig,
    admin,
    client(route = 'direct', poolSize = 4) {
      const client = createTenantPrismaClient({
        PrismaClient,
        connectionString: rig.url('app', route),
        poolSize,
        ...FIELDS,
        connectionTimeoutMillis: 30_000,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all([admin, ...clients].map((c) => c.$disconnect().catch(() => {})));
      await rig.stop();
    },
  };
}
