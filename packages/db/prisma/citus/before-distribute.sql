-- Run by the Citus setup before the tables are distributed (docs/citus.md). Citus refuses subqueries
-- in policies on distributed and reference tables; this schema has two policies with one beyond the
-- tenant settings. Each subquery moves, unchanged, into a STABLE PL/pgSQL function that runs as the
-- caller (so the RLS of the table it reads still applies) and the policy calls the function instead.
-- PL/pgSQL, not SQL: Citus cannot plan a parameterized SQL function's query ("could not create
-- distributed plan"). The rest of the policies are made Citus-ready by the engine (distributeForCitus).

-- users (a reference table): a tenant sees its members and the acting user. The check reads
-- memberships, a distributed table, from wherever the users row is read, which can be a worker: a
-- distributed query from a shard, which Citus allows only with allow_nested_distributed_execution,
-- set here for this function's own statement only. Where Citus still cannot run it (users joined to a
-- distributed table in one statement) the statement fails: it never shows more rows. docs/citus.md.
CREATE OR REPLACE FUNCTION "is_member_of_active_tenant"(uid uuid) RETURNS boolean
  LANGUAGE plpgsql STABLE SET search_path FROM CURRENT SET citus.allow_nested_distributed_execution = on
  AS $$ BEGIN
    RETURN EXISTS (SELECT 1 FROM "memberships" m
                    WHERE m.user_id = uid AND m.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
  END $$;
ALTER POLICY "tenant sees only its members and the acting user" ON "users"
  USING (id = NULLIF(current_setting('app.user_id', true), '')::uuid OR "is_member_of_active_tenant"(id));

-- memberships: a user joins a tenant only by accepting its pending invitation (invitations is
-- colocated with memberships: the check reads the same tenant's shard).
CREATE OR REPLACE FUNCTION "invitation_pending_for_acting_user"(tenant uuid, invited_role "membership_role") RETURNS boolean
  LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
  AS $$ BEGIN
    RETURN EXISTS (SELECT 1 FROM "invitations" i
                    WHERE i.tenant_id = tenant AND lower(i.email) = lower("acting_user_email"())
                      AND i.role = invited_role AND i.expires_at > now());
  END $$;
ALTER POLICY "user joins a tenant only by accepting its invitation" ON "memberships"
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
    AND NULLIF(current_setting('app.workspace_id', true), '')::uuid IS NULL
    AND user_id = NULLIF(current_setting('app.user_id', true), '')::uuid
    AND "invitation_pending_for_acting_user"(tenant_id, role));
