// The engine's migrate runner (@tenantry/prisma/migrate) on this package's schema and migrations, for the
// tests (test/rig/migrations.test.ts): TENANTRY_SCHEMA_PATH / TENANTRY_MIGRATIONS_DIR, else packages/db/prisma.
import { fileURLToPath } from 'node:url';
import { checkDrift as checkDriftAt, migrationsDirFromEnv, schemaPathFromEnv, type MigrationTarget } from '@tenantry/prisma/migrate';

export * from '@tenantry/prisma/migrate';

const prismaDir = fileURLToPath(new URL('../../prisma/', import.meta.url));
const withPackagePaths = (target: MigrationTarget): MigrationTarget => ({
  ...target,
  schemaPath: target.schemaPath ?? schemaPathFromEnv(process.env, `${prismaDir}schema.prisma`),
  migrationsDir: target.migrationsDir ?? migrationsDirFromEnv(process.env, `${prismaDir}migrations`),
});

export const checkDrift = (target: MigrationTarget) => checkDriftAt(withPackagePaths(target));
