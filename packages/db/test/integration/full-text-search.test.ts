/**
 * Full-text search (packages/db/src/search.ts, docs/full-text-search.md) on every route: a raw query
 * through the tenant client, scoped by RLS alone. Tries to break it: the same word in two tenants,
 * no context, a context narrowed to a workspace, soft-deleted rows, injection strings in the query,
 * an interactive transaction. Then the plans: what Postgres does under RLS (the GIN indexes cannot
 * take the text-search condition there, because to_tsvector and @@ are not LEAKPROOF: the natural plan
 * reads the tenant's rows through a tenant_id index), what it does without RLS, and that the runtime
 * role's search does use tasks_search_idx once a superuser has marked the two functions LEAKPROOF.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MissingTenantContextError,
  Prisma,
  SearchQueryError,
  searchTenant,
  tenantContext,
  type SearchHit,
  type TenantPrismaClient,
} from '../../src/index.js';
import { searchSql } from '../../src/search.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let prisma: TenantPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
/** Rows made for these tests, by tenant: ids of what each search should find. */
const made = {
  aProject: '',
  aTaskOne: '',
  aTaskTwo: '',
  aTaskOtherWorkspace: '',
  aDeletedTask: '',
  aDeletedProject: '',
  aTaskInDeletedProject: '',
  bProject: '',
  bTask: '',
};

beforeAll(async () => {
  db = await useTestDatabase();
  prisma = db.client();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo'], 2);
  const admin = db.admin();
  const project = (t: SeededTenant, w: 0 | 1, name: string) =>
    admin.project.create({ data: { tenantId: t.tenantId, workspaceId: t.workspaceIds[w], name } });
  const task = (t: SeededTenant, w: 0 | 1, projectId: string, title: string) =>
    admin.task.create({ data: { tenantId: t.tenantId, workspaceId: t.workspaceIds[w], projectId, title } });

  // "zebrafish" is in both tenants; "quokka" only in alpha's other workspace.
  const ap = await project(a, 0, 'Zebrafish research');
  made.aProject = ap.id;
  made.aTaskOne = (await task(a, 0, ap.id, 'zebrafish zebrafish feeding schedule')).id;
  made.aTaskTwo = (await task(a, 0, ap.id, 'order zebrafish tanks and other lab equipment for the new room')).id;
  const aw1 = await project(a, 1, 'Quokka survey');
  made.aTaskOtherWorkspace = (await task(a, 1, aw1.id, 'zebrafish quokka comparison')).id;
  made.aDeletedTask = (await task(a, 0, ap.id, 'zebrafish deleted task')).id;
  const dp = await project(a, 0, 'Zebrafish archive');
  made.aDeletedProject = dp.id;
  made.aTaskInDeletedProject = (await task(a, 0, dp.id, 'zebrafish archived notes')).id;
  const bp = await project(b, 0, 'Zebrafish for bravo');
  made.bProject = bp.id;
  made.bTask = (await task(b, 0, bp.id, 'bravo zebrafish secret')).id;

  // Soft deletes through the tenant client (the engine's rewrite, the project's trigger).
  await inTenant(a, () =>
    prisma.task.delete({ where: { tenantId_id: { tenantId: a.tenantId, id: made.aDeletedTask } } }),
  );
  await inTenant(a, () => prisma.project.delete({ where: { tenantId_id: { tenantId: a.tenantId, id: dp.id } } }));
});

const inTenant = <R>(t: SeededTenant, fn: () => Promise<R>, workspaceId?: string) =>
  tenantContext.run({ tenantId: t.tenantId, ...(workspaceId ? { workspaceId } : {}) }, fn);
const ids = (hits: SearchHit[]) => hits.map((h) => h.id).sort();

