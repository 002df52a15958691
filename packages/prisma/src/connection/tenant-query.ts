/**
 * A node-postgres query that carries the RLS settings with it, in the same round trip.
 *
 * On the wire it writes, under ONE Sync:
 *   Parse/Bind/Execute  DISCARD ALL                  (only when the session is idle and, with
 *                       pooler 'none' or 'session', may hold state: see ResetPolicy)
 *   Parse/Bind/Execute  select set_config('app.tenant_id', $1, true), ...   (not for BEGIN/COMMIT/...,
 *                       nor for a model statement inside a transaction block whose earlier statement
 *                       already set the same settings there, see sentInTransactionKey; after the
 *                       reset it starts with pg_sleep(0), see setConfigSql)
 *   Parse/Bind/Describe/Execute  <the statement Prisma compiled>
 *   Sync
 * The extended protocol runs everything up to a Sync as one implicit transaction, so the settings
 * are transaction-local to exactly this statement (or to the explicit transaction around it) and
 * nothing survives on the connection afterwards (I4), behind any pooler mode.
 *
 * Why `DISCARD ALL` first: transaction-local settings protect nothing a session can HOLD. Raw SQL
 * can leave temp tables (which shadow tenant tables through `pg_temp`), `WITH HOLD` cursors holding
 * another tenant's rows, session `SET`s (role, search_path, row_security, statement_timeout,
 * default_transaction_read_only), prepared statements, `LISTEN`s and advisory locks; behind PgBouncer
 * on a server connection that other processes share. Whatever the previous user of the server
 * connection left, this statement starts from a clean session: `DISCARD ALL` is Postgres's own reset
 * (what PgBouncer runs between session-mode clients), it costs a few microseconds of server time and
 * no round trip. It runs only when the session is idle (ReadyForQuery 'I'): Postgres refuses it
 * inside a transaction block, and within one transaction every statement belongs to the same caller.
 *
 * When the settings statement is NAMED: a named prepared statement shares its namespace with SQL
 * `PREPARE`/`DEALLOCATE`, so raw SQL could replace it and choose the settings of every later
 * request that binds it. It is therefore bound by name (`tenantry_set_config_N`, parsed once per
 * session) only while the session is known clean (ResetPolicy 'when-dirty': pooler 'none' or
 * 'session'), i.e. nothing but this engine's model operations and transaction control ran on it
 * since its last reset, so no SQL can have touched it. Everywhere else (a dirty session, inside a
 * transaction after raw SQL, after the reset in the same pipeline, behind a transaction-mode pooler)
 * it is the unnamed statement, re-parsed inside this pipeline, which SQL cannot name. Raw SQL marks
 * the session dirty, and the reset in front of the next pipeline (DISCARD ALL) deallocates whatever
 * it prepared. Saves the settings statement's parse and plan (~25-65 µs per statement here).
 *
 * It subclasses pg's own `Query` (through PipelineQuery, internals/pg-internals.ts, which owns every
 * pg detail: the wire messages, the callbacks) so that results, type parsers, errors and callbacks behave exactly
 * like an ordinary query. What it changes:
 * - `submit` writes the pipeline above. Everything that can throw (parameter values' `toPostgres()`,
 *   settings that are not strings) is checked before anything is written: nothing is half-sent, and
 *   the error reaches the caller instead of escaping from pg's event handlers.
 * - The backend answers the leading statements with DataRows and CommandCompletes that would
 *   otherwise land on this query's result (wrong `rowCount`/`command`): they are skipped.
 * - After an ErrorResponse the client itself consumes the trailing ReadyForQuery; no second Sync.
 * - `name` stays undefined: the client records a named statement on the first ParseComplete, which
 *   would be a leading statement's. Named statements and `rows` (portals) are refused, see the pool.
 */
import { UnsupportedQueryError } from '../errors.js';
import { PipelineQuery, type PgConnection, type PipelineStatement } from '../internals/pg-internals.js';
import { CITUS_PROPAGATE, setConfigSql, setLocalStatements, type RlsSettings } from './rls-settings.js';

