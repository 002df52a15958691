/**
 * Every RLS policy must let Postgres use a tenant_id-leading index, with the setting evaluated once
 * per statement as an InitPlan. A policy written as `tenant_id = current_setting(...)::uuid`
 * (without the `(select ...)` wrapper) re-evaluates the function per row and makes the planner
 * fall back to a sequential scan of every tenant's rows: fine with 10 tenants, a cliff at 10,000.
 *
 * Real Postgres (TEST_DATABASE_URL → testcontainers → embedded, like the db tests), the committed
 * migrations, 2,000 seeded tenants and ANALYZE so that the planner's choice is the production one.
 * Plans are taken as the runtime role (tenantry_app) with the settings set transaction-locally, the
 * way the TenantPool sends them. Statements name no tenant: the policy alone must drive the index.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROLES,
  createMigratedDatabase,
  dropDatabases,
  ensureRoles,
  provisionPostgres,
  roleUrl,
  type PostgresServer,
} from '@tenantry/db/testing';
import { ids, seedSql } from '../src/dataset.js';

const TENANTS = 2_000;
const TENANT = 1_234;

interface PlanNode {
  'Node Type': string;
  'Plan Rows'?: number;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Subplan Name'?: string;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
}

let server: PostgresServer;
let app: pg.Client;
/** The BYPASSRLS role: the unscoped statement's plan, for comparison. */
let admin: pg.Client;
const database = `tenantry_plans${process.pid}`;
/** Per table, the indexes whose first column is tenant_id (for `tenants`: its primary key on id). */
const tenantIndexes = new Map<string, Set<string>>();

beforeAll(async () => {
  server = await provisionPostgres({ log: (m) => console.log(`[policy-plans] ${m}`) });
  await ensureRoles(server);
  await createMigratedDatabase(server, database);
  const su = new pg.Client({ connectionString: server.superuserUrl(database) });
  await su.connect();
  try {
    for (const sql of seedSql(0, TENANTS)) await su.query(sql);
    const { rows } = await su.query<{ table: string; index: string }>(`
      select t.relname as table, i.relname as index
      from pg_index x
      join pg_class i on i.oid = x.indexrelid
      join pg_class t on t.oid = x.indrelid
      join pg_namespace n on n.oid = t.relnamespace and n.nspname = 'public'
      join pg_attribute a on a.attrelid = t.oid and a.attnum = x.indkey[0]
      where a.attname = case when t.relname = 'tenants' then 'id' else 'tenant_id' end`);
    for (const { table, index } of rows) tenantIndexes.set(table, (tenantIndexes.get(table) ?? new Set()).add(index));
  } finally {
    await su.end();
  }
  app = new pg.Client({ connectionString: roleUrl(server, ROLES.app, database) });
  await app.connect();
  admin = new pg.Client({ connectionString: roleUrl(server, ROLES.admin, database) });
  await admin.connect();
});

afterAll(async () => {
  await app?.end();
  await admin?.end();
  if (server) {
    await dropDatabases(server, [database]);
    await server.stop();
  }
});

