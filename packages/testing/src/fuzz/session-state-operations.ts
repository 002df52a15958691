/**
 * Operations that leave SESSION state behind, and probes that look for it.
 *
 * A Postgres session (so a pooled connection, and behind PgBouncer a server connection shared by
 * processes) keeps what raw SQL creates: temp tables (which shadow same-named tables, `pg_temp`
 * being searched first), `WITH HOLD` cursors, session `SET`s, SQL prepared statements (which share
 * their namespace with protocol-level named statements, so the engine's own settings statement can
 * be replaced from SQL), `LISTEN`s and session advisory locks. Transaction-local tenant settings
 * protect against none of these.
 *
 * The writers below leave such state in one tenant's operation; the pool is small, so later
 * operations of other tenants and of no context run on the same connections. The probes then
 * report whatever they inherit: each temp table, holdable cursor, SQL prepared statement, channel,
 * advisory lock and setting that differs from a clean connection's (sampled before the run) counts
 * once in `inheritedSessionState`, and the rows of another tenant found in an inherited temp table
 * or cursor count in crossTenantRows/noContextRows as any read's. An ordinary operation failing
 * because of what an earlier one left (a read-only session, a search_path that hides a table, a
 * deallocated settings statement, ...) is counted by the runner (outcomes.ts, inheritedStateError).
 * A statement the database or the connection layer refuses is a rejection as designed.
 *
 * Generic: tables come from the data model (`tenantModelsOf`); only the name of the engine's
 * settings statement (`tenantry_set_config_3`) is Tenantry's.
 */
import type { ModelInfo } from './generic-operations.js';
import { inheritedStateError, isSessionStatementRefused, sqlstateOf } from './outcomes.js';
import type { Random } from './random.js';
import type { AnyPrismaClient, FuzzOperation, OperationEnv } from './types.js';

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const hex = (rng: Random, n = 8) => Array.from({ length: n }, () => rng.int(16).toString(16)).join('');

/** The name the connection layer gives its settings statement when it prepares one (3 pairs: tenant, workspace, user). */
export const ENGINE_SETTINGS_STATEMENT = 'tenantry_set_config_3';

/** Advisory-lock namespace of the fuzzer (first key of the two-int form). */
const LOCK_NAMESPACE = 0x7e4a;

/** Settings a statement's behaviour depends on; each is compared with a clean connection's value. */
const WATCHED_SETTINGS = [
  'search_path',
  'row_security',
  'default_transaction_read_only',
  'transaction_read_only',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'default_transaction_isolation',
  'role',
  'session_authorization',
] as const;

/**
 * Everything a session can carry over, in one statement. Catalogs are schema-qualified: a temp
 * table named like `pg_cursors` would otherwise shadow the catalog (pg_temp is searched first).
 * Settings are read with current_setting(): `role` and `session_authorization` are not in pg_settings.
 * The engine's own protocol-level settings statement (never `from_sql`) is not state left by raw SQL.
 */
const STATE_SQL = `
select 'tempTable' as kind, c.relname::text as name, c.relkind::text as value
  from pg_catalog.pg_class c where c.relnamespace = pg_catalog.pg_my_temp_schema() and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
union all
select 'cursor', name::text, statement from pg_catalog.pg_cursors where is_holdable
union all
select 'preparedStatement', name::text, statement from pg_catalog.pg_prepared_statements
 where from_sql or name::text not like 'tenantry\\_set\\_config\\_%'
union all
select 'listen', ch::text, null from pg_catalog.pg_listening_channels() as ch
union all
select 'advisoryLock', pg_catalog.concat_ws(':', classid, objid, objsubid), mode::text from pg_catalog.pg_locks
 where locktype = 'advisory' and pid = pg_catalog.pg_backend_pid()
union all
select 'setting', name, pg_catalog.current_setting(name) from pg_catalog.unnest(array[${WATCHED_SETTINGS.map((s) => `'${s}'`).join(', ')}]::text[]) as name
union all
select 'setting', 'current_user', current_user::text
union all
select 'setting', 'session_user', session_user::text`;

