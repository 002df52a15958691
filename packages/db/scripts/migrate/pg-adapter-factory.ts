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
  readonly #pools = new Set<pg.Pool>();
  readonly #shadowDatabases = new Set<string>();
  #closed = false;

  constructor(url: string) {
    this.#url = url;
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
    const name = shadowDatabaseName(databaseNameOf(this.#url));
    await this.#admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
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

function shadowDatabaseName(database: string): string {
  const suffix = `_shadow_${randomBytes(4).toString('hex')}`;
  // Postgres truncates identifiers to 63 bytes; keep the random suffix intact.
  return database.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, 63 - suffix.length) + suffix;
}