/** EXPLAIN as the runtime role with the tenant (and optionally a workspace) set for this transaction. */
async function planOf(sql: string, workspace: boolean): Promise<PlanNode> {
  await app.query('begin');
  try {
    await app.query(`select set_config('app.tenant_id', $1, true), set_config('app.workspace_id', $2, true)`, [
      ids.tenant(TENANT),
      workspace ? ids.workspace(TENANT, 0) : '',
    ]);
    const { rows } = await app.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${sql}`);
    return rows[0]!['QUERY PLAN'][0]!.Plan;
  } finally {
    await app.query('rollback');
  }
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

/** Postgres 15 prints an InitPlan's output as `$0`; 16+ as `(InitPlan 1).col1`. */
const INIT_PLAN_PARAM = String.raw`(\$\d+|\(InitPlan \d+\)\.col\d+)`;

function expectTenantIndexWithInitPlan(plan: PlanNode, table: string, key: 'tenant_id' | 'id', sql: string): void {
  const nodes = nodesOf(plan);
  const text = JSON.stringify(plan, null, 1);
  const initPlans = nodes.filter(
    (n) => n['Parent Relationship'] === 'InitPlan' || n['Subplan Name']?.startsWith('InitPlan'),
  );
  expect(
    initPlans.length,
    `${sql}: no InitPlan evaluates the setting once per statement. Plan:\n${text}`,
  ).toBeGreaterThan(0);
  const indexes = tenantIndexes.get(table) ?? new Set();
  const cond = new RegExp(String.raw`\b${key} = ${INIT_PLAN_PARAM}`);
  const scans = nodes.filter(
    (n) => n['Index Name'] && indexes.has(n['Index Name']) && cond.test(n['Index Cond'] ?? ''),
  );
  expect(
    scans.length,
    `${sql}: no scan of a ${key}-leading index of ${table} (${[...indexes].join(', ')}) with ${key} = <InitPlan>. Plan:\n${text}`,
  ).toBeGreaterThan(0);
}

const TENANT_TABLES: Array<{ table: string; touch: string; workspaceScoped: boolean }> = [
  { table: 'memberships', touch: 'role = role', workspaceScoped: false },
  { table: 'workspaces', touch: 'name = name', workspaceScoped: false },
  { table: 'projects', touch: 'name = name', workspaceScoped: true },
  { table: 'tasks', touch: 'done = done', workspaceScoped: true },
];

describe('RLS policy plans use the tenant index with an InitPlan', () => {
  it('finds a tenant_id-leading index on every tenant table', () => {
    for (const { table } of TENANT_TABLES) expect(tenantIndexes.get(table)?.size ?? 0, table).toBeGreaterThan(0);
  });

  for (const { table, touch, workspaceScoped } of TENANT_TABLES) {
    const contexts = workspaceScoped ? [false, true] : [false];
    for (const workspace of contexts) {
      const as = workspace ? 'tenant and workspace set' : 'tenant set';
      it(`${table}: SELECT (${as})`, async () => {
        const sql = `select * from ${table}`;
        expectTenantIndexWithInitPlan(await planOf(sql, workspace), table, 'tenant_id', sql);
      });
      it(`${table}: UPDATE (${as})`, async () => {
        const sql = `update ${table} set ${touch}`;
        expectTenantIndexWithInitPlan(await planOf(sql, workspace), table, 'tenant_id', sql);
      });
      it(`${table}: DELETE (${as})`, async () => {
        const sql = `delete from ${table}`;
        expectTenantIndexWithInitPlan(await planOf(sql, workspace), table, 'tenant_id', sql);
      });
    }
  }

  it('tenants: SELECT reads only the current tenant through its primary key', async () => {
    const sql = 'select * from tenants';
    expectTenantIndexWithInitPlan(await planOf(sql, false), 'tenants', 'id', sql);
  });

  it('users: the membership check probes memberships by (tenant_id, user_id)', async () => {
    const sql = 'select * from users';
    const plan = await planOf(sql, false);
    const text = JSON.stringify(plan, null, 1);
    const initPlans = nodesOf(plan).filter(
      (n) => n['Parent Relationship'] === 'InitPlan' || n['Subplan Name']?.startsWith('InitPlan'),
    );
    expect(initPlans.length, `${sql}: no InitPlan. Plan:\n${text}`).toBeGreaterThan(0);
    const probes = nodesOf(plan).filter(
      (n) =>
        n['Index Name'] &&
        tenantIndexes.get('memberships')?.has(n['Index Name']) &&
        new RegExp(`tenant_id = ${INIT_PLAN_PARAM}`).test(n['Index Cond'] ?? ''),
    );
    expect(
      probes.length,
      `${sql}: memberships is not probed through a tenant_id-leading index with the InitPlan's value. Plan:\n${text}`,
    ).toBeGreaterThan(0);
  });
});

/**
 * The policies must not change the plan of the statements the extension sends: the extension puts
 * `tenant_id = $1` (and, in a narrowed context, `workspace_id = $2`) into the statement, and the
 * policy's clauses repeat it. What they add must be estimated as true for (nearly) every row of the
 * tenant, or the planner expects fewer rows than there are and, for a LIMIT, prefers reading all of
 * the tenant's rows and sorting them to reading an index in order (the workspace clause as a CASE,
 * estimated at 50 %: a bitmap scan of all 50 tasks and a sort, for a findMany of 20). Compared with the
 * same statement's plan as the BYPASSRLS role, which no policy touches.
 */
describe('RLS policies keep the plan of the scoped statements', () => {
  const relationScans = (plan: PlanNode) =>
    nodesOf(plan).filter((n) => n['Relation Name'] !== undefined && n['Parent Relationship'] !== 'InitPlan');
  const shape = (plan: PlanNode) =>
    nodesOf(plan)
      .filter((n) => !['Result'].includes(n['Node Type']) && n['Parent Relationship'] !== 'InitPlan')
      .map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);

  async function unscopedPlanOf(sql: string): Promise<PlanNode> {
    const { rows } = await admin.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${sql}`);
    return rows[0]!['QUERY PLAN'][0]!.Plan;
  }

  for (const table of ['projects', 'tasks'])
    for (const workspace of [false, true]) {
      const as = workspace ? 'tenant and workspace set' : 'tenant set';
      it(`${table}: a findMany with LIMIT 20 is planned as unscoped (${as})`, async () => {
        const filter = workspace
          ? `tenant_id = '${ids.tenant(TENANT)}' and workspace_id = '${ids.workspace(TENANT, 0)}'`
          : `tenant_id = '${ids.tenant(TENANT)}'`;
        const sql = `select * from ${table} where ${filter} order by tenant_id, id limit 20`;
        const scoped = await planOf(sql, workspace);
        const unscoped = await unscopedPlanOf(sql);
        const text = `scoped:\n${JSON.stringify(scoped, null, 1)}\nunscoped:\n${JSON.stringify(unscoped, null, 1)}`;
        expect(shape(scoped), `${sql}: the policies changed the plan.\n${text}`).toEqual(shape(unscoped));
        const [scan] = relationScans(scoped);
        const [unscopedScan] = relationScans(unscoped);
        expect(
          scan!['Plan Rows']!,
          `${sql}: the policies make the planner expect fewer of the tenant's rows.\n${text}`,
        ).toBeGreaterThanOrEqual(0.9 * unscopedScan!['Plan Rows']!);
      });
    }
});
