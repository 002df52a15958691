-- The Supabase auth bridge (docs/supabase.md, "Supabase Auth"). On a Supabase database, Supabase
-- Auth's users are mirrored into public.users, and its custom access token hook puts the user's
-- tenants into the token's app_metadata. On any other database this migration does nothing: it is
-- one DO block that returns unless auth.users and the role supabase_auth_admin both exist, so the
-- same migrations run everywhere and `_prisma_migrations` records it as applied either way.
--
-- Who runs what, and why nothing here is SECURITY DEFINER:
-- * Supabase Auth (GoTrue) writes auth.users in its own session, as supabase_auth_admin, and calls
--   the hook as that role too. Both functions are SECURITY INVOKER with `search_path = ''`
--   (GoTrue's session has search_path `auth`), so they run as supabase_auth_admin whoever owns them.
--   A SECURITY DEFINER function would run as the migration owner instead, and public.users and
--   memberships FORCE row level security: it would only work for an owner with BYPASSRLS (Supabase's
--   postgres), and fail every sign-up for tenantry_owner or a migration role without it.
-- * supabase_auth_admin gets exactly what the bridge needs, each grant with a policy TO it, the form
--   Supabase documents for auth hooks ("grant usage on schema public", "grant execute ... to
--   supabase_auth_admin", "revoke execute ... from authenticated, anon, public", a select grant and a
--   `to supabase_auth_admin` select policy on the table the hook reads). It can read and write
--   public.users and read memberships; every other table stays closed to it (no grant: 42501).
-- * anon and authenticated get nothing: the hook and the trigger function are not executable by
--   them (a function in public is callable through PostgREST's /rpc), and the table privileges
--   Supabase's default privileges gave them on Tenantry's tables are revoked (Supabase's hook guide
--   does the same for the table its hook reads).
DO $bridge$
DECLARE
  api_role text;
BEGIN
  IF to_regclass('auth.users') IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    RETURN; -- not a Supabase database
  END IF;
  IF NOT has_schema_privilege('auth', 'USAGE') OR NOT has_table_privilege('auth.users', 'TRIGGER') THEN
    RAISE EXCEPTION USING
      ERRCODE = 'insufficient_privilege',
      MESSAGE = format('Cannot install the Supabase auth bridge because role %I, which runs this migration, may not create a trigger on auth.users. Run the migrations as postgres (Supabase grants it TRIGGER on auth.users), then deploy again.', current_user);
  END IF;

  -- The mirror. Emails are stored lower-case (GoTrue lower-cases them too; invitations compare
  -- lower(email)). The name comes from the sign-up's full_name or name, else the email's local part.
  -- A user without an email (phone or anonymous sign-in) has no public.users row, because
  -- public.users.email is NOT NULL, and signs up normally; the row appears when an email is set.
  -- Setting an email back to null leaves the row as it was: deleting it would cascade to the
  -- user's memberships. An email that another public.users row already holds (a row not created
  -- by this trigger, e.g. seeded) fails the sign-up rather than linking the two: linking by email
  -- would hand that row's memberships to whoever signed up with the address, confirmed or not.
  EXECUTE $sql$
    CREATE FUNCTION public.mirror_auth_user() RETURNS trigger
      LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
    AS $fn$
    DECLARE
      mirrored_email text;
      mirrored_name text;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM public.users WHERE id = OLD.id; -- memberships follow (ON DELETE CASCADE)
        RETURN OLD;
      END IF;
      mirrored_email := lower(nullif(btrim(NEW.email), ''));
      IF mirrored_email IS NULL THEN
        RETURN NEW;
      END IF;
      mirrored_name := coalesce(
        nullif(btrim(NEW.raw_user_meta_data ->> 'full_name'), ''),
        nullif(btrim(NEW.raw_user_meta_data ->> 'name'), ''),
        split_part(mirrored_email, '@', 1));
      BEGIN
        INSERT INTO public.users AS u (id, email, name) VALUES (NEW.id, mirrored_email, mirrored_name)
          ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name
          WHERE (u.email, u.name) IS DISTINCT FROM (excluded.email, excluded.name);
      EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING
          ERRCODE = 'unique_violation',
          MESSAGE = 'Cannot mirror a Supabase auth user into public.users because another user there already has this email.',
          HINT = 'Delete or re-address that public.users row (it was not created by Supabase Auth), then sign up again.';
      END;
      RETURN NEW;
    END
    $fn$
  $sql$;
  -- GoTrue updates auth.users on every sign-in (last_sign_in_at and more): UPDATE OF limits the
  -- trigger to statements that set a mirrored column, and the DO UPDATE's WHERE skips the write when
  -- neither the email nor the name changed.
  EXECUTE $sql$
    CREATE TRIGGER mirror_to_public_users AFTER INSERT OR UPDATE OF email, raw_user_meta_data OR DELETE ON auth.users
      FOR EACH ROW EXECUTE FUNCTION public.mirror_auth_user()
  $sql$;

  -- The custom access token hook (Supabase Auth → Hooks → Customize Access Token, or config.toml
  -- [auth.hook.custom_access_token] uri = "pg-functions://postgres/public/custom_access_token_hook").
  -- app_metadata.tenant_id: the tenant already there (GoTrue fills app_metadata from
  -- raw_app_meta_data, where the app stores the tenant the user switched to) while the user is still
  -- a member of it, else the oldest membership; tenant_role: the membership's role; tenant_ids: the
  -- user's tenants, oldest first, at most 50 (the web app's switcher). No membership: no tenant_id,
  -- no tenant_role, an empty tenant_ids. user_metadata is never read: the user can write it.
  EXECUTE $sql$
    CREATE FUNCTION public.custom_access_token_hook(event jsonb) RETURNS jsonb
      LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = ''
    AS $fn$
    DECLARE
      uid uuid := (event ->> 'user_id')::uuid;
      claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
      app_metadata jsonb;
      current_tenant text;
      active_tenant uuid;
      active_role public.membership_role;
      member_of jsonb;
    BEGIN
      app_metadata := CASE WHEN jsonb_typeof(claims -> 'app_metadata') = 'object' THEN claims -> 'app_metadata' ELSE '{}'::jsonb END;
      current_tenant := lower(app_metadata ->> 'tenant_id');
      SELECT coalesce(jsonb_agg(m.tenant_id ORDER BY m.created_at, m.tenant_id), '[]'::jsonb) INTO member_of
        FROM (SELECT tenant_id, created_at FROM public.memberships WHERE user_id = uid
              ORDER BY created_at, tenant_id LIMIT 50) m;
      SELECT m.tenant_id, m.role INTO active_tenant, active_role
        FROM public.memberships m
       WHERE m.user_id = uid
       ORDER BY (m.tenant_id::text = current_tenant) IS TRUE DESC, m.created_at, m.tenant_id
       LIMIT 1;
      IF active_tenant IS NULL THEN
        app_metadata := app_metadata - 'tenant_id' - 'tenant_role';
      ELSE
        app_metadata := app_metadata || jsonb_build_object('tenant_id', active_tenant, 'tenant_role', active_role);
      END IF;
      app_metadata := app_metadata || jsonb_build_object('tenant_ids', member_of);
      RETURN jsonb_set(event, '{claims}', jsonb_set(claims, '{app_metadata}', app_metadata));
    END
    $fn$
  $sql$;

  GRANT USAGE ON SCHEMA public TO supabase_auth_admin;
  GRANT EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb) TO supabase_auth_admin;
  REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb), public.mirror_auth_user() FROM PUBLIC;
  GRANT SELECT, INSERT, UPDATE (email, name), DELETE ON public.users TO supabase_auth_admin;
  GRANT SELECT ON public.memberships TO supabase_auth_admin;
  EXECUTE $sql$
    CREATE POLICY "supabase auth keeps users in step with auth.users" ON public.users
      FOR ALL TO supabase_auth_admin USING (true) WITH CHECK (true)
  $sql$;
  EXECUTE $sql$
    CREATE POLICY "supabase auth reads memberships for the access token hook" ON public.memberships
      FOR SELECT TO supabase_auth_admin USING (true)
  $sql$;
  -- Supabase's default privileges have granted ALL on every table created so far (and EXECUTE on
  -- these functions) to anon and authenticated, which the Data API (PostgREST) reaches: no policy
  -- names them, but TRUNCATE, REFERENCES and TRIGGER are not subject to RLS at all, and
  -- _prisma_migrations has no RLS. Tenantry's tables are for tenantry_app, so they get nothing.
  FOR api_role IN SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated') LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION public.custom_access_token_hook(jsonb), public.mirror_auth_user() FROM %I', api_role);
    EXECUTE format('REVOKE ALL ON public.tenants, public.users, public.memberships, public.workspaces, public.projects, public.tasks, public.invitations FROM %I', api_role);
    IF to_regclass('public._prisma_migrations') IS NOT NULL THEN
      EXECUTE format('REVOKE ALL ON public._prisma_migrations FROM %I', api_role);
    END IF;
  END LOOP;
END
$bridge$;
