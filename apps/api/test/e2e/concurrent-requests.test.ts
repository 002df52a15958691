/**
 * Many tenants at once: 20 tenants, requests interleaved over a shared pool and PgBouncer. Every
 * handler must run in its own request's tenant context (GET /me echoes the context the handler
 * read from AsyncLocalStorage) and every row returned must be the caller's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const TENANTS = 20;
const ROUNDS = 5;

let api: TestApi;
let tenants: SeededTenant[];
let tokens: Map<string, string>;

beforeAll(async () => {
  api = await startTestApi();
  tenants = await seedTenants(
    api.admin,
    Array.from({ length: TENANTS }, (_, i) => `conc${String(i).padStart(2, '0')}`),
  );
  tokens = new Map(await Promise.all(tenants.map(async (t) => [t.tenantId, await api.token(t.userId)] as const)));
});
afterAll(() => api?.close());

it(`serves ${TENANTS} tenants concurrently with the right context in every handler and no foreign row`, async () => {
  const problems: string[] = [];
  let requests = 0;
  const one = async (tenant: SeededTenant, round: number) => {
    const token = tokens.get(tenant.tenantId)!;
    const opts = { token, tenant: tenant.tenantId };
    const [me, projects, tasks, workspace] = await Promise.all([
      api.request('GET', '/me', opts),
      api.request('GET', '/projects?limit=100', opts),
      api.request('GET', '/tasks?limit=100', opts),
      api.request('GET', `/workspaces/${tenant.workspaceIds[round % 2]}`, opts),
    ]);
    requests += 4;
    if (me.body.context?.tenantId !== tenant.tenantId)
      problems.push(`tenant ${tenant.label}: /me handler ran in context ${JSON.stringify(me.body.context)}`);
    if (me.body.context?.userId !== tenant.userId)
      problems.push(`tenant ${tenant.label}: /me handler ran as user ${me.body.context?.userId}`);
    problems.push(
      ...foreignRows(projects.body.items, tenant, 'GET /projects'),
      ...foreignRows(tasks.body.items, tenant, 'GET /tasks'),
    );
    if (projects.body.items.length !== 4)
      problems.push(`tenant ${tenant.label}: GET /projects returned ${projects.body.items.length} rows, expected 4`);
    // 4 seeded tasks plus one per earlier round (the burst writes below).
    if (tasks.body.items.length !== 4 + round)
      problems.push(
        `tenant ${tenant.label}: GET /tasks returned ${tasks.body.items.length} rows, expected ${4 + round}`,
      );
    if (workspace.body.tenantId !== tenant.tenantId)
      problems.push(
        `tenant ${tenant.label}: GET /workspaces/:id returned ${workspace.status} ${workspace.body.tenantId}`,
      );
    // A write in the same burst: it must land in the caller's tenant.
    const created = await api.request('POST', '/tasks', {
      ...opts,
      body: { projectId: tenant.projectIds[0], title: `${tenant.label} burst ${round}` },
    });
    requests += 1;
    if (created.status !== 201 || created.body.tenantId !== tenant.tenantId)
      problems.push(
        `tenant ${tenant.label}: POST /tasks answered ${created.status} in tenant ${created.body?.tenantId}`,
      );
  };
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(tenants.map((tenant) => one(tenant, round)));
  }
  expect(problems).toEqual([]);
  expect(requests).toBe(TENANTS * ROUNDS * 5);
  // The writes landed where they belong, as seen by the database, not by the API.
  for (const tenant of tenants) {
    const burst = await api.admin.task.findMany({
      where: { title: { startsWith: `${tenant.label} burst` } },
      select: { tenantId: true },
    });
    expect(burst.length).toBe(ROUNDS);
    expect(burst.every((t) => t.tenantId === tenant.tenantId)).toBe(true);
  }
});

it('leaves no tenant context behind in the process between requests', async () => {
  const { tenantContext } = await import('@tenantry/db');
  await api.request('GET', '/me', { token: tokens.get(tenants[0]!.tenantId)!, tenant: tenants[0]!.tenantId });
  expect(tenantContext.get()).toBeUndefined();
});
