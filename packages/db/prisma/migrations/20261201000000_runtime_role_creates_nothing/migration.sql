-- Least privilege at the root: the runtime role creates nothing, not even for its own session.
--
-- * TEMPORARY: every role gets it on a new database through PUBLIC. A temp table lives as long as
--   the session, which behind a pooler is shared by later clients, and pg_temp comes first in
--   search_path, so `create temp table projects (...)` would shadow the tenant table for every
--   later statement on that connection. Transaction-local settings cannot undo that; not having the
--   privilege does. Roles that need temp tables get TEMPORARY granted to them by name.
-- * CREATE on the database (schemas) and on the schema (tables, views, functions): raw SQL is
--   trusted code, but an object the runtime role owns is one whose RLS it controls.
--
-- Database privileges are not copied by CREATE DATABASE ... TEMPLATE: a database created from a
-- migrated template needs this REVOKE again (the test rig's copies do it in
-- src/testing/databases.ts, restrictDatabasePrivileges). `pnpm db:check` fails a database where the
-- runtime role has any of these privileges.
--
-- REVOKE by a role that is neither the owner nor the grantor changes nothing (only a warning), so
-- the result is checked, and the migration fails saying what to run.
DO $$
DECLARE
  db text := current_database();
  sch text := current_schema();
BEGIN
  BEGIN
    EXECUTE format('REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC, tenantry_app', db);
  EXCEPTION WHEN insufficient_privilege THEN
    NULL; -- reported below, with the fix
  END;
  BEGIN
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC, tenantry_app', sch);
  EXCEPTION WHEN insufficient_privilege THEN
    NULL;
  END;
  IF has_database_privilege('tenantry_app', db, 'TEMPORARY') OR has_database_privilege('tenantry_app', db, 'CREATE') THEN
    RAISE EXCEPTION USING
      ERRCODE = 'insufficient_privilege',
      MESSAGE = format('Cannot revoke TEMPORARY and CREATE on database %I from tenantry_app because role %I, which runs this migration, is neither the database owner (%I) nor the grantor, or tenantry_app inherits them from another role. Run as the owner or a superuser: REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC, tenantry_app; (and from any role tenantry_app inherits), then deploy again.', db, current_user, (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = db), db);
  END IF;
  IF has_schema_privilege('tenantry_app', sch, 'CREATE') THEN
    RAISE EXCEPTION USING
      ERRCODE = 'insufficient_privilege',
      MESSAGE = format('Cannot revoke CREATE on schema %I from tenantry_app because role %I, which runs this migration, is neither the schema owner nor the grantor, or tenantry_app inherits it from another role. Run as the schema owner or a superuser: REVOKE CREATE ON SCHEMA %I FROM PUBLIC, tenantry_app; (and from any role tenantry_app inherits), then deploy again.', sch, current_user, sch);
  END IF;
END
$$;
