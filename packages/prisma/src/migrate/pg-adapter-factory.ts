// The driver-adapter factory the wasm schema engine runs on: `@prisma/adapter-pg` plus the three
// fixes migrations need. Everything this factory opens (pools, shadow databases) is closed by
// `close()`, which is safe to call more than once.
import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { MigrationAwareAdapterFactory, SqlDriverAdapter } from './prisma-modules.js';

/** Postgres's internal single-byte `"char"` type, and the `text` type we report it as. */
const CHAR_OID = 18;
const TEXT_OID = 25;

/**
 * Pitfall 1: the schema engine's catalog queries return `"char"` columns (`pg_class.relkind`,
 * `pg_constraint.contype`, …). adapter-pg maps column types by OID and throws
 * `UnsupportedNativeDataType` for OID 18, and a pg type parser cannot help because the OID check
 * happens before parsing. The value already arrives as a one-character string, so we relabel the
 * field as `text`. Done in a `Client` subclass (given to our own pools only) rather than by patching
 * `pg.Result`, so the application's pools in the same process are untouched.
 */
class CharAsTextClient extends pg.Client {
  // pg's `query` has a dozen overloads; we only wrap the result and pass everything else through.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as (err: Error | null, res: unknown) => void;
      const wrapped = (err: Error | null, res: unknown) => callback(err, err ? res : relabel(res));
      return (super.query as (...a: unknown[]) => never)(...args.slice(0, -1), wrapped);
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result instanceof Promise) return result.then(relabel) as never;
    return result as never; // a Submittable (cursor, stream): not used by the adapter
  }
}

function relabel(result: unknown): unknown {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as Array<{ fields?: Array<{ dataTypeID: number }> }>) {
    for (const field of r?.fields ?? []) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  }
  return result;
}