describe('searchTenant: isolation', () => {
  it('finds only the active tenant rows for a word both tenants use', async () => {
    const hitsA = await inTenant(a, () => searchTenant('zebrafish', { client: prisma }));
    expect(ids(hitsA)).toEqual([made.aProject, made.aTaskOne, made.aTaskTwo, made.aTaskOtherWorkspace].sort());
    const hitsB = await inTenant(b, () => searchTenant('zebrafish', { client: prisma }));
    expect(ids(hitsB)).toEqual([made.bProject, made.bTask].sort());
    // A word only the other tenant has finds nothing.
    expect(await inTenant(a, () => searchTenant('secret', { client: prisma }))).toEqual([]);
    expect(await inTenant(b, () => searchTenant('quokka', { client: prisma }))).toEqual([]);
  });

  it('returns the contract shape', async () => {
    const hits = await inTenant(a, () => searchTenant('zebrafish research', { client: prisma }));
    expect(hits).toEqual([
      {
        kind: 'project',
        id: made.aProject,
        title: 'Zebrafish research',
        projectId: null,
        workspaceId: a.workspaceIds[0],
        rank: expect.any(Number),
      },
    ]);
    const [task] = await inTenant(a, () => searchTenant('feeding', { client: prisma }));
    expect(task).toMatchObject({
      kind: 'task',
      id: made.aTaskOne,
      projectId: made.aProject,
      workspaceId: a.workspaceIds[0],
    });
  });

  it('refuses outside a context (the engine error), and the database would return nothing anyway', async () => {
    await expect(searchTenant('zebrafish', { client: prisma })).rejects.toBeInstanceOf(MissingTenantContextError);
    // The same SQL with no context, straight through the tenant client: RLS returns no row.
    const rows = await prisma.$queryRaw<unknown[]>(searchSql('zebrafish', 100));
    expect(rows).toEqual([]);
  });

  it('a context narrowed to a workspace finds only that workspace rows (RLS)', async () => {
    const w0 = await inTenant(a, () => searchTenant('zebrafish', { client: prisma }), a.workspaceIds[0]);
    expect(ids(w0)).toEqual([made.aProject, made.aTaskOne, made.aTaskTwo].sort());
    const w1 = await inTenant(a, () => searchTenant('zebrafish', { client: prisma }), a.workspaceIds[1]);
    expect(ids(w1)).toEqual([made.aTaskOtherWorkspace]);
    // Another tenant's workspace id in A's context: nothing (the policy compares tenant and workspace).
    const foreign = await inTenant(a, () => searchTenant('zebrafish', { client: prisma }), b.workspaceIds[0]);
    expect(foreign).toEqual([]);
  });

  it('never finds soft-deleted rows: a deleted task, a deleted project and the tasks deleted with it', async () => {
    const hits = await inTenant(a, () => searchTenant('deleted OR archive OR archived', { client: prisma }));
    expect(hits).toEqual([]);
    const stored = await db
      .pgPool('tenantry_admin')
      .query<{ n: number }>('select count(*)::int as n from tasks where id = any($1) and deleted_at is not null', [
        [made.aDeletedTask, made.aTaskInDeletedProject],
      ]);
    expect(stored.rows[0]!.n, 'the rows are still there, marked deleted').toBe(2);
  });

  it('works inside an interactive transaction, on the transaction, in its context', async () => {
    const [inTx, count] = await inTenant(a, () =>
      prisma.$transaction(async (tx) => {
        const found = await searchTenant('zebrafish', { client: tx });
        return [found, await tx.task.count()] as const;
      }),
    );
    expect(ids(inTx)).toEqual([made.aProject, made.aTaskOne, made.aTaskTwo, made.aTaskOtherWorkspace].sort());
    expect(count).toBeGreaterThan(0);
    // A row written in the transaction is found by a search in the same transaction, then rolled back.
    const rolledBack = new Error('roll back');
    let seen: SearchHit[] = [];
    await expect(
      inTenant(a, () =>
        prisma.$transaction(async (tx) => {
          await tx.task.create({
            data: { workspaceId: a.workspaceIds[0], projectId: made.aProject, title: 'platypus in a transaction' },
          });
          seen = await searchTenant('platypus', { client: tx });
          throw rolledBack;
        }),
      ),
    ).rejects.toBe(rolledBack);
    expect(seen.map((h) => h.title)).toEqual(['platypus in a transaction']);
    expect(await inTenant(a, () => searchTenant('platypus', { client: prisma }))).toEqual([]);
  });
});

