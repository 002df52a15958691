// The form of the settings in generated policies, apart from policies.ts so that the audit log's
// SQL (audit/sql.ts), which policies.ts's migration step loads, can use it without an import cycle.

/**
 * The form of the settings in a policy. `initplan` (default): `(SELECT NULLIF(current_setting(...), '')::uuid)`,
 * evaluated once per statement as an InitPlan. `citus` (DATABASE_DISTRIBUTED=citus): the same without
 * the subquery, which Citus refuses in policies on distributed tables; current_setting is STABLE, so
 * it is still evaluated once per statement, on each node (docs/citus.md).
 */
export type PolicyForm = 'initplan' | 'citus';

export function policyFormFromEnv(env: NodeJS.ProcessEnv = process.env): PolicyForm {
  return env.DATABASE_DISTRIBUTED === 'citus' ? 'citus' : 'initplan';
}

/** A setting as the policies of `form` read it: `app.tenant_id` as a uuid, NULL when unset or empty. */
export function settingSql(name: string, form: PolicyForm): string {
  return form === 'citus'
    ? `NULLIF(current_setting('${name}', true), '')::uuid`
    : `(SELECT NULLIF(current_setting('${name}', true), '')::uuid)`;
}

/**
 * The active-workspace clause of a workspace-scoped table's policies: every workspace of the tenant
 * while the context is not narrowed (app.workspace_id unset), else only rows of that workspace (a
 * NULL workspace column matches no workspace). `column` is the column as SQL (quoted if needed).
 *
 * Written as `(CASE WHEN <not narrowed> OR <column> = <workspace> THEN true END) IS NOT NULL`
 * (false where the rule does not hold, never NULL), for the planner's estimate, which decides
 * whether a LIMIT reads an index in order or reads every row of the tenant and sorts. The planner
 * cannot see an InitPlan's value; it estimates `a IS NULL OR b = $p` at ~1 % of the rows, a bare CASE
 * at 50 %, and `(...) IS NOT NULL` over an expression at 99.5 %. The last is the true figure for a
 * context that is not narrowed, and for a narrowed one the tenant extension puts `workspace_id = $n`
 * into the statement itself, which the planner estimates from the column's statistics: the policy's
 * clause then only repeats it. With the 50 % CASE a tenant of 50 rows read by a LIMIT 20 was planned
 * as a bitmap scan of all 50 and a sort (the unscoped statement: 20 rows in index order); measured
 * with pgbench on that findMany, 8 clients: 17,800 vs 20,500 statements/s.
 */
export function workspaceClauseSql(column: string, form: PolicyForm): string {
  const ws = settingSql('app.workspace_id', form);
  return `(CASE WHEN ${ws} IS NULL OR ${column} = ${ws} THEN true END) IS NOT NULL`;
}
