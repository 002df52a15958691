/**
 * raw-pg: the floor. The SQL Prisma generates for the same workloads (copied from its query log),
 * run on node-postgres with no Prisma at all, with the same tenant settings: the TenantPool is used
 * directly (`pool.query(text, values)` inside `tenantContext.run`), so each statement carries
 * `set_config(..., true)` under the same Sync, one round trip, exactly as under Prisma. The
 * difference between this and tenantry-direct is what Prisma itself costs.
 *
 * Rows are decoded as adapter-pg decodes them (adapter-pg-parsers.ts: arrays, timestamps kept as
 * text), so the floor is not slower than Prisma for doing more decoding than Prisma's driver.
 * The isolation check reads column 0 (`tenant_id` leads every select list).
 *
 * Multi-statement workloads mirror Prisma's statement sequence: a nested create is BEGIN, INSERT
 * project, INSERT tasks (one multi-row statement), SELECT project, SELECT tasks, COMMIT.
 *
 * Every workload runs as a model operation, with each pool call inside the driver's window
 * (model-operation.ts: the marks the engine sets on Prisma's model operations and its adapter's
 * calls): its statements are Prisma's own, which leave nothing on the session, so a clean session
 * skips the reset as tenantry-direct's does. Unmarked, the pool would start every pipeline with
 * DISCARD ALL (it cannot tell the bench's SQL from raw SQL), and the floor would pay for a reset
 * tenantry does not run (create c=32 was 0.43x the baseline, against tenantry-direct's 0.81x).
 */
import { randomUUID } from 'node:crypto';
import { TenantPool, tenantContext } from '@tenantry/db';
import { driverStatement, driverTransaction, modelOperation } from './model-operation.js';
import type pg from 'pg';
import { adapterPgQuery } from './adapter-pg-parsers.js';
import { NESTED_TASKS, type Row } from '../workloads.js';
import type { Strategy, StrategyOptions } from './types.js';

const columns = (table: string, names: string[]) => names.map((c) => `"public"."${table}"."${c}"`).join(', ');
const col = (table: string, name: string) => `"public"."${table}"."${name}"`;
const TASK_COLUMNS = columns('tasks', [
  'tenant_id',
  'id',
  'workspace_id',
  'project_id',
  'title',
  'done',
  'created_at',
  'updated_at',
  'deleted_at',
]);
const PROJECT_COLUMNS = columns('projects', [
  'tenant_id',
  'id',
  'workspace_id',
  'name',
  'created_at',
  'updated_at',
  'deleted_at',
]);
const INSERT_PROJECT = `INSERT INTO "public"."projects" ("tenant_id","workspace_id","id","name","created_at","updated_at") VALUES ($1,$2,$3,$4,$5,$6) RETURNING`;
const NESTED_INSERT = (() => {
  const rows = Array.from(
    { length: NESTED_TASKS },
    (_, i) => `(${Array.from({ length: 8 }, (_, j) => `$${i * 8 + j + 1}`).join(',')})`,
  );
  return `INSERT INTO "public"."tasks" ("tenant_id","workspace_id","id","project_id","title","done","created_at","updated_at") VALUES ${rows.join(', ')}`;
})();
const t = (name: string) => col('tasks', name);
const pr = (name: string) => col('projects', name);

/**
 * The statements Prisma sends for tenantry-direct's operations (the tenant extension's filters and
 * soft delete's `deleted_at IS NULL` included), text for text; `bench/test/raw-pg-sql.test.ts`
 * compares them with Prisma's query log, so they cannot go stale when Prisma or the extension
 * changes what it sends.
 */
export const SQL = {
  findMany: `SELECT ${TASK_COLUMNS} FROM "public"."tasks" WHERE (${t('deleted_at')} IS NULL AND ${t('tenant_id')} = $1) ORDER BY ${t('tenant_id')} ASC, ${t('id')} ASC LIMIT $2 OFFSET $3`,
  findUnique: `SELECT ${TASK_COLUMNS} FROM "public"."tasks" WHERE ((${t('tenant_id')} = $1 AND ${t('id')} = $2) AND (${t('deleted_at')} IS NULL AND ${t('tenant_id')} = $3)) LIMIT $4 OFFSET $5`,
  insertProject: `${INSERT_PROJECT} ${PROJECT_COLUMNS}`,
  insertProjectKeys: `${INSERT_PROJECT} ${columns('projects', ['tenant_id', 'id', 'workspace_id'])}`,
  insertTasks: NESTED_INSERT,
  selectProject: `SELECT ${PROJECT_COLUMNS} FROM "public"."projects" WHERE (${pr('tenant_id')} = $1 AND ${pr('id')} = $2) LIMIT $3 OFFSET $4`,
  selectProjectTasks: `SELECT ${TASK_COLUMNS} FROM "public"."tasks" WHERE (${t('deleted_at')} IS NULL AND ${t('tenant_id')} = $1 AND ${t('workspace_id')} = $2 AND ${t('project_id')} = $3) OFFSET $4`,
  selectLiveProject: `SELECT ${PROJECT_COLUMNS} FROM "public"."projects" WHERE ((${pr('tenant_id')} = $1 AND ${pr('id')} = $2) AND (${pr('deleted_at')} IS NULL AND ${pr('tenant_id')} = $3 AND ${pr('workspace_id')} = $4)) LIMIT $5 OFFSET $6`,
  countTasks: `SELECT COUNT(*) AS "_count$_all" FROM (SELECT ${t('tenant_id')}, ${t('id')} FROM "public"."tasks" WHERE (${t('project_id')} = $1 AND ${t('deleted_at')} IS NULL AND ${t('tenant_id')} = $2 AND ${t('workspace_id')} = $3) OFFSET $4) AS "sub"`,
  renameProject: `UPDATE "public"."projects" SET "name" = $1, "updated_at" = $2 WHERE ((${pr('tenant_id')} = $3 AND ${pr('id')} = $4) AND (${pr('deleted_at')} IS NULL AND ${pr('tenant_id')} = $5 AND ${pr('workspace_id')} = $6)) RETURNING ${PROJECT_COLUMNS}`,
};

