/**
 * What the database sees of a tenant context: the `app.*` settings that the RLS policies read.
 *
 * Every data statement is sent with all of them, transaction-locally, context or not. With no
 * context they go as '' so that a value left behind in the session (raw SQL calling
 * `set_config(..., false)`, or a pooler that hands over a dirty connection) cannot be inherited:
 * the policies read '' as "no tenant" through `nullif(..., '')`.
 *
 * A context with Supabase fields (`role`, `claims`) also carries the JWT settings and, last, the
 * role switch (see supabase/jwt-settings.ts). Transaction-local like the rest: the role reverts
 * when the statement's implicit transaction (or the explicit one around it) ends, so the next user
 * of the connection, through any pooler mode, runs as the login role again with nothing to reset.
 */
import type { TenantContext } from '../tenant-context.js';
import { jwtSettingsFor } from '../supabase/jwt-settings.js';

/** Setting names and values, flattened: `[name1, value1, name2, value2, ...]`. */
export type RlsSettings = readonly string[];

export const SETTING_NAMES = {
  tenantId: 'app.tenant_id',
  workspaceId: 'app.workspace_id',
  userId: 'app.user_id',
} as const;

const EMPTY: RlsSettings = Object.freeze([
  SETTING_NAMES.tenantId,
  '',
  SETTING_NAMES.workspaceId,
  '',
  SETTING_NAMES.userId,
  '',
]);

export function rlsSettingsFor(ctx: TenantContext | undefined): RlsSettings {
  if (!ctx) return EMPTY;
  const settings = [
    SETTING_NAMES.tenantId,
    ctx.tenantId,
    SETTING_NAMES.workspaceId,
    ctx.workspaceId ?? '',
    SETTING_NAMES.userId,
    ctx.userId ?? '',
  ];
  if (ctx.role === undefined && ctx.claims === undefined) return settings;
  return [...settings, ...jwtSettingsFor(ctx)];
}

/**
 * Server timeouts a pool applies to every statement, as transaction-local settings sent with the
 * tenant settings. Never as startup parameters: PgBouncer refuses unknown ones ("unsupported startup
 * parameter"), so a `statement_timeout` in the startup packet fails every query behind it.
 */
export interface TimeoutSettings {
  statementTimeoutMillis?: number;
  lockTimeoutMillis?: number;
  idleInTransactionTimeoutMillis?: number;
}

const TIMEOUT_SETTINGS = [
  ['statementTimeoutMillis', 'statement_timeout'],
  ['lockTimeoutMillis', 'lock_timeout'],
  ['idleInTransactionTimeoutMillis', 'idle_in_transaction_session_timeout'],
] as const;

/** Flattened pairs for the timeouts that are set; validated by the pool's constructor. */
export function timeoutSettingsFor(timeouts: TimeoutSettings): RlsSettings {
  const settings: string[] = [];
  for (const [option, name] of TIMEOUT_SETTINGS) {
    const value = timeouts[option];
    if (value !== undefined) settings.push(name, String(value));
  }
  return Object.freeze(settings);
}

/** One timeout as sent with a statement: its value and whether the option or the deadline set it. */
export interface SentLimit {
  readonly millis: number;
  readonly source: 'option' | 'deadline';
}

/** The timeouts that travel with one statement, flattened for set_config, and what each was. */
export interface StatementLimits {
  readonly pairs: RlsSettings;
  readonly statement?: SentLimit;
  readonly lock?: SentLimit;
  readonly idle?: SentLimit;
}

const LIMIT_KEYS = {
  statementTimeoutMillis: 'statement',
  lockTimeoutMillis: 'lock',
  idleInTransactionTimeoutMillis: 'idle',
} as const;

/**
 * The client's timeouts, each capped by the context's remaining time (ms) when it has a deadline.
 * An option of 0 means "no limit" (Postgres's own meaning), so only the deadline caps it then.
 * Without a deadline this is the same object every time (no allocation per statement).
 */