/**
 * How the settings reach the database. `'set-config'` (default): one `select set_config(...)`
 * statement, transaction-local to the pipeline's implicit transaction. `'citus'`: `SET LOCAL`
 * statements inside an explicit transaction, which Citus propagates to the workers (see
 * setLocalStatements); outside a transaction block the pipeline is then
 *   [DISCARD ALL] BEGIN [pg_sleep(0)] SET LOCAL citus.propagate_set_commands, SET LOCAL ... <statement> COMMIT  Sync
 * still one round trip. When the statement fails, the block is left aborted ('E'); the client ends
 * it with a ROLLBACK before it reports the error (tenant-client.ts).
 */
export type SettingsMode = 'set-config' | 'citus';

/** Transaction status of the server session, from the last ReadyForQuery: idle, in a transaction, failed. */
export type TransactionStatus = 'I' | 'T' | 'E';

export const statusKey = Symbol('tenantry.transactionStatus');
export const resetFailedKey = Symbol('tenantry.resetFailed');
/**
 * False only while the session is known to hold nothing of any request: after a reset that
 * completed, followed by nothing but model operations and transaction control
 * (statement-origin.ts). Undefined (a new connection) counts as dirty.
 */
export const dirtyKey = Symbol('tenantry.sessionDirty');
/**
 * The engine's named settings statements known to exist on the session (see pipeline()), or
 * null when that is unknown (a reset is under way, or a pipeline that prepared one failed before
 * the caller's statement). Undefined on a new connection: none.
 */
export const preparedKey = Symbol('tenantry.preparedSettings');

/**
 * The settings (flattened pairs, as sent) that are in force in the session's current transaction
 * block because a pipeline sent them inside it, or undefined. Cleared by every transaction-control
 * statement (a `ROLLBACK TO SAVEPOINT` reverts what was set after the savepoint), by any error, and
 * whenever a ReadyForQuery says the session is no longer in a transaction (tenant-client.ts).
 */
export const sentInTransactionKey = Symbol('tenantry.settingsSentInTransaction');

/** pg's connection (see internals/pg-internals.ts), with what the engine records on it. */
export type Connection = PgConnection & {
  [statusKey]?: TransactionStatus;
  [resetFailedKey]?: boolean;
  [dirtyKey]?: boolean;
  [preparedKey]?: Set<string> | null;
  [sentInTransactionKey]?: RlsSettings;
};

/** True when `a` and `b` hold the same settings in the same order. */
function sameSettings(a: RlsSettings | undefined, b: RlsSettings): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The name of the prepared settings statement for `pairs` settings (SQL sees it in pg_prepared_statements). */
export const preparedSettingsName = (pairs: number): string => `tenantry_set_config_${pairs}`;

/**
 * When a pipeline starts with the reset. `'always'` (the default; behind a transaction-mode pooler
 * the server session is shared with other clients, whose state this client cannot know): every
 * pipeline outside a transaction block. `'when-dirty'` (pooler 'none' or 'session': the server
 * session belongs to this connection for its lifetime): only when the session may hold state, i.e.
 * it is new, or a statement other than a model operation or transaction control ran on it since
 * its last reset. A clean session then skips `DISCARD ALL`, which also keeps its cached plans (the
 * triggers' and foreign keys' among them), instead of re-planning them for every statement.
 */
export type ResetPolicy = 'always' | 'when-dirty';

/**
 * Postgres's own session reset. It also discards the session's cached plans (so the first write
 * after it re-plans its foreign-key checks), which a reset spelled out without `DISCARD PLANS`
 * would keep; that form was measured and dropped: it did not beat DISCARD ALL in the benchmark, and
 * to start the write's transaction after it with the reset defaults it needs a `COMMIT`, which
 * Postgres answers with a WARNING ("there is no transaction in progress") that lands in the server
 * log for every write. DISCARD ALL, as the first statement of a pipeline, commits on its own.
 */
const RESET_SQL = 'DISCARD ALL';

export class TenantQuery extends PipelineQuery {
  /** Leading statements (reset, settings) whose answers are still to be skipped. */
  private leadingPending = 0;
  /** True while the reset's answer is outstanding: an error now is the reset's. */
  private resetPending = false;
  /** Whether this pipeline starts with the reset (the session was idle when it was written). */
  private withReset = false;
  /** This pipeline writes the Parse of a named settings statement (its fate is unknown if it fails early). */
  private preparesSettings = false;
  /** Set by an ErrorResponse that arrived before the caller's statement ran (see cancelledBeforeStatement). */
  private failedInLeading = false;
  private connection: Connection | undefined;
  private readonly settings: RlsSettings | null;
  private readonly mode: SettingsMode;
  /** Citus mode: this pipeline opened its own transaction block (BEGIN ... COMMIT around the statement). */
  private wrapped = false;
  /** Citus mode: the caller's CommandComplete arrived; what follows (the COMMIT's) is skipped. */
  private statementCompleted = false;
  private readonly resetPolicy: ResetPolicy;
  /** The statement leaves nothing on the session (a model operation or transaction control). */
  private readonly keepsSessionClean: boolean;

