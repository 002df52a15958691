/**
 * Interactive transactions (`$transaction(async (tx) => ...)`): adapter-pg checks out one connection
 * and sends BEGIN (and SET TRANSACTION for an isolation level) through it, so the tenant is bound at
 * checkout and travels with every data statement inside. These tests prove that commits land in the
 * context tenant, rollbacks leave nothing, concurrent transactions of two tenants stay apart (I1, I3),
 * and that the connection carries nothing to its next user (I4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantContextMismatchError, tenantContext } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  [a, b] = await seedTenants(admin, ['alpha', 'bravo']);
});

/** A meeting point for `parties` concurrent callers: nobody passes until everyone has arrived. */
function rendezvous(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === parties) open();
    return gate;
  };
}

type RawRow = { tenantId: string; id: string };

describe('interactive transactions', () => {
  it("the tenant extension scopes the transaction's own client too: another tenant in where or data is refused", async () => {
    const prisma = db.client();
    const attempts: Array<[string, (tx: typeof prisma) => Promise<unknown>]> = [
      ['findMany where tenantId', (tx) => tx.project.findMany({ where: { tenantId: b.tenantId } })],
      ['count where tenantId', (tx) => tx.task.count({ where: { tenantId: b.tenantId } })],
      [
        'create with tenantId',
        (tx) => tx.workspace.create({ data: { tenantId: b.tenantId, name: `foreign ${Math.random()}` } }),
      ],
    ];
    for (const [what, attempt] of attempts) {
      const error = await tenantContext
        .run({ tenantId: a.tenantId }, () => prisma.$transaction((tx) => attempt(tx as typeof prisma)))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as Error | undefined)?.name, `${what} inside an interactive transaction of A`).toBe(
        'TenantMismatchError',
      );
    }
  });

  it('a committed transaction writes its rows in the context tenant', async () => {
    const prisma = db.client();
    const { workspace, project, seen } = await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(async (tx) => {
        const workspace = await tx.workspace.create({ data: { name: 'alpha tx committed' } });
        const project = await tx.project.create({ data: { name: 'alpha tx committed', workspaceId: workspace.id } });
        return { workspace, project, seen: await tx.project.findMany() };
      }),
    );
    expect(foreignRows(seen, a.tenantId, 'tx project.findMany')).toEqual([]);
    expect(seen.map((p) => p.id)).toContain(project.id);
    const rows = [
      ...(await admin.workspace.findMany({ where: { id: workspace.id } })),
      ...(await admin.project.findMany({ where: { id: project.id } })),
    ];
    expect(rows).toHaveLength(2);
    expect(foreignRows(rows, a.tenantId, 'tx commit (admin view)')).toEqual([]);
  });

  it('a transaction that throws rolls back everything it wrote', async () => {
    const prisma = db.client();
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          const workspace = await tx.workspace.create({ data: { name: 'alpha tx thrown' } });
          await tx.project.create({ data: { name: 'alpha tx thrown', workspaceId: workspace.id } });
          await tx.task.updateMany({ data: { done: true } });
          throw new Error('the caller changed its mind');
        }),
      ),
    ).rejects.toThrow('the caller changed its mind');
    expect(await admin.workspace.findMany({ where: { name: 'alpha tx thrown' } })).toEqual([]);
    expect(await admin.project.findMany({ where: { name: 'alpha tx thrown' } })).toEqual([]);
    expect(await admin.task.count({ where: { tenantId: a.tenantId, done: true } })).toBe(0);
  });

  it('an isolation level option runs the transaction at that level, still scoped to the tenant', async () => {
    const prisma = db.client();
    for (const [isolationLevel, expected] of [
      ['Serializable', 'serializable'],
      ['RepeatableRead', 'repeatable read'],
    ] as const) {
      const result = await tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(
          async (tx) => {
            // SET TRANSACTION must reach Postgres before any data statement, settings included (25001).
            const [level] = await tx.$queryRaw<
              Array<{ level: string }>
            >`select current_setting('transaction_isolation') as level`;
            const projects = await tx.project.findMany();
            const workspace = await tx.workspace.create({ data: { name: `alpha tx ${isolationLevel}` } });
            return { level: level!.level, projects, workspace };
          },
          { isolationLevel },
        ),
      );
      expect(result.level).toBe(expected);
      expect(foreignRows(result.projects, a.tenantId, `tx ${isolationLevel} project.findMany`)).toEqual([]);
      expect(result.projects.length).toBeGreaterThan(0);
      const [written] = await admin.workspace.findMany({ where: { id: result.workspace.id } });
      expect(written?.tenantId).toBe(a.tenantId);
    }
  });

  it('raw queries inside a transaction see the context tenant settings and rows', async () => {
    const prisma = db.client();
    const ctx = { tenantId: a.tenantId, workspaceId: a.workspaceIds[1], userId: a.userId };
    const result = await tenantContext.run(ctx, () =>
      prisma.$transaction(async (tx) => {
        const [settings] = await tx.$queryRaw<Array<{ tenant: string; workspace: string; user: string }>>`
          select current_setting('app.tenant_id') as tenant, current_setting('app.workspace_id') as workspace,
                 current_setting('app.user_id') as "user"`;
        const rows = await tx.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from tasks`;
        return { settings, rows };
      }),
    );
    expect(result.settings).toEqual({ tenant: a.tenantId, workspace: a.workspaceIds[1], user: a.userId });
    expect(foreignRows(result.rows, a.tenantId, 'tx $queryRaw tasks')).toEqual([]);
    expect(result.rows.map((r) => r.id).sort()).toEqual(a.taskIds.slice(2).sort());
  });

  it('concurrent transactions of two tenants each see and write only their own rows', async () => {
    const prisma = db.client();
    // Earlier tests added projects to A; the admin client says which each tenant owns now.
    const owned = new Map<string, string[]>();
    for (const t of [a, b]) {
      owned.set(
        t.tenantId,
        (await admin.project.findMany({ where: { tenantId: t.tenantId } })).map((p) => p.id).sort(),
      );
    }
    for (let round = 0; round < 5; round++) {
      // Both transactions are open at once, on two connections, at each meeting point.
      const afterRead = rendezvous(2);
      const afterWrite = rendezvous(2);
      const work = (t: SeededTenant) =>
        tenantContext.run({ tenantId: t.tenantId }, () =>
          prisma.$transaction(async (tx) => {
            const before = await tx.project.findMany();
            await afterRead();
            const created = await tx.workspace.create({ data: { name: `${t.label} tx concurrent ${round}` } });
            const raw = await tx.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from workspaces`;
            await afterWrite();
            const after = await tx.task.findMany();
            return { before, created, raw, after };
          }),
        );
      const [ra, rb] = await Promise.all([work(a), work(b)]);
      for (const [t, r] of [
        [a, ra],
        [b, rb],
      ] as const) {
        expect(foreignRows(r.before, t.tenantId, `round ${round} tx project.findMany`)).toEqual([]);
        expect(foreignRows(r.raw, t.tenantId, `round ${round} tx $queryRaw workspaces`)).toEqual([]);
        expect(foreignRows(r.after, t.tenantId, `round ${round} tx task.findMany`)).toEqual([]);
        expect(r.before.map((p) => p.id).sort()).toEqual(owned.get(t.tenantId));
        expect(r.raw.map((w) => w.id)).toContain(r.created.id);
        const [written] = await admin.workspace.findMany({ where: { id: r.created.id } });
        expect(written?.tenantId, `round ${round}: workspace ${r.created.id} of ${t.label}`).toBe(t.tenantId);
      }
    }
  });

  it('an error inside a transaction rolls back everything before it', async () => {
    const prisma = db.client();
    // Workspace names are unique per tenant: "alpha ws0" already exists.
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          const workspace = await tx.workspace.create({ data: { name: 'alpha tx before duplicate' } });
          await tx.project.create({ data: { name: 'alpha tx before duplicate', workspaceId: workspace.id } });
          await tx.workspace.create({ data: { name: 'alpha ws0' } });
        }),
      ),
    ).rejects.toMatchObject({ code: 'P2002' });
    // A row-level security refusal inside the transaction rolls back the same way.
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          await tx.workspace.create({ data: { name: 'alpha tx before rls' } });
          await tx.$executeRaw`insert into workspaces (tenant_id, id, name) values (${b.tenantId}::uuid, gen_random_uuid(), 'alpha tx rls')`;
        }),
      ),
    ).rejects.toMatchObject({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '42501' } } } });
    expect(await admin.workspace.findMany({ where: { name: { startsWith: 'alpha tx before' } } })).toEqual([]);
    expect(await admin.project.findMany({ where: { name: 'alpha tx before duplicate' } })).toEqual([]);
    expect(await admin.workspace.findMany({ where: { name: 'alpha tx rls' } })).toEqual([]);
  });

  it('a transaction client used inside another context is refused with TenantContextMismatchError', async () => {
    // Small and closed at the end: behind a session-mode PgBouncer every open connection holds a
    // server connection, and the file's clients share a pool of 10.
    const prisma = db.client({ poolSize: 1 });
    // The connection was bound to A at checkout. Under a nested run for B, raw SQL would act for A
    // while the extension filtered by B (model queries silently empty): both are refused instead.
    await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(async (tx) => {
        await tenantContext.run({ tenantId: b.tenantId }, async () => {
          const raw = tx.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from projects`;
          await expect(raw).rejects.toThrow(TenantContextMismatchError);
          await expect(tx.project.findMany()).rejects.toThrow(TenantContextMismatchError);
        });
        // Back in A, the same transaction works and sees A.
        const own = await tx.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from projects`;
        expect(own.length).toBeGreaterThan(0);
        expect(foreignRows(own, a.tenantId, 'tx $queryRaw back in its own context')).toEqual([]);
      }),
    );
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          await tenantContext.run({ tenantId: b.tenantId }, () =>
            tx.workspace.create({ data: { name: 'bravo via alpha tx' } }),
          );
        }),
      ),
    ).rejects.toThrow(TenantContextMismatchError);
    // Same workspace id, other field: a narrowed context is a different context too.
    await expect(
      tenantContext.run({ tenantId: a.tenantId }, () =>
        prisma.$transaction(async (tx) => {
          await tenantContext.run(
            { tenantId: a.tenantId, workspaceId: a.workspaceIds[0]! },
            () => tx.$executeRaw`select 1`,
          );
        }),
      ),
    ).rejects.toMatchObject({ name: 'TenantContextMismatchError', fields: ['workspaceId'] });
    expect(await admin.workspace.findMany({ where: { name: 'bravo via alpha tx' } })).toEqual([]);
    await prisma.$disconnect();
  });

  it('a transaction client leaked out of its transaction callback cannot be used inside another context', async () => {
    const prisma = db.client({ poolSize: 1 });
    let leaked: { $queryRaw: typeof prisma.$queryRaw } | undefined;
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    const tx = tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(async (t) => {
        leaked = t;
        await held;
      }),
    );
    while (!leaked) await new Promise((r) => setTimeout(r, 5));
    const leakedTx = leaked;
    await expect(
      tenantContext.run({ tenantId: b.tenantId }, () => leakedTx.$queryRaw`select count(*)::int as n from projects`),
    ).rejects.toThrow(TenantContextMismatchError);
    finish();
    await tx;
    await prisma.$disconnect();
  });

  it('after a transaction the pooled connection carries no tenant to its next user', async () => {
    // One connection, so the query after the transaction runs on the connection the transaction used.
    const prisma = db.client({ poolSize: 1 });
    const inside = await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<Array<{ pid: number; tenant: string }>>`
          select pg_backend_pid() as pid, current_setting('app.tenant_id') as tenant`;
        await tx.project.findMany();
        return row!;
      }),
    );
    expect(inside.tenant).toBe(a.tenantId);

    const [after] = await prisma.$queryRaw<
      Array<{ pid: number; tenant: string | null; projects: bigint; tasks: bigint }>
    >`
      select pg_backend_pid() as pid, current_setting('app.tenant_id', true) as tenant,
             (select count(*) from projects) as projects, (select count(*) from tasks) as tasks`;
    // A transaction pooler may hand the next statement to another server connection; the other
    // routes reuse the same backend, which is what makes this a test of leftover state.
    if (db.route !== 'pgbouncer-transaction') expect(after!.pid).toBe(inside.pid);
    expect(['', null]).toContain(after!.tenant);
    expect(Number(after!.projects)).toBe(0);
    expect(Number(after!.tasks)).toBe(0);
  });

  it('a session-level setting written by raw SQL inside a transaction does not reach the next user of the connection', async () => {
    const prisma = db.client({ poolSize: 1 });
    await tenantContext.run({ tenantId: a.tenantId }, () =>
      prisma.$transaction(async (tx) => {
        // is_local = false: outlives COMMIT and stays on the connection, in every pooler mode.
        await tx.$queryRaw`select set_config('app.tenant_id', ${a.tenantId}, false)`;
      }),
    );
    try {
      const [noContext] = await prisma.$queryRaw<Array<{ tenant: string | null; projects: bigint }>>`
        select current_setting('app.tenant_id', true) as tenant, (select count(*) from projects) as projects`;
      expect(['', null]).toContain(noContext!.tenant);
      expect(Number(noContext!.projects)).toBe(0);
      const seenByB = await tenantContext.run(
        { tenantId: b.tenantId },
        () => prisma.$queryRaw<RawRow[]>`select tenant_id::text as "tenantId", id::text from projects`,
      );
      expect(foreignRows(seenByB, b.tenantId, '$queryRaw projects after a session-level set_config by A')).toEqual([]);
      expect(seenByB.map((p) => p.id).sort()).toEqual([...b.projectIds].sort());
    } finally {
      await prisma.$executeRaw`select set_config('app.tenant_id', '', false)`;
    }
  });
});
