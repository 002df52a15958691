/**
 * EVERY node-postgres internal the engine relies on, and nothing else. The rest of the engine calls
 * these functions and classes; none of it reaches into pg's objects itself. When pg changes one of
 * these, this file and test/compat.test.ts are the only places to look.
 *
 * Verified with pg 8.23.1 (the pinned version; the non-Prisma checks also passed on 8.11.5 through
 * 8.23.1, but the engine requires >= 8.19, see assertSupportedPg). Each entry says what it relies on.
 * None of it is pg's documented API, but all of it is the "submittable" surface that pg's own
 * companions (pg-cursor, pg-query-stream) use, so pg keeps it stable within a major version.
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { UnsupportedQueryError } from '../errors.js';

/** The version this file was last verified against. */
export const PG_VERIFIED_VERSION = '8.23.1';

/** The installed pg's version, from its package.json (the copy this module resolves). */
export function installedPgVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('pg/package.json') as { version: string }).version;
}

/**
 * pg before 8.19 ignores the callback that pg-pool passes with a custom query object, and pg
 * before 8.15 does not export `utils.prepareValue`: fail at construction, not with a hung query.
 * Relies on: pg's package.json `version` (all versions).
 */
export function assertSupportedPg(): void {
  const version = installedPgVersion();
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (major !== 8 || minor < 19) {
    throw new UnsupportedQueryError(
      `Cannot create the tenant pool because pg ${version} is installed. Install pg >= 8.19 < 9 (tested with 8.23).`,
    );
  }
}

/**
 * The connection object behind a `pg.Client` (`client.connection`, a pg `Connection`): the writer
 * of protocol messages and the emitter of backend messages.
 * Relies on (pg 8.15–8.23.1): `parse({ text, name, types })`, `bind({ values, statement, binary })`,
 * `describe({ type: 'P', name })`, `execute({ portal })`, `sync()` write one message each;
 * `stream` is the socket (`cork`/`uncork` batch writes into one packet, `destroy` closes it);
 * it emits `readyForQuery` with `{ status }` ('I' | 'T' | 'E') for every ReadyForQuery message.
 */
export interface PgConnection {
  parse(msg: { text: string; name?: string; types?: unknown[] }): void;
  bind(msg: { portal?: string; statement?: string; values?: unknown[]; binary?: boolean; valueMapper?: unknown }): void;
  describe(msg: { type: 'P' | 'S'; name?: string }): void;
  execute(msg: { portal?: string; rows?: number }): void;
  sync(): void;
  stream: { cork?: () => void; uncork?: () => void; destroy?: () => void };
  on(event: 'readyForQuery', listener: (msg: { status?: string }) => void): void;
}

/** `client.connection` of a pg.Client (pg 8.x: set in the Client constructor, kept for its life). */
export function connectionOf(client: pg.Client): PgConnection {
  return (client as unknown as { connection: PgConnection }).connection;
}

/**
 * Calls `listener` with the transaction status ('I' idle, 'T' in a transaction, 'E' failed) of
 * every ReadyForQuery the server sends on this connection. Registered before pg's own handler when
 * called from a Client subclass constructor (pg 8.x attaches its listeners on connect()).
 * Relies on: the `readyForQuery` event's `status` field (pg-protocol 1.x, pg 8.x); a missing
 * status counts as 'I'.
 */
export function onReadyForQuery(connection: PgConnection, listener: (status: 'I' | 'T' | 'E') => void): void {
  connection.on('readyForQuery', (msg) => listener((msg.status ?? 'I') as 'I' | 'T' | 'E'));
}

/**
 * Closes the socket under a client without waiting for the server (for a statement that outlived
 * its deadline unanswered); pg then fails the active query and emits 'error'.
 * Relies on: `connection.stream.destroy()` (the net.Socket, pg 8.x).
 */
export function destroySocket(connection: PgConnection): void {
  connection.stream.destroy?.();
}

/**
 * pg's own value serializer for bind parameters (Dates, Buffers, arrays, `toPostgres()`), the one
 * its Query uses. Relies on: `pg.utils.prepareValue`, exported on the main object from pg 8.15.
 */
export const prepareValue: (value: unknown) => unknown = (
  pg as unknown as { utils: { prepareValue(v: unknown): unknown } }
).utils.prepareValue;

/**
 * The error pg-pool gives a checkout that waited longer than `connectionTimeoutMillis`.
 * Relies on: pg-pool 3.x's message text (pg-pool 3.10 with pg 8.23.1).
 */
export function isPoolWaitTimeout(error: Error): boolean {
  return error.message === 'timeout exceeded when trying to connect';
}

/**
 * The error pg gives a statement on a client an earlier error made unusable (`_queryable` false).
 * Relies on: pg 8.x's message "Client has encountered a connection error and is not queryable".
 */
export function isNotQueryableError(error: Error): boolean {
  return /not queryable/.test(error.message);
}

/**
 * How many queries wait on this client behind the active one. Relies on: pg 8.x's `_queryQueue`
 * array (`client.query()` pushes, `_pulseQueryQueue()` shifts); a client without one counts as busy.
 */
export function queuedQueries(client: pg.Client): number {
  const queue = (client as unknown as { _queryQueue?: unknown[] })._queryQueue;
  return Array.isArray(queue) ? queue.length : Number.POSITIVE_INFINITY;
}

