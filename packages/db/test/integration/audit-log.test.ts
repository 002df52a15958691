/**
 * The audit log (docs/audit-log.md), on this file's route: every write to an audited table, by any
 * path (model operations, nested writes, soft deletes, raw SQL, interactive transactions), leaves
 * exactly one event per written row, with the row's tenant and workspace, the context's user and the
 * writing transaction's id, in the same transaction (a rollback leaves none). The runtime role reads
 * only its tenant's events (narrowed to a workspace, that workspace's only)
 * and can write none: INSERT, UPDATE, DELETE, TRUNCATE and the erasure function are refused by the
 * database, through Prisma and through raw SQL, and nothing changes.
 *
 * Events are read as the superuser, by row key, so the assertions do not depend on the RLS under test.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { MissingTenantContextError, tenantContext, type TenantContext } from '../../src/index.js';
import { expectPostgresError, postgresCode } from '../support/errors.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

interface Event {
  tenant_id: string;
  workspace_id: string | null;
  table_name: string;
  operation: string;
  row_key: Record<string, string>;
  changes: Record<string, unknown> | null;
  user_id: string | null;
  txid: string;
}

/** The events of rows whose key `id` is one of `ids` (or of memberships of `userIds`), oldest first. */
async function eventsOf(ids: string[], extra = ''): Promise<Event[]> {
  const { rows } = await db.pgPool('superuser').query<Event>(
    `select tenant_id, workspace_id, table_name, operation, row_key, changes, user_id, txid::text
       from audit_events where (row_key ->> 'id' = any($1::text[]) or row_key ->> 'user_id' = any($1::text[])) ${extra} order by id`,
    [ids],
  );
  return rows;
}

async function eventCount(): Promise<number> {
  const { rows } = await db.pgPool('superuser').query('select count(*)::int as n from audit_events');
  return rows[0].n;
}

const ctxA = (extra: Partial<TenantContext> = {}): TenantContext => ({
  tenantId: a.tenantId,
  workspaceId: a.workspaceIds[0],
  userId: a.userId,
  ...extra,
});
const inA = <R>(fn: () => Promise<R>, extra: Partial<TenantContext> = {}) => tenantContext.run(ctxA(extra), fn);

