/**
 * A database that looks like a Supabase database to the auth bridge migration, on plain Postgres:
 * Supabase's roles (supabase_auth_admin, anon, authenticated, service_role) and an `auth.users` with
 * the columns of GoTrue's table the bridge uses, owned by supabase_auth_admin as on Supabase. The
 * migration owner (tenantry_owner here, postgres on Supabase) gets USAGE on `auth` and TRIGGER on
 * auth.users, which Supabase grants postgres, and Supabase's default privileges for the API roles
 * apply to what the owner creates in public. Install it BEFORE migrating: the bridge migration
 * decides once, when it runs, whether the database is a Supabase database.
 *
 * Roles are cluster-wide and shared with parallel files and runs (supabase.ts makes the API roles
 * the same way): created idempotently under the advisory lock ensureRoles uses, never altered, and
 * they own nothing outside these tests' databases.
 */
import pg from 'pg';
import { ROLES } from '../../src/testing/index.js';

const ROLES_SQL = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    CREATE ROLE supabase_auth_admin NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END $$;`;

// GoTrue's auth.users, reduced to the columns the bridge reads and the ones a sign-up sets
// (supabase/auth migrations: email varchar(255), phone text unique, raw_*_meta_data jsonb,
// is_anonymous since 2024).
const AUTH_USERS_SQL = `
CREATE SCHEMA auth;
CREATE TABLE auth.users (
  instance_id uuid,
  id uuid NOT NULL PRIMARY KEY,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  phone text UNIQUE DEFAULT NULL,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_anonymous boolean NOT NULL DEFAULT false,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now()
);
ALTER TABLE auth.users OWNER TO supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO supabase_auth_admin, ${ROLES.owner};
GRANT TRIGGER ON auth.users TO ${ROLES.owner};
-- Supabase's default privileges: every table and function postgres creates in public is granted to
-- the API roles, so a migration that means to keep them out has to revoke (the bridge does).
ALTER DEFAULT PRIVILEGES FOR ROLE ${ROLES.owner} IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE ${ROLES.owner} IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;`;

/** Creates the Supabase roles (once per cluster, `clusterUrl` a superuser URL). */
export async function ensureSupabaseRoles(clusterUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(74201)');
    try {
      await client.query(ROLES_SQL);
    } finally {
      await client.query('select pg_advisory_unlock(74201)');
    }
  } finally {
    await client.end();
  }
}

/** The roles, then the auth schema and auth.users in `databaseUrl`'s database (a superuser URL). */
export async function installSupabaseAuthSchema(clusterUrl: string, databaseUrl: string): Promise<void> {
  await ensureSupabaseRoles(clusterUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(AUTH_USERS_SQL);
  } finally {
    await client.end();
  }
}

/**
 * Runs `fn` as GoTrue's session does: as supabase_auth_admin with search_path `auth`, in a
 * transaction that commits (the trigger's writes are what the test checks).
 */
export async function asSupabaseAuth<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('set local role supabase_auth_admin');
    await client.query('set local search_path = auth');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
