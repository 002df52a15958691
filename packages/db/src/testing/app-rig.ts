/**
 * The kit (@tenantry/testing) bound to this package: its schema and migrations, and its demo data.
 * Everything else (provisioning, roles, PgBouncer, the rig's life cycle) is the kit's, once.
 */
import { fileURLToPath } from 'node:url';
// Types only: importing @tenantry/prisma/migrate loads Prisma Migrate (~1 s), so only migrating does (below).
import type { MigrateDeployResult, MigrationTarget } from '@tenantry/prisma/migrate';
import {
  createMigratedDatabase as createMigratedDatabaseFrom,
  migrationSourceFromEnv,
  provisionTestRig as provisionRig,
  type MigrationSource,
  type PostgresServer,
  type RigUpstream,
  type TestRig,
  type TestRigOptions,
} from '@tenantry/testing';
import { seedDemoDataAt } from './demo-data.js';

/** This package's schema.prisma and migrations (TENANTRY_SCHEMA_PATH / TENANTRY_MIGRATIONS_DIR win, as in prisma.config.ts). */
export function appMigrations(): MigrationSource {
  return migrationSourceFromEnv(fileURLToPath(new URL('../../', import.meta.url)));
}

/** The engine's migrate runner on this package's migrations, from any working directory. */
export async function migrateDeploy(target: MigrationTarget): Promise<MigrateDeployResult> {
  const { migrateDeploy: deployMigrations } = await import('@tenantry/prisma/migrate');
  return deployMigrations({ ...appMigrations(), ...target });
}

/** The kit's createMigratedDatabase with this package's migrations. */
export function createMigratedDatabase(server: PostgresServer, name: string): Promise<void> {
  return createMigratedDatabaseFrom(server, name, appMigrations());
}

export type AppTestRigOptions<U extends RigUpstream | undefined = undefined> = Omit<
  TestRigOptions<U>,
  'migrations' | 'seed'
> & {
  /** `'demo'`: load the demo tenants (DEMO) as the admin role. Default: none. */
  seed?: 'demo' | false;
};

/** The kit's provisionTestRig on this package's migrations, with `seed: 'demo'` for the demo data. */
export function provisionTestRig<U extends RigUpstream | undefined = undefined>(
  options: AppTestRigOptions<U> = {},
): Promise<TestRig<U>> {
  const { seed, ...rest } = options;
  return provisionRig<U>({
    ...rest,
    migrations: appMigrations(),
    seed: seed === 'demo' ? (database) => seedDemoDataAt(database.url('admin')) : false,
  });
}