describe('audit log: what is recorded', () => {
  it('create, update, soft delete and hard delete of a model: one event each, with tenant, workspace, user and txid', async () => {
    const prisma = db.client();
    const project = await inA(() => prisma.project.create({ data: { name: 'audited project' } }));
    await inA(() =>
      prisma.project.update({
        where: { tenantId_id: { tenantId: a.tenantId, id: project.id } },
        data: { name: 'renamed' },
      }),
    );
    await inA(() => prisma.project.delete({ where: { tenantId_id: { tenantId: a.tenantId, id: project.id } } }));
    const events = await eventsOf([project.id]);
    expect(events.map((e) => [e.table_name, e.operation])).toEqual([
      ['projects', 'INSERT'],
      ['projects', 'UPDATE'],
      ['projects', 'UPDATE'], // the soft delete (deleted_at set), as the engine writes it
    ]);
    for (const e of events) {
      expect(e).toMatchObject({
        tenant_id: a.tenantId,
        workspace_id: a.workspaceIds[0],
        user_id: a.userId,
        row_key: { tenant_id: a.tenantId, id: project.id },
      });
      expect(Number(e.txid)).toBeGreaterThan(0);
    }
    expect(events[0]!.changes).toMatchObject({ id: project.id, name: 'audited project', deleted_at: null });
    expect(events[1]!.changes).toMatchObject({ name: { old: 'audited project', new: 'renamed' } });
    expect(Object.keys(events[2]!.changes!).sort()).toEqual(
      ['deleted_at', 'updated_at'].filter((k) => k in events[2]!.changes!).sort(),
    );
    expect(events[2]!.changes!.deleted_at).toMatchObject({ old: null });
    // Three statements, three transactions.
    expect(new Set(events.map((e) => e.txid)).size).toBe(3);

    // A hard delete (raw SQL; the model delete is soft) is a DELETE event with the row's last values.
    await inA(() => prisma.$executeRaw`delete from projects where id = ${project.id}::uuid`);
    const [deleted] = await eventsOf([project.id], `and operation = 'DELETE'`);
    expect(deleted).toMatchObject({
      table_name: 'projects',
      user_id: a.userId,
      changes: { id: project.id, name: 'renamed' },
    });
  });

  it('a nested write audits every row it writes, in both tables, in one transaction', async () => {
    const prisma = db.client();
    const project = await inA(() =>
      prisma.project.create({
        data: { name: 'nested', tasks: { create: [{ title: 'one' }, { title: 'two' }, { title: 'three' }] } },
        include: { tasks: true },
      }),
    );
    const ids = [project.id, ...project.tasks.map((t) => t.id)];
    const events = await eventsOf(ids);
    expect(
      events
        .filter((e) => e.operation === 'INSERT')
        .map((e) => e.table_name)
        .sort(),
    ).toEqual(['projects', 'tasks', 'tasks', 'tasks']);
    expect(new Set(events.map((e) => e.txid)).size).toBe(1);
    expect(new Set(events.map((e) => e.row_key.id))).toEqual(new Set(ids));
    // Deleting the project (soft) marks its tasks too: their trigger's UPDATE is audited as well.
    await inA(() => prisma.project.delete({ where: { tenantId_id: { tenantId: a.tenantId, id: project.id } } }));
    const updates = await eventsOf(ids, `and operation = 'UPDATE'`);
    expect(updates.map((e) => e.table_name).sort()).toEqual(['projects', 'tasks', 'tasks', 'tasks']);
    expect(new Set(updates.map((e) => e.txid)).size).toBe(1);
  });

  it('raw SQL writes are audited like model writes, with the context user', async () => {
    const prisma = db.client();
    const id = randomUUID();
    await inA(
      () =>
        prisma.$executeRaw`insert into tasks (id, project_id, title, updated_at) values (${id}::uuid, ${a.projectIds[0]}::uuid, 'raw', now())`,
    );
    await inA(() => prisma.$executeRaw`update tasks set done = true where id = ${id}::uuid`);
    const events = await eventsOf([id]);
    expect(events.map((e) => e.operation)).toEqual(['INSERT', 'UPDATE']);
    expect(events.every((e) => e.user_id === a.userId && e.tenant_id === a.tenantId)).toBe(true);
    expect(events[1]!.changes).toEqual({ done: { old: false, new: true } });
  });

  it('without a user in the context the event has no user; the context user cannot be replaced by raw SQL; a non-UUID user fails the write', async () => {
    const prisma = db.client();
    const project = await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, () =>
      prisma.project.create({ data: { name: 'no user' } }),
    );
    expect((await eventsOf([project.id]))[0]).toMatchObject({ user_id: null, operation: 'INSERT' });
    // The connection layer sends the context's settings with every statement: a set_config by raw
    // SQL earlier in the transaction does not reach the next write.
    const forged = await inA(() =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`select set_config('app.user_id', ${b.userId}, true)`;
        return tx.project.create({ data: { name: 'forged user' } });
      }),
    );
    expect((await eventsOf([forged.id]))[0]).toMatchObject({ user_id: a.userId });
    // Below the engine (a plain connection as the runtime role), a user setting that is not a UUID
    // fails the write instead of recording garbage.
    const before = await eventCount();
    const client = await db.pgPool('tenantry_app', { route: db.route }).connect();
    try {
      await client.query('begin');
      // SET LOCAL, not set_config: on Citus (pnpm test:citus) only SET LOCAL reaches the workers.
      for (const [name, value] of [
        ['app.tenant_id', a.tenantId],
        ['app.workspace_id', a.workspaceIds[0]],
        ['app.user_id', 'not-a-uuid'],
      ] as const) {
        await client.query(`set local ${name} = ${pg.escapeLiteral(value)}`);
      }
      await expect(
        client
          .query(`insert into projects (id, name, updated_at) values (gen_random_uuid(), 'bad user', now())`)
          .then(() => 'succeeded', postgresCode),
      ).resolves.toBe('22023');
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await eventCount()).toBe(before);
  });

  it('an interactive transaction: its events share its txid; a rolled-back one leaves no event and no row', async () => {
    const prisma = db.client();
    const [p, t] = await inA(() =>
      prisma.$transaction(async (tx) => {
        const p = await tx.project.create({ data: { name: 'in tx' } });
        const t = await tx.task.create({ data: { projectId: p.id, title: 'in tx' } });
        await tx.task.update({
          where: { tenantId_id: { tenantId: a.tenantId, id: t.id } },
          data: { title: 'edited in tx' },
        });
        return [p, t] as const;
      }),
    );
    const events = await eventsOf([p.id, t.id]);
    expect(events.map((e) => `${e.table_name} ${e.operation}`)).toEqual([
      'projects INSERT',
      'tasks INSERT',
      'tasks UPDATE',
    ]);
    expect(new Set(events.map((e) => e.txid)).size).toBe(1);

    const before = await eventCount();
    const id = randomUUID();
    await expect(
      inA(() =>
        prisma.$transaction(async (tx) => {
          await tx.project.create({ data: { id, name: 'rolled back' } });
          throw new Error('roll back');
        }),
      ),
    ).rejects.toThrow('roll back');
    expect(await eventsOf([id])).toEqual([]);
    expect(await eventCount()).toBe(before);
  });

  it('a many-row update pairs each old row with its own new row, also when it changes the key', async () => {
    const prisma = db.client();
    const tasks = await inA(() =>
      prisma.task.createManyAndReturn({
        data: Array.from({ length: 25 }, (_, i) => ({
          projectId: a.projectIds[0]!,
          title: `bulk ${String(i).padStart(2, '0')}`,
        })),
      }),
    );
    const ids = tasks.map((t) => t.id);
    // Rows are updated in physical order, not title order: shuffle them first so the pairing is tested.
    // (The half is drawn here, not by random() in SQL: Citus refuses volatile functions in an UPDATE.)
    const half = ids.filter(() => Math.random() < 0.5);
    await inA(
      () => prisma.$executeRaw`update tasks set done = (id = any(${half}::uuid[])) where id = any(${ids}::uuid[])`,
    );
    await inA(
      () =>
        prisma.$executeRaw`update tasks set title = title || ' (' || id::text || ')' where id = any(${ids}::uuid[])`,
    );
    const updates = await eventsOf(ids, `and operation = 'UPDATE' and changes ? 'title'`);
    expect(updates).toHaveLength(25);
    for (const e of updates) {
      const title = e.changes!.title as { old: string; new: string };
      expect(title.new).toBe(`${title.old} (${e.row_key.id})`);
    }
    // A key change: the event names the row by its new key, and the old key is in the changes.
    const renamed = randomUUID();
    await inA(() => prisma.$executeRaw`update tasks set id = ${renamed}::uuid where id = ${ids[0]}::uuid`);
    const [moved] = await eventsOf([renamed]);
    expect(moved).toMatchObject({
      operation: 'UPDATE',
      row_key: { id: renamed },
      changes: { id: { old: ids[0], new: renamed } },
    });
  });

  it('tenant-wide tables (memberships, invitations, workspaces) are audited without a workspace', async () => {
    const prisma = db.client();
    const email = `audited-${randomUUID()}@example.test`;
    const invitation = await tenantContext.run({ tenantId: a.tenantId, userId: a.userId }, () =>
      prisma.invitation.create({ data: { email } }),
    );
    const workspace = await tenantContext.run({ tenantId: a.tenantId, userId: a.userId }, () =>
      prisma.workspace.create({ data: { name: `audited ${randomUUID()}` } }),
    );
    const events = await eventsOf([invitation.id, workspace.id]);
    expect(events.map((e) => [e.table_name, e.operation, e.workspace_id])).toEqual([
      ['invitations', 'INSERT', null],
      ['workspaces', 'INSERT', null],
    ]);
    expect(events[0]!.changes).toMatchObject({ email });
  });

  it("a write the policies refuse (another tenant's row) leaves no event", async () => {
    const prisma = db.client();
    const before = await eventCount();
    const id = randomUUID();
    await expectPostgresError(
      inA(
        () =>
          prisma.$executeRaw`insert into projects (tenant_id, workspace_id, id, name, updated_at) values (${b.tenantId}::uuid, ${b.workspaceIds[0]}::uuid, ${id}::uuid, 'smuggled', now())`,
      ),
      '42501',
    );
    expect(
      await inA(() => prisma.$executeRaw`update projects set name = 'x' where tenant_id = ${b.tenantId}::uuid`),
    ).toBe(0);
    expect(await eventCount()).toBe(before);
  });
});

