-- Full-text search over projects' names and tasks' titles (docs/full-text-search.md; the query is
-- searchTenant in packages/db/src/search.ts). Hand-written: Prisma's schema language cannot declare
-- an expression index, and Prisma Migrate neither diffs nor drops one, so `pnpm db:drift` stays clean
-- (checked when this was written, Prisma 7.10).
--
-- One GIN index per table, leading with tenant_id (btree_gin gives GIN its uuid operator class), on
-- the same expression the query matches: to_tsvector('simple', <column>). 'simple' because names and
-- titles are short, mixed-language and full of product words and codes that a language stemmer or
-- stop-word list would mangle or drop (docs/full-text-search.md, "Text search configuration").
--
-- What the planner does with it, measured on PG 15 (docs/full-text-search.md, "Index and plan"):
-- without RLS (the admin client) a search is a Bitmap Index Scan on both columns. As the runtime role,
-- under RLS, Postgres may use a condition as an index condition only if its functions are LEAKPROOF
-- or it is one of the policy's own conditions; to_tsvector and the @@ operator (ts_match_vq) are not
-- marked LEAKPROOF, so there the plan reads the tenant's rows by a tenant_id index and filters them.
-- A superuser can mark the two functions LEAKPROOF (a decision with a stated risk, in the doc), and
-- then the runtime role's search uses these indexes too.
--
-- btree_gin is a trusted extension (PG 13+): the migration owner creates it when it has CREATE on the
-- database (the owner owns the database here); elsewhere a superuser runs CREATE EXTENSION btree_gin
-- once before migrating, and IF NOT EXISTS leaves it be.
CREATE EXTENSION IF NOT EXISTS "btree_gin";

CREATE INDEX "projects_search_idx" ON "projects" USING gin ("tenant_id", to_tsvector('simple'::regconfig, "name"));

CREATE INDEX "tasks_search_idx" ON "tasks" USING gin ("tenant_id", to_tsvector('simple'::regconfig, "title"));
