/**
 * Databases for tests and local development on a server we own as superuser: the three roles, a
 * template database migrated once with the project's migrations, and cheap per-test-file copies
 * (`CREATE DATABASE ... TEMPLATE`, a file copy, ~50 ms instead of re-running migrations).
 *
 * Roles (docs/DESIGN.md "Connections and roles"):
 * - tenantry_owner: owns the schema, runs migrations (DIRECT_URL).
 * - tenantry_app: the runtime role (DATABASE_URL). NOSUPERUSER, NOBYPASSRLS, owns nothing.
 * - tenantry_admin: BYPASSRLS, only for the admin client (@tenantry/prisma/admin, DATABASE_ADMIN_URL).
 */
import pg from 'pg';
import path from 'node:path';
import type { PostgresServer } from './postgres-server.js';

/** Which schema and migrations a database is migrated with (what prisma.config.ts's `schema` and `migrations.path` say). */
export interface MigrationSource {
  schemaPath: string;
  migrationsDir: string;
}

/**
 * The migrations of the project in `cwd` (default the current directory): TENANTRY_SCHEMA_PATH /
 * TENANTRY_MIGRATIONS_DIR when set, else `prisma/schema.prisma` and `prisma/migrations` there.
 */
export function migrationSourceFromEnv(cwd = process.cwd()): MigrationSource {
  // The rule of the engine's schemaPathFromEnv / migrationsDirFromEnv, here so that importing the kit does not load
  // @tenantry/prisma/migrate (Prisma Migrate and @prisma/internals, ~1 s per test file): only migrating does.
  return {
    schemaPath: path.resolve(process.env.TENANTRY_SCHEMA_PATH || path.join(cwd, 'prisma', 'schema.prisma')),
    migrationsDir: path.resolve(process.env.TENANTRY_MIGRATIONS_DIR || path.join(cwd, 'prisma', 'migrations')),
  };
}

export const ROLES = { owner: 'tenantry_owner', app: 'tenantry_app', admin: 'tenantry_admin' } as const;
export type RoleName = (typeof ROLES)[keyof typeof ROLES];

/**
 * Local-only password for the three roles on throwaway servers (trust auth ignores it). Override
 * with TENANTRY_DEV_PASSWORD; production roles and passwords are the operator's, never this.
 */
export function devPassword(): string {
  return process.env.TENANTRY_DEV_PASSWORD || 'tenantry-local-dev';
}

export function roleUrl(
  server: PostgresServer,
  role: RoleName,
  database: string,
  host = server.host,
  port = server.port,
): string {
  const url = new URL(server.superuserUrl(database));
  url.username = role;
  url.password = devPassword();
  url.hostname = host;
  url.port = String(port);
  return url.toString();
}