  /**
   * @param settings The flattened `[name, value, ...]` settings to send, or null for transaction
   *   control (BEGIN, COMMIT, ...), which must pass untouched: a set_config in front of ROLLBACK in
   *   an aborted transaction would fail (25P02) and the ROLLBACK would never run.
   */
  constructor(
    config: unknown,
    values: unknown,
    callback: unknown,
    settings: RlsSettings | null,
    mode: SettingsMode = 'set-config',
    resetPolicy: ResetPolicy = 'always',
    keepsSessionClean = false,
  ) {
    super(config, values, callback);
    this.settings = settings;
    this.mode = mode;
    // Citus mode always resets: its pipeline shape (BEGIN ... COMMIT) is kept as measured.
    this.resetPolicy = mode === 'citus' ? 'always' : resetPolicy;
    this.keepsSessionClean = keepsSessionClean;
  }

  /** True when this pipeline opened its own transaction block (Citus mode, outside a transaction). */
  get openedTransaction(): boolean {
    return this.wrapped;
  }

  protected override pipeline(connection: Connection, mapped: unknown[]): PipelineStatement[] | Error {
    const settings = this.settings;
    if (settings !== null && (settings.length % 2 !== 0 || settings.some((v) => typeof v !== 'string'))) {
      // Unreachable through tenantContext.run (contexts are validated, frozen copies); checked here
      // anyway because this is the last point before the values reach Postgres. Fail closed.
      return new UnsupportedQueryError(
        'Cannot send the tenant settings because one of them is not a string. ' +
          'Enter tenant contexts only with tenantContext.run(ctx, fn).',
      );
    }
    // Unknown status (a client we did not watch connect) counts as idle: the reset then fails loudly
    // inside a transaction rather than being skipped outside one.
    const status = connection[statusKey] ?? 'I';
    const idle = status === 'I';
    const cleanBefore = connection[dirtyKey] === false;
    const reset = idle && (this.resetPolicy === 'always' || !cleanBefore);
    // Marked when written, not when answered: the next pipeline on this connection is written only
    // after this one's ReadyForQuery, and must see the mark whatever this statement did.
    if (!this.keepsSessionClean) connection[dirtyKey] = true;
    this.connection = connection;
    this.withReset = reset;
    this.resetPending = reset;
    const statements: PipelineStatement[] = [];
    if (reset) {
      statements.push({ text: RESET_SQL, values: [] });
      // DISCARD ALL deallocates every prepared statement; until it has completed, nothing is known.
      connection[preparedKey] = null;
    }
    if (this.mode === 'citus' && settings !== null) {
      const setLocal = setLocalStatements(settings);
      if (setLocal instanceof Error)
        return new UnsupportedQueryError(
          `${setLocal.message} Enter tenant contexts only with tenantContext.run(ctx, fn).`,
        );
      // Outside a transaction block the pipeline opens its own: SET LOCAL means nothing outside one.
      this.wrapped = reset;
      if (reset) {
        statements.push({ text: 'BEGIN', values: [] });
        statements.push({ text: 'select pg_catalog.pg_sleep(0)', values: [] });
      }
      for (const text of [CITUS_PROPAGATE, ...setLocal]) statements.push({ text, values: [] });
    } else if (settings === null) {
      // Transaction control: a ROLLBACK TO SAVEPOINT may revert settings sent after the savepoint,
      // and after COMMIT/ROLLBACK none are in force. The next statement sends them again.
      connection[sentInTransactionKey] = undefined;
    } else if (
      status === 'T' &&
      cleanBefore &&
      this.keepsSessionClean &&
      sameSettings(connection[sentInTransactionKey], settings)
    ) {
      // Inside a transaction block, a statement earlier in it set exactly these settings
      // (transaction-locally), and since then nothing but this engine's model operations ran on
      // the session (known clean: no raw SQL can have changed them, and raw SQL marks the session
      // dirty for the rest of the transaction) and no transaction control (which clears the
      // record). They are still in force: the statement goes without them.
    } else {
      const pairs = settings.length / 2;
      const prepared = connection[preparedKey];
      if (this.resetPolicy === 'when-dirty' && cleanBefore && prepared !== null) {
        // The session is known clean: nothing but this engine's model operations and transaction
        // control ran on it since its last reset, so no raw SQL can have replaced (PREPARE) or
        // removed (DEALLOCATE) the named statement. Prepared once, it is only bound afterwards: no
        // parse, no plan, for every later statement on the connection until raw SQL dirties it,
        // and then the reset in front of the next pipeline deallocates it (and this branch is not
        // taken until the session is clean again). Never behind a transaction-mode pooler, whose
        // server session other clients share ('always').
        const name = preparedSettingsName(pairs);
        const known = prepared ?? new Set<string>();
        const parse = !known.has(name);
        if (parse) {
          known.add(name);
          connection[preparedKey] = known;
          this.preparesSettings = true;
        }
        statements.push({ text: setConfigSql(pairs, false), values: settings as unknown[], name, parse });
      } else {
        statements.push({ text: setConfigSql(pairs, reset), values: settings as unknown[] });
      }
      // Sent inside a transaction block, they stay in force until it ends (or a savepoint is
      // rolled back to): recorded, so that the transaction's later model statements can go
      // without them. Outside one they end with this pipeline's implicit transaction.
      connection[sentInTransactionKey] = status === 'T' && this.keepsSessionClean ? settings : undefined;
    }
    this.leadingPending = statements.length;
    statements.push({
      text: this.text,
      types: this.types as unknown[] | undefined,
      values: mapped,
      binary: this.binary,
      describe: true,
    });
    if (this.wrapped) statements.push({ text: 'COMMIT', values: [] });
    return statements;
  }

