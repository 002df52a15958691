-- Soft delete for projects and tasks (docs/soft-delete.md, "This repository"). The two ALTER TABLEs
-- were written by `tenantry migrate dev --create-only --name soft_delete` from schema.prisma; the
-- triggers below them are hand-written (Prisma's schema language has no triggers, and Prisma Migrate
-- neither diffs nor drops them, so `pnpm db:drift` stays clean).
--
-- Workspaces stay hard-deleted: their unique name would need a partial unique index on live rows,
-- and Prisma 7.10's `migrate dev` writes that index again into every later migration (prisma/orm#29263),
-- where it fails on apply; without the schema's `where:` the index is drift. Deleting a workspace
-- still removes its projects and tasks (ON DELETE CASCADE), deleted ones included.

-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "tasks" ADD COLUMN     "deleted_at" TIMESTAMPTZ(3);

-- Deleting a project deletes its live tasks with it; restoring the project restores exactly the
-- tasks deleted with it (the same deleted_at), not those deleted on their own before. The
-- engine rewrites `delete` into `UPDATE ... SET deleted_at`, so these are UPDATE triggers, and they
-- hold for every route: a model delete, a nested delete, raw SQL, the admin client. They run with
-- the caller's rights and under its RLS (SECURITY INVOKER): a context that can update the project sees
-- its tasks (same tenant, and same workspace: rule 5 of schema-rules.md).
-- Hard deletes still cascade through the foreign keys (ON DELETE CASCADE).
CREATE FUNCTION "soft_delete_project_tasks"() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF OLD.deleted_at IS NULL THEN
    UPDATE "tasks" SET deleted_at = NEW.deleted_at, updated_at = now()
     WHERE tenant_id = NEW.tenant_id AND project_id = NEW.id AND deleted_at IS NULL;
  ELSIF NEW.deleted_at IS NULL THEN
    UPDATE "tasks" SET deleted_at = NULL, updated_at = now()
     WHERE tenant_id = NEW.tenant_id AND project_id = NEW.id AND deleted_at = OLD.deleted_at;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER "soft_delete_project_tasks" AFTER UPDATE OF "deleted_at" ON "projects"
  FOR EACH ROW WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
  EXECUTE FUNCTION "soft_delete_project_tasks"();

-- A live task never hangs under a deleted project: creating a task in a deleted project, moving one
-- there, or restoring a task whose project is still deleted fails like a reference to a missing row
-- (23503, Prisma P2003, the API's 422), naming the fix. So a live task's to-one `project` include is
-- always a live project (the engine does not filter to-one includes).
CREATE FUNCTION "tasks_in_live_project"() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.deleted_at IS NULL AND EXISTS (
    SELECT 1 FROM "projects" p WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.project_id AND p.deleted_at IS NOT NULL
  ) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'tasks_project_is_live', TABLE = 'tasks',
      MESSAGE = 'Cannot write a live task in a deleted project. Restore the project first (restoring it restores the tasks deleted with it).';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER "tasks_in_live_project" BEFORE INSERT OR UPDATE OF "deleted_at", "project_id" ON "tasks"
  FOR EACH ROW EXECUTE FUNCTION "tasks_in_live_project"();