/** A pool connected to `url` whose clients relabel `"char"` (see above). */
function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, Client: CharAsTextClient, max: 4 });
  // An idle client dying (e.g. the shadow database being dropped) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** The database name in `url`, and `url` pointing at another database on the same server. */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export class MigrationAdapterFactory implements MigrationAwareAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  readonly #url: string;
  readonly #shadowUrl: string | undefined;
  readonly #pools = new Set<pg.Pool>();
  readonly #shadowDatabases = new Set<string>();
  #closed = false;

  /**
   * @param shadowUrl An existing, dedicated shadow database (SHADOW_DATABASE_URL, Prisma's
   *   `shadowDatabaseUrl`): emptied and used instead of creating one, for roles without CREATEDB
   *   (the owner role has none). Without it, a database is created and dropped per command.
   */
  constructor(url: string, shadowUrl?: string) {
    this.#url = url;
    this.#shadowUrl = shadowUrl || undefined;
    this.adapterName = new PrismaPg(url).adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.#adapterFor(this.#url);
  }

  /**
   * Pitfall 2: adapter-pg's own `connectToShadowDb` spreads `{ ...config, database }`, but pg lets
   * `connectionString` win over `database`, so given a URL it "shadows" the real database: the
   * engine then resets and replays migrations on it. It also drops the shadow database while its
   * own pool is still connected. We create `<db>_shadow_<random>` on the same server, point a new
   * URL at it, and on dispose end that pool before dropping it (`WITH (FORCE)` for stragglers).
   */
  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    try {
      return await this.#connectToShadowDb();
    } catch (error) {
      // The engine replaces this error with its own opaque one; keep ours for translateMigrationError.
      if (error instanceof ShadowDatabaseError) lastShadowFailure = error;
      throw error;
    }
  }

  async #connectToShadowDb(): Promise<SqlDriverAdapter> {
    if (this.#shadowUrl) {
      const shadowUrl = this.#shadowUrl;
      await emptyShadowDatabase(this.#url, shadowUrl);
      const adapter = await this.#adapterFor(shadowUrl);
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await emptyShadowDatabase(this.#url, shadowUrl).catch(() => {});
      };
      return adapter;
    }
    const name = shadowDatabaseName(databaseNameOf(this.#url));
    try {
      await this.#admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (error) {
      throw shadowCreateError(this.#url, error);
    }
    this.#shadowDatabases.add(name);
    const adapter = await this.#adapterFor(withDatabase(this.#url, name));
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await this.#dropShadowDatabase(name);
    };
    return adapter;
  }

  /** Ends every pool and drops every shadow database this factory opened. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#pools].map((pool) => pool.end()));
    this.#pools.clear();
    for (const name of [...this.#shadowDatabases]) await this.#dropShadowDatabase(name);
  }

  async #adapterFor(url: string): Promise<SqlDriverAdapter> {
    if (this.#closed) throw new Error('Cannot connect because the migration engine was stopped.');
    const pool = createPool(url);
    this.#pools.add(pool);
    const adapter = await new PrismaPg(pool).connect();
    // Pitfall 3: adapter-pg's executeScript splits the migration on every ";" — inside comments,
    // string literals and DO $$ ... $$ bodies too — so hand-written RLS SQL breaks. The native engine
    // sends the script whole; so do we: one simple-protocol query, which Postgres runs as one
    // implicit transaction (all or nothing, like the native engine).
    adapter.executeScript = async (script: string) => {
      try {
        await pool.query(script);
      } catch (error) {
        (adapter as unknown as { onError(e: unknown): never }).onError(error);
      }
    };
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      if (this.#pools.delete(pool)) await pool.end();
    };
    return adapter;
  }

  async #dropShadowDatabase(name: string): Promise<void> {
    if (!this.#shadowDatabases.delete(name)) return;
    await this.#admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  }

  /** CREATE/DROP DATABASE cannot run in a transaction or a pool shared with the engine. */
  async #admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

/** Thrown (and recognised by translateMigrationError) when no shadow database can be had. */
export class ShadowDatabaseError extends Error {
  override name = 'ShadowDatabaseError';
}

let lastShadowFailure: ShadowDatabaseError | undefined;
/** The last shadow-database failure in this process (the engine hides it), once. */
export function takeShadowFailure(): ShadowDatabaseError | undefined {
  const failure = lastShadowFailure;
  lastShadowFailure = undefined;
  return failure;
}

function shadowCreateError(url: string, error: unknown): Error {
  const role = decodeURIComponent(new URL(url).username) || 'this role';
  if ((error as { code?: string }).code === '42501') {
    return new ShadowDatabaseError(
      `Cannot create Prisma Migrate's shadow database because ${role} may not create databases (it has no CREATEDB, as an owner role should not). ` +
        `Set SHADOW_DATABASE_URL to an empty database owned by ${role} (the dev database has one, tenantry_shadow; docker/postgres-init.sh creates it for docker-compose), ` +
        `e.g. as a superuser: CREATE DATABASE tenantry_shadow OWNER ${role};`,
      { cause: error },
    );
  }
  return new ShadowDatabaseError(
    `Cannot create Prisma Migrate's shadow database because ${(error as Error).message}. Set SHADOW_DATABASE_URL to an empty database owned by ${role}.`,
    { cause: error },
  );
}

/**
 * Empties a dedicated shadow database, as Prisma's engine resets one: drops every schema the
 * connecting role owns there (public included) and recreates public. Refuses the main database.
 */
async function emptyShadowDatabase(mainUrl: string, shadowUrl: string): Promise<void> {
  const main = new URL(mainUrl);
  const shadow = new URL(shadowUrl);
  if (
    main.hostname === shadow.hostname &&
    (main.port || '5432') === (shadow.port || '5432') &&
    databaseNameOf(mainUrl) === databaseNameOf(shadowUrl)
  ) {
    throw new ShadowDatabaseError(
      `Cannot use SHADOW_DATABASE_URL because it points at the database being migrated (${databaseNameOf(mainUrl)}): Prisma empties the shadow database on every run. ` +
        'Point it at a separate, empty database owned by the same role (e.g. tenantry_shadow).',
    );
  }
  const client = new pg.Client({ connectionString: shadowUrl });
  try {
    await client.connect();
  } catch (error) {
    const role = decodeURIComponent(shadow.username) || 'the role';
    const missing = (error as { code?: string }).code === '3D000';
    throw new ShadowDatabaseError(
      `Cannot connect to the shadow database ${databaseNameOf(shadowUrl)} (SHADOW_DATABASE_URL) because ${missing ? 'it does not exist' : (error as Error).message}. ` +
        `Create it as a superuser: CREATE DATABASE ${databaseNameOf(shadowUrl)} OWNER ${role}; or fix SHADOW_DATABASE_URL.`,
      { cause: error },
    );
  }
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `select nspname from pg_namespace where pg_get_userbyid(nspowner) = current_user or nspname = 'public'`,
    );
    const statements = rows.map((r) => `DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(r.nspname)} CASCADE;`);
    await client.query(`${statements.join('\n')}\nCREATE SCHEMA public;`);
  } catch (error) {
    const role = decodeURIComponent(shadow.username) || 'the role';
    throw new ShadowDatabaseError(
      `Cannot empty the shadow database ${databaseNameOf(shadowUrl)} because ${role} does not own it or its schema public (${(error as Error).message}). ` +
        `As a superuser: ALTER DATABASE ${databaseNameOf(shadowUrl)} OWNER TO ${role}; and, connected to it, ALTER SCHEMA public OWNER TO ${role};`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

function shadowDatabaseName(database: string): string {
  const suffix = `_shadow_${randomBytes(4).toString('hex')}`;
  // Postgres truncates identifiers to 63 bytes; keep the random suffix intact.
  return database.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 63 - suffix.length) + suffix;
}