  protected override beforeError(connection: Connection): void {
    // Whatever failed, the transaction (if any) is aborted or the settings' fate unknown.
    connection[sentInTransactionKey] = undefined;
    // The reset itself failed (e.g. a session statement_timeout left by raw SQL cancelled it): the
    // session's state is unknown, so the pool must not hand this connection out again, unless a
    // later reset on it succeeds.
    if (this.resetPending) connection[resetFailedKey] = true;
    this.failedInLeading = this.leadingPending > 0;
    // Failed before the caller's statement: whether the named settings statement was created is
    // unknown, so it is not used again until a reset has made the session's statements known.
    if (this.failedInLeading && this.preparesSettings) connection[preparedKey] = null;
  }

  /**
   * True when `error` cancelled this pipeline (57014) before the caller's statement ran: in the
   * reset or the settings statement of a pipeline that began outside a transaction, or on a
   * transaction-control statement (BEGIN) behind the reset. A session `statement_timeout` that an
   * earlier request's raw SQL left arms its timer on the first message of the NEXT pipeline, so it
   * can fire inside that pipeline's own reset (every time, when the session holds enough to make
   * the reset slow): the caller did nothing wrong and nothing of theirs ran, so the client may run
   * it again (tenant-client.ts). A 57014 on the caller's own data statement is never retried: that
   * is the caller's timeout.
   */
  cancelledBeforeStatement(error: unknown): boolean {
    if (!this.withReset || (error as { code?: unknown } | null)?.code !== '57014') return false;
    return this.failedInLeading || this.settings === null;
  }

  protected override skipsDataRow(): boolean {
    return this.leadingPending > 0 || this.statementCompleted;
  }

  protected override skipsCommandComplete(): boolean {
    if (this.leadingPending > 0) {
      this.leadingPending--;
      // The reset completed: whatever an earlier failed reset left on this session is gone.
      if (this.resetPending && this.connection) {
        this.connection[resetFailedKey] = false;
        this.connection[preparedKey] = new Set();
        if (this.keepsSessionClean) this.connection[dirtyKey] = false;
      }
      this.resetPending = false;
      return true;
    }
    // The statement's own answer; in Citus mode the COMMIT's CommandComplete follows and is skipped.
    if (this.statementCompleted) return true;
    if (this.wrapped) this.statementCompleted = true;
    return false;
  }
}
