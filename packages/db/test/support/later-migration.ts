/**
 * A later migration as `tenantry migrate dev` writes it once the schema has its Citus distribution
 * migration: Prisma's DDL for a new tenant table (an enum column, foreign keys to a distributed and
 * a reference table) and a new global table, then the generated RLS and the generated Citus block
 * (src/migrate/citus-migration.ts). Used on a single PostgreSQL (test/integration/citus-migration.test.ts)
 * and on a Citus cluster (test/citus/migration-route.test.ts): the same file, both outcomes.
 */
import { addCitusToMigration, addRlsToMigration } from '@tenantry/prisma/migrate';

export const LATER_MIGRATION_NAME = '20261203990000_notes';

/** What Prisma writes for the models: the DDL before the generator adds anything. */
export const PRISMA_DDL = `-- CreateEnum
CREATE TYPE "note_kind" AS ENUM ('plain', 'todo');

-- CreateTable
CREATE TABLE "note_labels" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,

    CONSTRAINT "note_labels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notes" (
    "tenant_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "kind" "note_kind" NOT NULL DEFAULT 'plain',
    "label_id" TEXT,
    "body" TEXT NOT NULL,

    CONSTRAINT "notes_pkey" PRIMARY KEY ("tenant_id","id")
);

-- AddForeignKey
ALTER TABLE "notes" ADD CONSTRAINT "notes_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notes" ADD CONSTRAINT "notes_tenant_id_workspace_id_project_id_fkey" FOREIGN KEY ("tenant_id", "workspace_id", "project_id") REFERENCES "projects"("tenant_id", "workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notes" ADD CONSTRAINT "notes_label_id_fkey" FOREIGN KEY ("label_id") REFERENCES "note_labels"("id") ON DELETE SET NULL ON UPDATE CASCADE;
`;

/** The generated migration.sql (RLS for notes, then the Citus block with the three foreign keys). */
export function laterMigrationSql(): string {
  const secured = addRlsToMigration(PRISMA_DDL, 'tenantry_app').sql;
  const citus = addCitusToMigration(secured);
  if (citus.foreignKeys !== 3 || citus.distributed.join() !== 'notes' || citus.reference.join() !== 'note_labels') {
    throw new Error(
      `The later migration's Citus block is not the expected one: ${JSON.stringify({ ...citus, sql: undefined })}`,
    );
  }
  return citus.sql;
}