describe('audit log: who reads it', () => {
  it("a context reads its own tenant's events, never another tenant's; without a context none", async () => {
    const prisma = db.client();
    await tenantContext.run({ tenantId: b.tenantId, workspaceId: b.workspaceIds[0], userId: b.userId }, () =>
      prisma.project.create({ data: { name: 'bravo audited' } }),
    );
    const seen = await inA(() => prisma.auditEvent.findMany({}), { workspaceId: undefined });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.tenantId === a.tenantId)).toBe(true);
    // Asking for another tenant's events by filter is refused by the extension; by raw SQL, RLS returns none.
    await expect(
      inA(() => prisma.auditEvent.findMany({ where: { tenantId: b.tenantId } }), { workspaceId: undefined }),
    ).rejects.toThrow();
    const raw = await inA(
      () =>
        prisma.$queryRaw<
          Array<{ n: number }>
        >`select count(*)::int as n from audit_events where tenant_id = ${b.tenantId}::uuid`,
      { workspaceId: undefined },
    );
    expect(raw[0]!.n).toBe(0);
    await expect(prisma.auditEvent.findMany({})).rejects.toBeInstanceOf(MissingTenantContextError);
    const { rows } = await db
      .pgPool('tenantry_app', { route: db.route })
      .query('select count(*)::int as n from audit_events');
    expect(rows[0].n).toBe(0);
  });

  it("narrowed to a workspace: that workspace's events only; the tenant-wide tables' events from a tenant-wide context", async () => {
    const prisma = db.client();
    const other = await inA(() => prisma.project.create({ data: { name: 'other workspace' } }), {
      workspaceId: a.workspaceIds[1],
    });
    const mine = await inA(() => prisma.project.create({ data: { name: 'this workspace' } }));
    const invitation = await inA(
      () => prisma.invitation.create({ data: { email: `wide-${randomUUID()}@example.test` } }),
      {
        workspaceId: undefined,
      },
    );
    const read = (extra: Partial<TenantContext> = {}) =>
      inA(
        () =>
          prisma.$queryRaw<
            Array<{ workspace_id: string | null; key: string }>
          >`select workspace_id::text, row_key ->> 'id' as key from audit_events`,
        extra,
      );
    const narrowed = await read();
    const keys = new Set(narrowed.map((r) => r.key));
    expect(keys.has(mine.id)).toBe(true);
    expect(keys.has(other.id)).toBe(false);
    expect(keys.has(invitation.id)).toBe(false);
    expect(narrowed.every((r) => r.workspace_id === a.workspaceIds[0])).toBe(true);
    const wide = new Set((await read({ workspaceId: undefined })).map((r) => r.key));
    for (const id of [mine.id, other.id, invitation.id]) expect(wide.has(id)).toBe(true);
    // Through the model the same: the extension's workspace filter and the policy agree.
    const viaModel = await inA(() => prisma.auditEvent.findMany({ where: { tableName: 'projects' } }));
    expect(viaModel.some((e) => (e.rowKey as { id?: string }).id === mine.id)).toBe(true);
    expect(viaModel.every((e) => e.workspaceId === a.workspaceIds[0])).toBe(true);
  });
});

