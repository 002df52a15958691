/**
 * A node-postgres query that carries the RLS settings with it, in the same round trip.
 *
 * On the wire it writes, under ONE Sync:
 *   Parse/Bind/Execute  select set_config('app.tenant_id', $1, true), ...
 *   Parse/Bind/Describe/Execute  <the statement Prisma compiled>
 *   Sync
 * The extended protocol runs everything up to a Sync as one implicit transaction, so the settings
 * are transaction-local to exactly this statement (or to the explicit transaction around it) and
 * nothing survives on the connection afterwards (I4), behind any pooler mode.
 *
 * It subclasses pg's own `Query` so that results, type parsers, errors and callbacks behave exactly
 * like an ordinary query. What it changes:
 * - `submit` writes the pipeline above. Parameter values are mapped before anything is written, so
 *   a throwing `toPostgres()` fails the query with nothing half-sent.
 * - The backend answers the set_config statement with a DataRow and a CommandComplete that would
 *   otherwise land on this query's result (wrong `rowCount`/`command`): they are skipped.
 * - After an ErrorResponse the client itself consumes the trailing ReadyForQuery; no second Sync.
 * - `name` stays undefined: the client records a named statement on the first ParseComplete, which
 *   would be set_config's. Named statements and `rows` (portals) are refused, see the pool.
 */
import pg from 'pg';
import { setConfigSql, type RlsSettings } from './rls-settings.js';

type Connection = {
  parse(msg: { text: string; name?: string; types?: unknown[] }): void;
  close(msg: { type: 'S' | 'P'; name?: string }): void;
  [preparedKey]?: Set<number>;
  bind(msg: { portal?: string; statement?: string; values?: unknown[]; binary?: boolean; valueMapper?: unknown }): void;
  describe(msg: { type: 'P' | 'S'; name?: string }): void;
  execute(msg: { portal?: string; rows?: number }): void;
  sync(): void;
  stream: { cork?: () => void; uncork?: () => void };
};

// pg exports its utils on the main object (pg >= 8.15); prepareValue is what pg's own Query uses.
/** Per connection: the settings statements (by pair count) this connection has prepared. */
const preparedKey = Symbol('tenantry.preparedSettings');

const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;
const BaseQuery = pg.Query as unknown as new (config: unknown, values?: unknown, callback?: unknown) => PgQueryInternals;

interface PgQueryInternals {
  text: string;
  values?: unknown[];
  binary?: boolean;
  types?: unknown;
  callback?: (err: Error | null, res?: unknown) => void;
  handleDataRow(msg: unknown): void;
  handleError(err: unknown, connection: Connection): void;
  handleCommandComplete(msg: unknown, connection: Connection): void;
  submit(connection: Connection): Error | null;
}

export class TenantQuery extends BaseQuery {
  /** True until the set_config statement's CommandComplete has been seen. */
  private settingsPending = true;
  private readonly settings: RlsSettings;
  private readonly prepared: boolean;

  /**
   * @param prepared Use a named prepared statement for the settings, parsed once per connection.
   *   Only where a connection keeps its server session (direct, or a session-mode pooler): behind a
   *   transaction-mode pooler the next transaction may land on a server that never saw the Parse.
   */
  constructor(config: unknown, values: unknown, callback: unknown, settings: RlsSettings, prepared = false) {
    super(config, values, callback);
    this.settings = settings;
    this.prepared = prepared;
  }

  override submit(connection: Connection): Error | null {
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
    const pairs = this.settings.length / 2;
    connection.stream.cork?.();
    try {
      if (this.prepared) {
        const name = `tenantry_set_config_${pairs}`;
        const known = (connection[preparedKey] ??= new Set());
        if (!known.has(pairs)) {
          // Close first: after an error we no longer know whether the server kept the statement,
          // and closing a statement that does not exist is not an error.
          connection.close({ type: 'S', name });
          connection.parse({ text: setConfigSql(pairs), name });
          known.add(pairs);
        }
        connection.bind({ statement: name, values: this.settings as unknown[] });
      } else {
        connection.parse({ text: setConfigSql(pairs) });
        connection.bind({ values: this.settings as unknown[] });
      }
      connection.execute({ portal: '' });
      connection.parse({ text: this.text, types: this.types as unknown[] | undefined });
      connection.bind({ values: mapped, binary: this.binary });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '' });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  override handleError(err: unknown, connection: Connection): void {
    // The pipeline failed somewhere. We cannot tell whether the named statement survives (its Parse
    // may have failed, or raw SQL may have run DEALLOCATE): forget it, the next query re-prepares.
    if (this.prepared) connection[preparedKey]?.delete(this.settings.length / 2);
    super.handleError(err, connection);
  }

  override handleDataRow(msg: unknown): void {
    if (this.settingsPending) return;
    super.handleDataRow(msg);
  }

  override handleCommandComplete(msg: unknown, connection: Connection): void {
    if (this.settingsPending) {
      this.settingsPending = false;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}
