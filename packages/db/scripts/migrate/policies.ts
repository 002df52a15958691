// Policy generation lives in the engine (@tenantry/prisma/migrate, src/migrate/policies.ts); re-exported for the tests.
export { addRlsToMigration, tenantTablesCreatedIn, workspaceKeyWarnings } from '@tenantry/prisma/migrate';