describe('audit log: nobody but the triggers writes it', () => {
  it('the runtime role cannot insert, update, delete or truncate it, by raw SQL in a context or without one', async () => {
    const prisma = db.client();
    await inA(() => prisma.project.create({ data: { name: 'something to tamper with' } }));
    const before = await db
      .pgPool('superuser')
      .query("select md5(string_agg(t::text, '|' order by id)) as h, count(*)::int as n from audit_events t");
    const attempts = [
      `insert into audit_events (tenant_id, table_name, operation, row_key, txid) values ('${a.tenantId}', 'projects', 'INSERT', '{}', 1)`,
      `update audit_events set operation = 'DELETE'`,
      `update audit_events set user_id = null where tenant_id = '${a.tenantId}'`,
      'delete from audit_events',
      `delete from audit_events where tenant_id = '${a.tenantId}'`,
      'truncate audit_events',
      `select tenantry_audit_erasure('${a.tenantId}', 'tenants', '{}')`,
    ];
    for (const sql of attempts) {
      await expect(
        inA(() => prisma.$executeRawUnsafe(sql)).then(() => 'succeeded', postgresCode),
        sql,
      ).resolves.toBe('42501');
      await expect(
        inA(() => prisma.$executeRawUnsafe(sql), { workspaceId: undefined }).then(() => 'succeeded', postgresCode),
        sql,
      ).resolves.toBe('42501');
      const runtime = db.pgPool('tenantry_app', { route: db.route });
      await expect(
        runtime.query(sql).then(() => 'succeeded', postgresCode),
        sql,
      ).resolves.toBe('42501');
    }
    // In an interactive transaction, too.
    await expectPostgresError(
      inA(() => prisma.$transaction(async (tx) => tx.$executeRawUnsafe('delete from audit_events'))),
      '42501',
    );
    const after = await db
      .pgPool('superuser')
      .query("select md5(string_agg(t::text, '|' order by id)) as h, count(*)::int as n from audit_events t");
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('Prisma writes to AuditEvent are refused, and nothing changes', async () => {
    const prisma = db.client();
    const [event] = await inA(() => prisma.auditEvent.findMany({ take: 1 }));
    expect(event).toBeDefined();
    const before = await db
      .pgPool('superuser')
      .query("select md5(string_agg(t::text, '|' order by id)) as h, count(*)::int as n from audit_events t");
    const key = { tenantId_id: { tenantId: a.tenantId, id: event!.id } };
    const row = { tenantId: a.tenantId, tableName: 'projects', operation: 'INSERT', rowKey: {}, txid: 1n };
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['create', () => prisma.auditEvent.create({ data: row })],
      ['createMany', () => prisma.auditEvent.createMany({ data: [row] })],
      ['update', () => prisma.auditEvent.update({ where: key, data: { operation: 'DELETE' } })],
      ['updateMany', () => prisma.auditEvent.updateMany({ data: { userId: null } })],
      ['delete', () => prisma.auditEvent.delete({ where: key })],
      ['deleteMany', () => prisma.auditEvent.deleteMany({})],
      ['upsert', () => prisma.auditEvent.upsert({ where: key, create: row, update: { operation: 'DELETE' } })],
    ];
    for (const [name, attempt] of attempts) {
      // Narrowed (every field the extension fills is filled) and tenant-wide: the database refuses both.
      const narrowed = await inA(attempt).then(() => 'succeeded', postgresCode);
      expect(narrowed, name).toBe('42501');
      const wide = await inA(attempt, { workspaceId: undefined }).then(
        () => 'succeeded',
        (e) => postgresCode(e) ?? (e as Error).name,
      );
      expect(['42501', 'MissingWorkspaceError'], `${name}: ${wide}`).toContain(wide);
    }
    const after = await db
      .pgPool('superuser')
      .query("select md5(string_agg(t::text, '|' order by id)) as h, count(*)::int as n from audit_events t");
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});