/** One statement of a pipeline, written as Parse/Bind/(Describe)/Execute, all unnamed. */
export interface PipelineStatement {
  readonly text: string;
  readonly values: unknown[];
  readonly types?: unknown[];
  readonly binary?: boolean;
  /** Describe the portal (needed for the statement whose rows the caller reads). */
  readonly describe?: boolean;
  /**
   * A named (prepared) statement: Bind uses `name`, and Parse is written only when `parse` is true
   * (the statement does not exist on the session yet). Unnamed when absent.
   */
  readonly name?: string;
  readonly parse?: boolean;
}

/**
 * The fields and callbacks of pg's `Query` that a subclass reads or overrides.
 * Relies on (pg 8.19–8.23.1): the constructor `(config, values, callback)` normalizes `text`,
 * `values`, `binary`, `types` and `callback`; `client.query(obj)` calls `obj.submit(connection)`
 * (an Error returned fails the query); every backend message up to ReadyForQuery goes to the active
 * query's `handleRowDescription/DataRow/CommandComplete/Error/ReadyForQuery`; after an
 * ErrorResponse the client absorbs the trailing ReadyForQuery itself.
 */
interface PgQueryInternals {
  text: string;
  values?: unknown[];
  binary?: boolean;
  types?: unknown;
  callback?: (err: Error | null, res?: unknown) => void;
  handleDataRow(msg: unknown): void;
  handleError(err: unknown, connection: PgConnection): void;
  handleCommandComplete(msg: unknown, connection: PgConnection): void;
  submit(connection: PgConnection): Error | null;
}

const BaseQuery = pg.Query as unknown as new (
  config: unknown,
  values?: unknown,
  callback?: unknown,
) => PgQueryInternals;

/**
 * A pg `Query` that writes its own pipeline of unnamed statements under ONE Sync, in one write, and
 * whose leading statements' answers a subclass can swallow. Results, type parsers, errors and
 * callbacks of the LAST statement behave exactly like an ordinary query's (it IS pg's Query).
 *
 * A subclass says what to send (`pipeline`) and which answers to skip (`skipsDataRow`,
 * `skipsCommandComplete`); everything about pg's callbacks and the wire is here:
 * - `name` stays undefined: the client records a named statement on the first ParseComplete, which
 *   would be a leading statement's.
 * - Values are mapped (prepareValue) before anything is written, so a throwing `toPostgres()`
 *   leaves nothing half-sent and the error reaches the caller instead of escaping pg's handlers.
 * - No second Sync after an error (pg-cursor sends one; here the client absorbs the ReadyForQuery).
 */
export abstract class PipelineQuery extends BaseQuery {
  /**
   * The statements to write, the caller's own (given its mapped values) LAST with `describe: true`;
   * or an Error to fail the query with nothing sent.
   */
  protected abstract pipeline(connection: PgConnection, mappedValues: unknown[]): PipelineStatement[] | Error;
  /** True to drop a DataRow (it belongs to a leading statement). */
  protected abstract skipsDataRow(): boolean;
  /** True to drop a CommandComplete (a leading statement's); called once per CommandComplete. */
  protected abstract skipsCommandComplete(): boolean;
  /** Called with every ErrorResponse, before pg's own handling fails the query. */
  protected abstract beforeError(connection: PgConnection): void;

  override submit(connection: PgConnection): Error | null {
    if (typeof this.text !== 'string') {
      return new Error('A query must have text. Supplying none is unsupported.');
    }
    if (this.values !== undefined && this.values !== null && !Array.isArray(this.values)) {
      return new Error('Query values must be an array');
    }
    let mapped: unknown[];
    try {
      mapped = (this.values ?? []).map((v) => prepareValue(v));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
    const statements = this.pipeline(connection, mapped);
    if (statements instanceof Error) return statements;
    connection.stream.cork?.();
    try {
      for (const statement of statements) {
        const name = statement.name;
        if (name === undefined || statement.parse) {
          const parse: { text: string; name?: string; types?: unknown[] } = { text: statement.text };
          if (name !== undefined) parse.name = name;
          if (statement.types !== undefined) parse.types = statement.types;
          connection.parse(parse);
        }
        const bind: { values: unknown[]; statement?: string; binary?: boolean } = { values: statement.values };
        if (name !== undefined) bind.statement = name;
        if (statement.binary !== undefined) bind.binary = statement.binary;
        connection.bind(bind);
        if (statement.describe) connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      }
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  override handleError(err: unknown, connection: PgConnection): void {
    this.beforeError(connection);
    super.handleError(err, connection);
  }

  override handleDataRow(msg: unknown): void {
    if (this.skipsDataRow()) return;
    super.handleDataRow(msg);
  }

  override handleCommandComplete(msg: unknown, connection: PgConnection): void {
    if (this.skipsCommandComplete()) return;
    super.handleCommandComplete(msg, connection);
  }
}

/** What the compatibility test checks, by name: each is a pg internal this file relies on. */
export const PG_QUERY_HOOKS = [
  'submit',
  'handleRowDescription',
  'handleDataRow',
  'handleCommandComplete',
  'handleError',
  'handleReadyForQuery',
] as const;
export const PG_CONNECTION_WRITERS = ['parse', 'bind', 'describe', 'execute', 'sync'] as const;