export interface SessionStateRow {
  kind: 'tempTable' | 'cursor' | 'preparedStatement' | 'listen' | 'advisoryLock' | 'setting';
  name: string;
  value: string | null;
}

export interface SessionStateOptions {
  /** Share of writers that run inside an interactive transaction (then committed). Default 0.3. */
  transactionRate?: number;
}

const who = (env: OperationEnv, noContext: boolean) =>
  noContext ? 'no-context operation' : `tenant ${env.ctx.tenantId}`;

/**
 * Runs a writer's statement (inside a committed interactive transaction some of the time) and sorts
 * its outcome: done, refused as designed (counted apart), or a sign of inherited state.
 */
async function leave(
  env: OperationEnv,
  op: string,
  key: string,
  sql: string,
  options: { query?: boolean; tolerate?: string[]; inTransaction: boolean },
) {
  const run = (c: AnyPrismaClient) => (options.query ? c.$queryRawUnsafe(sql) : c.$executeRawUnsafe(sql));
  // Whether the statement itself ran: in a transaction, a `statement_timeout` it set applies to its
  // own COMMIT, which may then be cancelled (57014): that is this operation's own doing, not state
  // inherited from another (the transaction rolled back, and the setting with it).
  let ranInTransaction = false;
  try {
    await (options.inTransaction
      ? env.client.$transaction(async (tx: AnyPrismaClient) => {
          const result = await run(tx);
          ranInTransaction = true;
          return result;
        })
      : run(env.client));
    env.oracle.leftSessionState(key, who(env, false));
  } catch (error) {
    const state = sqlstateOf(error);
    if (state && options.tolerate?.includes(state)) return;
    if (state === '57014' && ranInTransaction && key === 'setting:statement_timeout') {
      env.oracle.refused(`${op} own timeout at COMMIT`);
      return;
    }
    if (inheritedStateError(error)) throw error;
    if (isSessionStatementRefused(error)) {
      env.oracle.refused(`${op} ${state ?? (error as Error).name}`);
      return;
    }
    throw error;
  }
}

