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
