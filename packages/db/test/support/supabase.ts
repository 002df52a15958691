/**
 * Supabase's database-side auth, recreated on plain Postgres for the interop tests: the three API
 * roles and the `auth` schema's functions, defined as Supabase's auth server defines them
 * (supabase/auth migrations `20240624145325_recreate_auth_functions`: legacy `request.jwt.claim.*`
 * first, then `request.jwt.claims`).
 *
 * Roles are cluster-wide and the test server is shared by parallel files and runs: they are created
 * idempotently under the same advisory lock as ensureRoles. The one change to a shared role is
 * `GRANT anon, authenticated TO tenantry_app`, what a Supabase deployment does so the runtime can
 * switch role; those two roles own nothing and hold privileges only in the databases of these tests.
 * `service_role` (BYPASSRLS, as on Supabase) is created but never granted.
 */
import pg from 'pg';

const ROLES_SQL = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END $$;
GRANT anon, authenticated TO tenantry_app;
`;

const AUTH_SQL = `
CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role, tenantry_app;

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid SET search_path TO '' AS $f$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$f$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text SET search_path TO '' AS $f$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$f$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION auth.email() RETURNS text SET search_path TO '' AS $f$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$f$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb SET search_path TO '' AS $f$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$f$ LANGUAGE sql STABLE;
`;

/** Creates the Supabase roles (once per cluster) and the auth schema in `databaseUrl`'s database. */
export async function installSupabaseAuth(superuserUrl: string, databaseUrl: string): Promise<void> {
  const cluster = new pg.Client({ connectionString: superuserUrl });
  await cluster.connect();
  try {
    await cluster.query('select pg_advisory_lock(74201)');
    try {
      await cluster.query(ROLES_SQL);
    } finally {
      await cluster.query('select pg_advisory_unlock(74201)');
    }
  } finally {
    await cluster.end();
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(AUTH_SQL);
  } finally {
    await db.end();
  }
}

/**
 * What PostgREST does for one request (PostgREST 12 "Transactions"): a transaction, the role and
 * the claims as transaction-scoped settings, then the query. The reference the tests compare with.
 */
export async function asPostgrest<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  role: string,
  claims: Record<string, unknown>,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`set local role ${pg.escapeIdentifier(role)}`);
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    const { rows } = await client.query<R>(sql, values);
    await client.query('commit');
    return rows;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