export function sessionStateOperations(models: ModelInfo[], options: SessionStateOptions = {}): FuzzOperation[] {
  if (models.length === 0) return [];
  const txRate = options.transactionRate ?? 0.3;
  const modelOf = (rng: Random) => rng.pick(models);
  /** A clean connection's settings, sampled before the run (see `before`). */
  const baseline = new Map<string, string | null>();
  let sampled: Promise<void> | undefined;

  const writers: FuzzOperation[] = [
    {
      name: 'session.tempTable',
      weight: 1,
      run: async (env) => {
        const m = modelOf(env.rng);
        const t = quote(m.table);
        const inTransaction = env.rng.chance(txRate);
        const form = env.rng.int(3);
        if (form === 0) {
          // Shadows the tenant table for every later unqualified reference on this session. Fails
          // with 42P07 when an earlier operation left one of that name here (counted by the runner).
          await leave(
            env,
            'session.tempTable',
            `tempTable:${m.table}`,
            `create temp table ${t} as select * from ${t}`,
            { inTransaction },
          );
        } else if (form === 1) {
          await leave(
            env,
            'session.tempTable',
            `tempTable:${m.table}`,
            `create temp table if not exists ${t} as select * from ${t}`,
            { inTransaction },
          );
        } else {
          const sql = `create temp table if not exists report as select ${quote(m.tenantColumn)}::text as tenant_id, count(*)::int as n from ${t} group by 1`;
          await leave(env, 'session.tempTable', 'tempTable:report', sql, { inTransaction });
        }
      },
    },
    {
      name: 'session.holdCursor',
      weight: 1,
      run: async (env) => {
        const m = modelOf(env.rng);
        const name = `c_${hex(env.rng)}`;
        const body = env.rng.chance(0.5)
          ? `select * from ${quote(m.table)}`
          : `select ${quote(m.tenantColumn)}::text as tenant_id from ${quote(m.table)}`;
        await leave(env, 'session.holdCursor', `cursor:${name}`, `declare ${name} cursor with hold for ${body}`, {
          inTransaction: env.rng.chance(txRate),
        });
      },
    },
    {
      name: 'session.set',
      weight: 1.5,
      run: async (env) => {
        const choices: Array<[string, string]> = [
          ['search_path', 'set search_path = fuzz_nowhere'],
          ['search_path', `select set_config('search_path', 'pg_catalog', false)`],
          ['row_security', 'set row_security = off'],
          ['default_transaction_read_only', 'set default_transaction_read_only = on'],
          ['default_transaction_read_only', 'set session characteristics as transaction read only'],
          ['statement_timeout', 'set statement_timeout = 1'],
          // Enough holdable cursors that the next reset outlasts the 1 ms timer on every machine:
          // the next operation's own reset is cancelled unless the engine recovers from that.
          [
            'statement_timeout',
            `do $$ begin
  for i in 1..500 loop execute pg_catalog.format('declare fuzz_slow_reset_%s cursor with hold for select %s', i, i); end loop;
  set statement_timeout = 1;
end $$`,
          ],
          ['role', `do $$ begin execute pg_catalog.format('set role %I', current_user); end $$`],
          // A role the runtime role is not a member of: refused (42501) unless something is wrong.
          ['role', 'set role pg_read_all_data'],
        ];
        const [setting, sql] = env.rng.pick(choices);
        await leave(env, 'session.set', `setting:${setting}`, sql, {
          query: sql.startsWith('select'),
          inTransaction: env.rng.chance(txRate),
        });
      },
    },
    {
      name: 'session.prepare',
      weight: 1,
      run: async (env) => {
        const m = modelOf(env.rng);
        const name = `fuzz_p_${hex(env.rng)}`;
        const inTransaction = env.rng.chance(txRate);
        switch (env.rng.int(5)) {
          case 0:
            return leave(
              env,
              'session.prepare',
              `preparedStatement:${name}`,
              `prepare ${name} as select * from ${quote(m.table)}`,
              { inTransaction },
            );
          case 1:
            return leave(env, 'session.prepare', 'deallocate', 'deallocate all', { inTransaction });
          case 2:
            return leave(env, 'session.prepare', 'deallocate', `do $$ begin execute 'DEALLOCATE ALL'; end $$`, {
              inTransaction,
            });
          case 3:
            // 26000: there was nothing of that name to deallocate (the engine did not prepare one here).
            return leave(env, 'session.prepare', 'deallocate', `deallocate ${ENGINE_SETTINGS_STATEMENT}`, {
              inTransaction,
              tolerate: ['26000'],
            });
          default: {
            // Replaces the engine's settings statement (if it uses one) with one that always sets
            // THIS tenant: every later request on the connection would run as this tenant.
            const sql = `do $$ begin
  begin execute 'deallocate ${ENGINE_SETTINGS_STATEMENT}'; exception when invalid_sql_statement_name then null; end;
  execute pg_catalog.format('prepare ${ENGINE_SETTINGS_STATEMENT}(text, text, text, text, text, text) as select pg_catalog.set_config($1, %L, true), pg_catalog.set_config($3, %L, true), pg_catalog.set_config($5, $6, true)', '${env.ctx.tenantId}', '');
end $$`;
            return leave(env, 'session.prepare', `preparedStatement:${ENGINE_SETTINGS_STATEMENT}`, sql, {
              inTransaction,
            });
          }
        }
      },
    },
    {
      name: 'session.listen',
      weight: 0.5,
      run: async (env) => {
        const channel = `fuzz_${hex(env.rng)}`;
        await leave(env, 'session.listen', `listen:${channel}`, `listen ${channel}`, {
          inTransaction: env.rng.chance(txRate),
        });
      },
    },
    {
      name: 'session.advisoryLock',
      weight: 0.5,
      run: async (env) => {
        const key = env.rng.int(2 ** 31);
        await leave(
          env,
          'session.advisoryLock',
          `advisoryLock:${LOCK_NAMESPACE}:${key}:2`,
          `select pg_advisory_lock(${LOCK_NAMESPACE}, ${key})::text as locked`,
          {
            query: true,
            inTransaction: env.rng.chance(txRate),
          },
        );
      },
    },
  ];

  const sample = async (client: AnyPrismaClient) => {
    const rows = (await client.$queryRawUnsafe(STATE_SQL)) as SessionStateRow[];
    for (const r of rows) if (r.kind === 'setting') baseline.set(r.name, r.value);
    return rows.filter((r) => r.kind !== 'setting');
  };
  const before: FuzzOperation['before'] = async ({ client, oracle, runInContext }) => {
    sampled ??= (async () => {
      // On a fresh connection of the client under test: what a clean session looks like through it.
      const leftovers = await runInContext(() => sample(client));
      if (leftovers.length) oracle.checkInherited('state check before the run', 'the run', leftovers);
    })();
    await sampled;
  };

  /** The rows of the state check that a clean connection would not show. */
  const inherited = (rows: SessionStateRow[]) =>
    rows.filter((r) => r.kind !== 'setting' || (baseline.has(r.name) && baseline.get(r.name) !== r.value));

  /** Maps rows of any shape to the tenant/workspace columns the oracle reads. */
  const normalize = (rows: Array<Record<string, unknown>>) =>
    rows.map((row) => {
      const pick = (keys: string[]) => keys.map((k) => row[k]).find((v) => v !== undefined && v !== null);
      const tenantKeys = ['tenant_id', ...models.flatMap((m) => [m.tenantField, m.tenantColumn])];
      const workspaceKeys = [
        'workspace_id',
        ...models.flatMap((m) => (m.workspaceField && m.workspaceColumn ? [m.workspaceField, m.workspaceColumn] : [])),
      ];
      const tenant = pick(tenantKeys);
      const workspace = pick(workspaceKeys);
      return {
        id: row.id,
        ...(tenant !== undefined ? { tenant_id: String(tenant) } : {}),
        ...(workspace !== undefined ? { workspace_id: String(workspace) } : {}),
      };
    });

  /** Reads what an inherited temp table or cursor holds: another tenant's rows are leaks. */
  const readContents = async (
    env: OperationEnv,
    tx: AnyPrismaClient,
    found: SessionStateRow[],
    noContext: boolean,
    label: string,
  ) => {
    for (const r of found) {
      let rows: Array<Record<string, unknown>> = [];
      if (r.kind === 'tempTable' && r.value !== 'S')
        rows = await tx.$queryRawUnsafe(`select * from pg_temp.${quote(r.name)} limit 50`);
      else if (r.kind === 'cursor') rows = await tx.$queryRawUnsafe(`fetch forward 50 from ${quote(r.name)}`);
      else continue;
      const normalized = normalize(rows);
      if (noContext)
        env.oracle.checkNoContext(
          `${label}: inherited ${r.kind} ${r.name}`,
          normalized.filter((n) => n.tenant_id !== undefined).length,
        );
      else env.oracle.checkRows(`${label}: inherited ${r.kind} ${r.name}`, env.ctx, normalized);
    }
  };

  const probe = (
    name: string,
    weight: number,
    mode: 'statement' | 'transaction',
    noContext: boolean,
  ): FuzzOperation => ({
    name,
    weight,
    noContext,
    before,
    run: async (env) => {
      const by = who(env, noContext);
      if (mode === 'statement') {
        // One statement, as an ordinary request's: what it would run with.
        env.oracle.checkInherited(
          name,
          by,
          inherited((await env.client.$queryRawUnsafe(STATE_SQL)) as SessionStateRow[]),
        );
        return;
      }
      // One connection for the check and the reads (also behind a transaction-mode pooler).
      await env.client.$transaction(async (tx: AnyPrismaClient) => {
        const found = inherited((await tx.$queryRawUnsafe(STATE_SQL)) as SessionStateRow[]);
        env.oracle.checkInherited(name, by, found);
        await readContents(env, tx, found, noContext, name);
      });
    },
  });

  return [
    ...writers,
    probe('session.probe', 2, 'statement', false),
    probe('session.probeInTransaction', 1, 'transaction', false),
    probe('session.probeNoContext', 1, 'transaction', true),
  ];
}
