-- Run by `pnpm db:citus` before the tables are distributed (docs/citus.md). Citus refuses subqueries
-- in policies on distributed and reference tables; this schema has two policies with one beyond the
-- tenant settings. Each subquery moves, unchanged, into a STABLE SQL function that runs as the caller
-- (so the RLS of the tables it reads still applies) and the policy calls the function instead.
-- The rest of the policies are made Citus-ready by the engine (distributeForCitus).

-- users: a tenant sees its members and the acting user.
CREATE OR REPLACE FUNCTION "is_member_of_active_tenant"(uid uuid) RETURNS boolean
  LANGUAGE sql STABLE SET search_path FROM CURRENT
  AS $$ SELECT EXISTS (SELECT 1 FROM "memberships" m
                        WHERE m.user_id = uid AND m.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) $$;
ALTER POLICY "tenant sees only its members and the acting user" ON "users"
  USING (id = NULLIF(current_setting('app.user_id', true), '')::uuid OR "is_member_of_active_tenant"(id));

-- memberships: a user joins a tenant only by accepting its pending invitation.
CREATE OR REPLACE FUNCTION "invitation_pending_for_acting_user"(tenant uuid, invited_role "membership_role") RETURNS boolean
  LANGUAGE sql STABLE SET search_path FROM CURRENT
  AS $$ SELECT EXISTS (SELECT 1 FROM "invitations" i
                        WHERE i.tenant_id = tenant AND lower(i.email) = lower("acting_user_email"())
                          AND i.role = invited_role AND i.expires_at > now()) $$;
ALTER POLICY "user joins a tenant only by accepting its invitation" ON "memberships"
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
    AND NULLIF(current_setting('app.workspace_id', true), '')::uuid IS NULL
    AND user_id = NULLIF(current_setting('app.user_id', true), '')::uuid
    AND "invitation_pending_for_acting_user"(tenant_id, role));