export function statementLimits(
  timeouts: TimeoutSettings,
  remainingMillis: number | undefined,
  fixed: StatementLimits,
): StatementLimits {
  if (remainingMillis === undefined) return fixed;
  const pairs: string[] = [];
  const limits: { -readonly [K in keyof StatementLimits]: StatementLimits[K] } = { pairs };
  for (const [option, name] of TIMEOUT_SETTINGS) {
    const configured = timeouts[option];
    // A lock wait gets a little less than the time left, so that a statement stuck behind a lock
    // for the whole budget fails as a lock wait (55P03), which names the cause, rather than as a
    // statement timeout (57014) that fires at the same moment.
    const left =
      option === 'lockTimeoutMillis'
        ? Math.max(1, remainingMillis - Math.min(50, Math.ceil(remainingMillis / 10)))
        : remainingMillis;
    const byDeadline = configured === undefined || configured === 0 || left < configured;
    const millis = byDeadline ? left : configured;
    pairs.push(name, String(millis));
    limits[LIMIT_KEYS[option]] = { millis, source: byDeadline ? 'deadline' : 'option' };
  }
  return limits;
}

/** The limits a client sends when no deadline applies: its options, as they are. */
export function fixedLimits(timeouts: TimeoutSettings): StatementLimits {
  const limits: { -readonly [K in keyof StatementLimits]: StatementLimits[K] } = {
    pairs: timeoutSettingsFor(timeouts),
  };
  for (const [option] of TIMEOUT_SETTINGS) {
    const millis = timeouts[option];
    if (millis !== undefined && millis > 0) limits[LIMIT_KEYS[option]] = { millis, source: 'option' };
  }
  return Object.freeze(limits);
}

export const TIMEOUT_OPTIONS = TIMEOUT_SETTINGS;

const textCache = new Map<string, string>();

/**
 * `select set_config($1, $2, true), set_config($3, $4, true), ...` for `pairs` settings. Names and
 * values are bind parameters (I7); only the count shapes the text, so the text is one of a few
 * constants.
 *
 * `afterReset`: the statement follows the pipeline's `DISCARD ALL`, and then starts with
 * `pg_sleep(0)`, which does nothing but check for interrupts. A `statement_timeout` that an earlier
 * request's raw SQL left on the session can fire while the reset runs; Postgres then raises the
 * cancel at its NEXT interrupt check, which without this one could be inside the caller's own
 * statement, where it reads as the caller's timeout. Here it lands in the settings statement,
 * before anything of the caller's ran, and the client sends the pipeline again (tenant-client.ts).
 */
export function setConfigSql(pairs: number, afterReset = false): string {
  const key = `${pairs}${afterReset ? 'r' : ''}`;
  let text = textCache.get(key);
  if (!text) {
    const calls = Array.from({ length: pairs }, (_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
    text = `select ${afterReset ? 'pg_catalog.pg_sleep(0), ' : ''}${calls.join(', ')}`;
    textCache.set(key, text);
  }
  return text;
}

/**
 * Citus mode (`distributed: 'citus'`): Citus does not carry `set_config(..., true)` to the workers,
 * so a policy evaluated on a shard would see no tenant and every query would return 0 rows. It does
 * carry `SET LOCAL` inside an explicit transaction block when `citus.propagate_set_commands` is
 * `'local'`. `SET` takes no bind parameters, so each value goes in as a literal, and only after the
 * checks below (I7's spirit: nothing the caller sends becomes SQL text):
 * - the name is one of the engine's own (app.*, request.jwt.*, role, the timeouts), matched against a
 *   strict identifier pattern;
 * - the value is a string without NUL, quoted as an escape string (`E'...'`, backslash and quote
 *   escaped), whose meaning does not depend on `standard_conforming_strings`, which raw SQL earlier
 *   in the same transaction could have switched.
 */
export const CITUS_PROPAGATE = "SET LOCAL citus.propagate_set_commands = 'local'";

const SETTING_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/;

/** An E'...' literal for `value`, or an Error when it cannot be one. */
export function escapeStringLiteral(value: string): string | Error {
  if (value.includes('\0')) return new Error('Cannot send a setting that contains a NUL character.');
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** The `SET LOCAL name = E'value'` statements for flattened `pairs`, or an Error naming what is wrong. */
export function setLocalStatements(pairs: RlsSettings): string[] | Error {
  const statements: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    if (!SETTING_NAME.test(name))
      return new Error(`Cannot send the setting "${name}" because it is not a setting name.`);
    const literal = escapeStringLiteral(pairs[i + 1]!);
    if (literal instanceof Error) return literal;
    statements.push(`SET LOCAL ${name} = ${literal}`);
  }
  return statements;
}