describe('searchTenant: query text', () => {
  it.each([
    `zebrafish' OR '1'='1`,
    `zebrafish'); delete from tasks; --`,
    `zebrafish & | ! : * ( ) <-> <2>`,
    `zebrafish:* | secret`,
    `"zebrafish \\" secret`,
    `\\\\ zebrafish \\`,
    `$1 $$ zebrafish $tag$`,
    `- -zebrafish or or "" '' `,
  ])('treats %j as words, never as SQL or tsquery syntax, and stays in the tenant', async (q) => {
    const hits = await inTenant(a, () => searchTenant(q, { client: prisma }));
    for (const hit of hits) {
      expect([made.aProject, made.aTaskOne, made.aTaskTwo, made.aTaskOtherWorkspace]).toContain(hit.id);
    }
    // Nothing was deleted or changed.
    const { rows } = await db.pgPool('tenantry_admin').query<{ n: number }>('select count(*)::int as n from tasks');
    expect(rows[0]!.n).toBeGreaterThanOrEqual(8);
  });

  it('a query of operators only (no words) finds nothing and does not fail', async () => {
    expect(await inTenant(a, () => searchTenant(`& | ! : * ( ) ' "`, { client: prisma }))).toEqual([]);
  });

  it('websearch syntax: a phrase, or, and -word', async () => {
    const phrase = await inTenant(a, () => searchTenant('"feeding schedule"', { client: prisma }));
    expect(ids(phrase)).toEqual([made.aTaskOne]);
    const notPhrase = await inTenant(a, () => searchTenant('"schedule feeding"', { client: prisma }));
    expect(notPhrase).toEqual([]);
    const either = await inTenant(a, () => searchTenant('feeding or quokka', { client: prisma }));
    expect(ids(either)).toEqual([aw1Id(), made.aTaskOne, made.aTaskOtherWorkspace].sort());
    const without = await inTenant(a, () => searchTenant('zebrafish -quokka -research', { client: prisma }));
    expect(ids(without)).toEqual([made.aTaskOne, made.aTaskTwo].sort());
  });

  it('refuses NUL and other bad input with SearchQueryError before querying', async () => {
    await expect(inTenant(a, () => searchTenant('zebra\u0000fish', { client: prisma }))).rejects.toMatchObject({
      name: 'SearchQueryError',
      field: 'query',
    });
    await expect(inTenant(a, () => searchTenant(' ', { client: prisma }))).rejects.toBeInstanceOf(SearchQueryError);
    await expect(inTenant(a, () => searchTenant('x'.repeat(201), { client: prisma }))).rejects.toBeInstanceOf(
      SearchQueryError,
    );
    await expect(inTenant(a, () => searchTenant('zebrafish', { client: prisma, limit: 0 }))).rejects.toMatchObject({
      field: 'limit',
    });
  });
});

let aw1: string | undefined;
/** Alpha's "Quokka survey" project id (found once, through the admin client). */
function aw1Id(): string {
  if (!aw1) throw new Error('aw1 not loaded');
  return aw1;
}
beforeAll(async () => {
  const p = await db.admin().project.findFirstOrThrow({ where: { tenantId: a.tenantId, name: 'Quokka survey' } });
  aw1 = p.id;
});

describe('searchTenant: ranking and limit', () => {
  it('orders by rank descending, then id, and the limit cuts that order', async () => {
    const all = await inTenant(a, () => searchTenant('zebrafish', { client: prisma, limit: 100 }));
    const sorted = [...all].sort((x, y) => y.rank - x.rank || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    expect(all).toEqual(sorted);
    expect(all.every((h) => h.rank > 0)).toBe(true);
    // Two mentions in a short title rank above one mention in a long one.
    const rankOf = (id: string) => all.find((h) => h.id === id)!.rank;
    expect(rankOf(made.aTaskOne)).toBeGreaterThan(rankOf(made.aTaskTwo));
    const two = await inTenant(a, () => searchTenant('zebrafish', { client: prisma, limit: 2 }));
    expect(two).toEqual(all.slice(0, 2));
  });

  it('defaults to 20 hits and allows 100', async () => {
    await db.admin().task.createMany({
      data: Array.from({ length: 105 }, (_, i) => ({
        tenantId: a.tenantId,
        workspaceId: a.workspaceIds[0],
        projectId: made.aProject,
        title: `wombat ${i}`,
      })),
    });
    expect(await inTenant(a, () => searchTenant('wombat', { client: prisma }))).toHaveLength(20);
    expect(await inTenant(a, () => searchTenant('wombat', { client: prisma, limit: 100 }))).toHaveLength(100);
  });
});

// ---- Plans ----------------------------------------------------------------------------------------

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** EXPLAIN (FORMAT JSON) of searchTenant's own statement through `client`, as its flat node list. */
async function explain(client: { $queryRaw: TenantPrismaClient['$queryRaw'] }, word: string): Promise<PlanNode[]> {
  const rows = await client.$queryRaw<Array<{ 'QUERY PLAN': unknown }>>(
    Prisma.sql`EXPLAIN (FORMAT JSON) ${searchSql(word, 20)}`,
  );
  const raw = rows[0]!['QUERY PLAN'];
  const json = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
  return nodes(json[0]!.Plan);
}

/** The index scans on tasks (bitmap or plain), and whether any node on tasks is a sequential scan. */
function onTasks(plan: PlanNode[]) {
  return {
    seqScan: plan.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'tasks'),
    indexScans: plan.filter((n) => n['Index Name']?.startsWith('tasks_')),
  };
}