async function withSuperuser<T>(server: PostgresServer, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.superuserUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the roles when missing and (re)asserts their attributes. Roles are cluster-wide, so
 * parallel runs on one server share them; every statement here is idempotent.
 */
export async function ensureRoles(server: PostgresServer): Promise<void> {
  const password = devPassword();
  await withSuperuser(server, async (client) => {
    // Serialize concurrent runs: CREATE ROLE races raise 23505 on pg_authid.
    await client.query('select pg_advisory_lock(74201)');
    try {
      const attributes: Record<RoleName, string> = {
        tenantry_owner: 'LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE NOCREATEDB',
        tenantry_app: 'LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB',
        tenantry_admin: 'LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB',
      };
      for (const [role, attrs] of Object.entries(attributes)) {
        const { rowCount } = await client.query('select 1 from pg_roles where rolname = $1', [role]);
        const ident = pg.escapeIdentifier(role);
        const secret = pg.escapeLiteral(password);
        await client.query(`${rowCount ? 'ALTER' : 'CREATE'} ROLE ${ident} WITH ${attrs} PASSWORD ${secret}`);
      }
    } finally {
      await client.query('select pg_advisory_unlock(74201)');
    }
  });
}

/**
 * Creates `name` owned by tenantry_owner and applies `migrations` (default: {@link migrationSourceFromEnv})
 * as the owner, with the engine's migrate runner.
 */
export async function createMigratedDatabase(
  server: PostgresServer,
  name: string,
  migrations: MigrationSource = migrationSourceFromEnv(),
): Promise<void> {
  await createOwnedDatabase(server, name, { replace: true });
  const { migrateDeploy } = await import('@tenantry/prisma/migrate');
  await migrateDeploy({ ...migrations, url: roleUrl(server, ROLES.owner, name) });
}

/**
 * Creates `name` owned by tenantry_owner, with the public schema the owner's too (PG 15 no longer
 * lets every role create in public). `replace`: drops an existing one first (throwaway test
 * databases); else an existing one is left as it is (the persistent dev database). Migrates nothing.
 */
export async function createOwnedDatabase(
  server: PostgresServer,
  name: string,
  options: { replace: boolean },
): Promise<void> {
  const created = await withSuperuser(server, async (client) => {
    if (options.replace) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    else if ((await client.query('select 1 from pg_database where datname = $1', [name])).rowCount) return false;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} OWNER ${ROLES.owner}`);
    return true;
  });
  if (!created) return;
  const db = new pg.Client({ connectionString: server.superuserUrl(name) });
  await db.connect();
  try {
    await db.query(`ALTER SCHEMA public OWNER TO ${ROLES.owner}`);
  } finally {
    await db.end();
  }
}

/**
 * A fresh copy of `template`, with the runtime role's database privileges revoked again (see
 * {@link restrictDatabasePrivileges}). Fails if anything is still connected to the template.
 */
export async function createDatabaseFromTemplate(
  server: PostgresServer,
  name: string,
  template: string,
): Promise<void> {
  await withSuperuser(server, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await client.query(
      `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)} OWNER ${ROLES.owner}`,
    );
    await restrictDatabasePrivileges(client, name);
  });
}

/**
 * Revokes TEMPORARY and CREATE on `database` from PUBLIC and the runtime role, as the migration
 * `20261201000000_runtime_role_creates_nothing` does where it runs. Database privileges live in
 * pg_database, which `CREATE DATABASE ... TEMPLATE` does not copy: every copy of a migrated
 * template starts with PUBLIC's default TEMPORARY (and the migration, recorded as applied in the
 * copy's `_prisma_migrations`, never runs there again). Call this after every such copy; `client`
 * must be connected as a superuser or the database owner (any database of the server).
 */
export async function restrictDatabasePrivileges(
  client: pg.ClientBase,
  database: string,
  runtimeRole: string = ROLES.app,
): Promise<void> {
  const db = pg.escapeIdentifier(database);
  await client.query(`REVOKE TEMPORARY, CREATE ON DATABASE ${db} FROM PUBLIC, ${pg.escapeIdentifier(runtimeRole)}`);
  const { rows } = await client.query<{ temporary: boolean; create: boolean }>(
    `select has_database_privilege($1, $2, 'TEMPORARY') as temporary, has_database_privilege($1, $2, 'CREATE') as create`,
    [runtimeRole, database],
  );
  if (rows[0]!.temporary || rows[0]!.create) {
    throw new Error(
      `Cannot restrict database ${database} because ${runtimeRole} still has TEMPORARY or CREATE on it after the REVOKE (granted by another role, or inherited). ` +
        `Connect as the owner or a superuser and run REVOKE TEMPORARY, CREATE ON DATABASE ${db} FROM PUBLIC, ${runtimeRole}; for every grantor and inherited role.`,
    );
  }
}

export async function dropDatabases(server: PostgresServer, names: string[] | { prefix: string }): Promise<void> {
  await withSuperuser(server, async (client) => {
    const list = Array.isArray(names)
      ? names
      : (
          await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [
            names.prefix,
          ])
        ).rows.map((r) => r.datname);
    for (const name of list) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  });
}
