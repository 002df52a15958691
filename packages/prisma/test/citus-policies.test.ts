/** The policy generator's Citus form (DATABASE_DISTRIBUTED=citus): the same rules without subqueries. */
import { describe, expect, it } from 'vitest';
import { isInitPlanForm } from '../src/check/audit.js';
import { citusForeignKey, citusPolicyExpression, hasSubquery } from '../src/migrate/citus.js';
import { policyFormFromEnv, renderRlsBlock, tenantPolicies } from '../src/migrate/policies.js';

const expressions = (form: 'initplan' | 'citus', workspaceScoped: boolean) =>
  tenantPolicies({ name: 'notes', workspaceScoped }, 'tenantry_app', undefined, form).flatMap((p) =>
    [p.using, p.withCheck].filter((e): e is string => e !== undefined),
  );

describe('tenantPolicies in the Citus form', () => {
  it.each([true, false])('has no subquery and still names the tenant (workspace-scoped: %s)', (workspaceScoped) => {
    const citus = expressions('citus', workspaceScoped);
    expect(citus.length).toBeGreaterThan(0);
    for (const e of citus) {
      expect(hasSubquery(e)).toBe(false);
      expect(e).toContain("tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid");
    }
    if (workspaceScoped) for (const e of citus) expect(e).toContain("current_setting('app.workspace_id', true)");
  });

  it('is the InitPlan form with the SELECT taken out, rule for rule', () => {
    const initplan = expressions('initplan', true);
    const citus = expressions('citus', true);
    expect(initplan.every(isInitPlanForm)).toBe(true);
    expect(initplan.map((e) => e.replaceAll(/\(SELECT (NULLIF\([^)]*\)[^)]*\)::uuid)\)/g, '$1'))).toEqual(citus);
  });

  it('is chosen by DATABASE_DISTRIBUTED and says so in the migration', () => {
    expect(policyFormFromEnv({ DATABASE_DISTRIBUTED: 'citus' })).toBe('citus');
    expect(policyFormFromEnv({})).toBe('initplan');
    const block = renderRlsBlock({ name: 'notes', workspaceScoped: false }, 'tenantry_app', undefined, 'citus');
    expect(block).toContain('Citus form');
    expect(hasSubquery(block)).toBe(false);
  });
});

describe('distributeForCitus rewrites', () => {
  it("turns Postgres's deparsed InitPlan setting into the plain one and leaves other subqueries for the refusal", () => {
    const deparsed = `(tenant_id = ( SELECT (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid AS "nullif"))`;
    expect(citusPolicyExpression(deparsed)).toBe(
      `(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)`,
    );
    expect(hasSubquery(citusPolicyExpression(deparsed))).toBe(false);
    expect(hasSubquery('(EXISTS ( SELECT 1 FROM memberships m WHERE m.user_id = users.id))')).toBe(true);
    expect(citusPolicyExpression(null)).toBeNull();
  });

  it('drops ON UPDATE actions only on keys that include the distribution column', () => {
    expect(
      citusForeignKey(
        'FOREIGN KEY (tenant_id, workspace_id) REFERENCES workspaces(tenant_id, id) ON UPDATE CASCADE ON DELETE CASCADE',
      ),
    ).toBe('FOREIGN KEY (tenant_id, workspace_id) REFERENCES workspaces(tenant_id, id) ON DELETE CASCADE');
    expect(citusForeignKey('FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE')).toBe(
      'FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE',
    );
  });
});