describe('searchTenant: the plan', () => {
  // A few thousand tasks across tenants, most in alpha, "zebrafish" in only a handful; ANALYZE'd.
  beforeAll(async () => {
    const su = db.pgPool('superuser');
    const [c] = await seedTenants(db.admin(), ['charlie'], 1);
    for (const [t, n] of [
      [a, 4000],
      [b, 3000],
      [c!, 3000],
    ] as const) {
      await su.query(
        `insert into tasks (id, tenant_id, workspace_id, project_id, title, updated_at)
         select gen_random_uuid(), $1, $2, $3, 'routine chore number ' || g || (array[' invoice',' report',' billing',' login'])[1 + g % 4], now()
           from generate_series(1, $4::int) g`,
        [t.tenantId, t.workspaceIds[0], t.projectIds[0], n],
      );
    }
    await su.query('analyze tasks');
    await su.query('analyze projects');
  });

  it('under RLS (runtime role, tenant context): a tenant_id index bounds the read to the tenant; @@ is a filter (not LEAKPROOF)', async () => {
    const plan = await inTenant(a, () => explain(prisma, 'zebrafish'));
    const tasks = onTasks(plan);
    expect(tasks.seqScan, JSON.stringify(plan)).toBe(false);
    expect(tasks.indexScans.length).toBeGreaterThan(0);
    for (const scan of tasks.indexScans) {
      // Every index read on tasks is by the tenant (the policy's own condition, an InitPlan parameter).
      expect(scan['Index Cond']).toMatch(/^\(tenant_id = \$\d+\)$/);
    }
    // The text-search condition is evaluated on the tenant's rows, not looked up in tasks_search_idx:
    // Postgres takes a condition into an index under RLS only if its functions are LEAKPROOF.
    const filtered = plan.filter((n) => n.Filter?.includes('@@') && n['Relation Name'] === 'tasks');
    expect(filtered.length).toBe(1);
    expect(plan.some((n) => n['Index Cond']?.includes('@@'))).toBe(false);
  });

  it('without RLS (the admin client) the same statement looks the words up in tasks_search_idx', async () => {
    const plan = await explain(db.admin(), 'zebrafish');
    const scan = plan.find((n) => n['Index Name'] === 'tasks_search_idx');
    expect(scan, JSON.stringify(plan)).toBeDefined();
    expect(scan!['Index Cond']).toContain("@@ '''zebrafish'''::tsquery");
  });

  it('once a superuser marks to_tsvector and ts_match_vq LEAKPROOF, the runtime role under RLS uses tasks_search_idx on tenant_id and the words', async () => {
    const su = db.pgPool('superuser');
    // This file's own database only (pg_proc is per database); undone at the end of the test.
    await su.query('alter function ts_match_vq(tsvector, tsquery) leakproof');
    await su.query('alter function to_tsvector(regconfig, text) leakproof');
    try {
      const plan = await inTenant(a, () => explain(prisma, 'zebrafish'));
      const scan = plan.find((n) => n['Index Name'] === 'tasks_search_idx');
      expect(scan, JSON.stringify(plan)).toBeDefined();
      expect(scan!['Index Cond']).toMatch(
        /^\(\(tenant_id = \$\d+\) AND \(to_tsvector\('simple'::regconfig, title\) @@ '''zebrafish'''::tsquery\)\)$/,
      );
      // And it is still RLS: same results as before, alpha's only.
      const hits = await inTenant(a, () => searchTenant('zebrafish', { client: prisma }));
      expect(ids(hits)).toEqual([made.aProject, made.aTaskOne, made.aTaskTwo, made.aTaskOtherWorkspace].sort());
    } finally {
      await su.query('alter function ts_match_vq(tsvector, tsquery) not leakproof');
      await su.query('alter function to_tsvector(regconfig, text) not leakproof');
    }
  });
});