/** Per workload, the statements raw-pg sends in order (BEGIN and COMMIT left out). */
export const RAW_PG_STATEMENTS = {
  findMany: [SQL.findMany],
  findUnique: [SQL.findUnique],
  create: [SQL.insertProject],
  nestedCreate: [SQL.insertProjectKeys, SQL.insertTasks, SQL.selectProject, SQL.selectProjectTasks],
  transaction: [SQL.selectLiveProject, SQL.countTasks, SQL.renameProject],
} as const;

/** What the isolation check needs of an array row: its tenant, column 0. */
const tenantRows = (rows: unknown[][]): Row[] => rows.map((r) => ({ tenant_id: r[0] as string }));

export function rawPgStrategy(url: string, options: StrategyOptions): Strategy {
  // pooler 'none': a direct connection, as tenantry-direct's (the default, 'transaction', resets before every
  // statement because a transaction-mode pooler shares the server session).
  const pool = new TenantPool({ connectionString: url, max: options.poolSize, pooler: 'none' });
  pool.on('error', () => {});
  const rows = async (text: string, values: unknown[]): Promise<Row[]> =>
    tenantRows((await driverStatement(() => pool.query(adapterPgQuery(text, values)))).rows);

  /** One statement of a transaction, as the driver's statement. */
  const q = (client: pg.PoolClient, query: pg.QueryArrayConfig) => driverStatement(() => client.query(query));

  /** BEGIN … COMMIT on one checked-out connection; ROLLBACK and rethrow on failure. */
  async function inTransaction<R>(work: (client: pg.PoolClient) => Promise<R>): Promise<R> {
    const client = await driverTransaction(() => pool.connect());
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    name: 'raw-pg',
    ops: {
      findMany: (p) =>
        tenantContext.run({ tenantId: p.tenantId }, () =>
          modelOperation(() => rows(SQL.findMany, [p.tenantId, 20, 0])),
        ),
      findUnique: (p) =>
        tenantContext.run({ tenantId: p.tenantId }, () =>
          modelOperation(() => rows(SQL.findUnique, [p.tenantId, p.taskId, p.tenantId, 1, 0])),
        ),
      create: (p) =>
        tenantContext.run({ tenantId: p.tenantId, workspaceId: p.workspaceId }, () =>
          modelOperation(() => {
            const now = new Date();
            return rows(SQL.insertProject, [p.tenantId, p.workspaceId, randomUUID(), `bench ${p.seq}`, now, now]);
          }),
        ),
      nestedCreate: (p) =>
        tenantContext.run({ tenantId: p.tenantId, workspaceId: p.workspaceId }, () =>
          modelOperation(() =>
            inTransaction(async (client) => {
              const now = new Date();
              const projectId = randomUUID();
              const name = `bench nested ${p.seq}`;
              await q(
                client,
                adapterPgQuery(SQL.insertProjectKeys, [p.tenantId, p.workspaceId, projectId, name, now, now]),
              );
              const values = Array.from({ length: NESTED_TASKS }, (_, i) => [
                p.tenantId,
                p.workspaceId,
                randomUUID(),
                projectId,
                `bench task ${i}`,
                false,
                now,
                now,
              ]).flat();
              await q(client, adapterPgQuery(SQL.insertTasks, values));
              const project = await q(client, adapterPgQuery(SQL.selectProject, [p.tenantId, projectId, 1, 0]));
              const tasks = await q(
                client,
                adapterPgQuery(SQL.selectProjectTasks, [p.tenantId, p.workspaceId, projectId, 0]),
              );
              return tenantRows([...project.rows, ...tasks.rows]);
            }),
          ),
        ),
      transaction: (p) =>
        tenantContext.run({ tenantId: p.tenantId, workspaceId: p.workspaceId }, () =>
          modelOperation(() =>
            inTransaction(async (client) => {
              const project = await q(
                client,
                adapterPgQuery(SQL.selectLiveProject, [p.tenantId, p.projectId, p.tenantId, p.workspaceId, 1, 0]),
              );
              await q(client, adapterPgQuery(SQL.countTasks, [p.projectId, p.tenantId, p.workspaceId, 0]));
              const rename = [`renamed ${p.seq}`, new Date(), p.tenantId, p.projectId, p.tenantId, p.workspaceId];
              const renamed = await q(client, adapterPgQuery(SQL.renameProject, rename));
              return project.rowCount ? tenantRows([...project.rows, ...renamed.rows]) : [];
            }),
          ),
        ),
    },
    async close() {
      if (!pool.ending) await pool.end();
    },
  };
}
