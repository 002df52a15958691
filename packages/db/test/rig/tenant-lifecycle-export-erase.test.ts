/**
 * Export, then erase, one tenant of several: the export holds every row of the tenant and nothing
 * of another's; the erasure refuses without (or with a wrong) confirmation and then deletes nothing;
 * with it, every tenant table holds 0 rows of the tenant afterwards (counted on the superuser, from
 * the catalog, independently of the code under test), and the other tenants' exports are
 * byte-identical before and after. Admin-role work only (no pooled route to vary), so it runs once, in the unit project (test/rig).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdminRoleRequiredError,
  ErasureNotConfirmedError,
  eraseTenant,
  exportTenant,
  InvalidTenantInputError,
  TenantNotFoundError,
  type TenantErasureRecord,
} from '../../src/admin.js';
import { tenantContext } from '../../src/index.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let alpha: SeededTenant;
let bravo: SeededTenant;
let charlie: SeededTenant;
let sharedUserId: string;
let dir: string;
const slugOf = async (tenantId: string) =>
  (await db.admin().tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { slug: true } })).slug;

/**
 * Rows of `tenantId` per table that has a tenant_id column, straight from the catalog, as the
 * superuser. In audit_events the erasure record (operation ERASE) is the row meant to stay.
 */
async function rowsLeft(tenantId: string): Promise<Record<string, number>> {
  const pool = db.pgPool('superuser');
  const { rows: tables } = await pool.query<{ table: string }>(
    `select table_name as table from information_schema.columns
      where table_schema = 'public' and column_name = 'tenant_id' order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { table } of tables) {
    const stays = table === 'audit_events' ? ` and operation <> 'ERASE'` : '';
    const { rows } = await pool.query(`select count(*)::int as n from "${table}" where tenant_id = $1${stays}`, [
      tenantId,
    ]);
    counts[table] = rows[0].n;
  }
  const { rows } = await pool.query('select count(*)::int as n from tenants where id = $1', [tenantId]);
  counts.tenants = rows[0].n;
  return counts;
}

async function exportBytes(tenantId: string, format: 'jsonl' | 'per-table' = 'jsonl'): Promise<Buffer> {
  const out = path.join(dir, `${tenantId}-${randomUUID()}${format === 'jsonl' ? '.jsonl' : ''}`);
  const result = await exportTenant(db.admin(), tenantId, { format, out, batchSize: 2 });
  if (format === 'jsonl') return fs.readFile(result.path);
  const files = (await fs.readdir(result.path)).sort();
  return Buffer.concat(
    await Promise.all(
      files.map(async (f) => Buffer.concat([Buffer.from(`${f}\n`), await fs.readFile(path.join(result.path, f))])),
    ),
  );
}

describe('export and erase a tenant', () => {
  beforeAll(async () => {
    db = await useTestDatabase();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-lifecycle-'));
    [alpha, bravo, charlie] = await seedTenants(db.admin(), ['alpha', 'bravo', 'charlie'], 3);
    const admin = db.admin();
    // A user who belongs to alpha and bravo, and an invitation, so every table holds alpha rows.
    const shared = await admin.user.create({
      data: { email: `shared-${randomUUID()}@example.test`, name: 'shared user' },
    });
    sharedUserId = shared.id;
    await admin.membership.createMany({
      data: [
        { tenantId: alpha.tenantId, userId: shared.id, role: 'member' },
        { tenantId: bravo.tenantId, userId: shared.id, role: 'admin' },
      ],
    });
    await admin.invitation.create({ data: { tenantId: alpha.tenantId, email: 'invitee@example.test' } });
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('exports every row of the tenant, its members and nothing of another tenant', async () => {
    const before = await rowsLeft(alpha.tenantId);
    const out = path.join(dir, 'alpha.jsonl');
    const result = await exportTenant(db.admin(), alpha.tenantId, { format: 'jsonl', out, batchSize: 2 });
    expect(result.path).toBe(out);
    const lines = (await fs.readFile(out, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ format: 'tenantry.tenant-export', version: 1, tenantId: alpha.tenantId });
    expect(lines.at(-1)).toEqual({ end: true, counts: result.counts, totalRows: result.totalRows });
    const rows = lines.slice(1, -1) as Array<{ table: string; row: Record<string, unknown> }>;
    const byTable: Record<string, number> = {};
    for (const { table, row } of rows) {
      byTable[table] = (byTable[table] ?? 0) + 1;
      const owner = table === 'tenants' ? row.id : table === 'users' ? undefined : row.tenant_id;
      if (owner !== undefined && owner !== alpha.tenantId)
        throw new Error(
          `export of tenant ${alpha.tenantId} holds ${table} row ${String(row.id)} of tenant ${String(owner)}`,
        );
    }
    const { users, ...tenantTables } = byTable;
    expect(tenantTables).toEqual(before);
    expect(result.counts).toEqual(byTable);
    // Users: exactly alpha's members (its owner and the shared user), nothing of bravo's or charlie's.
    const userIds = rows.filter((r) => r.table === 'users').map((r) => r.row.id);
    expect(new Set(userIds)).toEqual(new Set([alpha.userId, sharedUserId]));
    expect(users).toBe(2);
    // Parents before children, so a re-import meets no dangling reference.
    const order = Object.keys(result.counts);
    expect(order.indexOf('tenants')).toBe(0);
    expect(order.indexOf('workspaces')).toBeLessThan(order.indexOf('projects'));
    expect(order.indexOf('projects')).toBeLessThan(order.indexOf('tasks'));
    // Postgres rendered the values: a timestamp in UTC, as stored.
    expect(rows.find((r) => r.table === 'tasks')!.row.created_at).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/,
    );
  });

  it('writes per-table files and a manifest with the same counts', async () => {
    const out = path.join(dir, 'alpha-tables');
    const result = await exportTenant(db.admin(), alpha.tenantId, { format: 'per-table', out });
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(Object.fromEntries(manifest.tables.map((t: { table: string; rows: number }) => [t.table, t.rows]))).toEqual(
      result.counts,
    );
    for (const t of manifest.tables) {
      const text = await fs.readFile(path.join(out, t.file), 'utf8');
      expect(text === '' ? 0 : text.trimEnd().split('\n').length, t.table).toBe(t.rows);
    }
    expect((await fs.readdir(dir)).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('two exports of the same data are byte-identical, in both formats', async () => {
    expect((await exportBytes(alpha.tenantId)).equals(await exportBytes(alpha.tenantId))).toBe(true);
    expect(
      (await exportBytes(alpha.tenantId, 'per-table')).equals(await exportBytes(alpha.tenantId, 'per-table')),
    ).toBe(true);
  });

  it('never overwrites an existing file', async () => {
    const out = path.join(dir, 'exists.jsonl');
    await fs.writeFile(out, 'mine');
    await expect(exportTenant(db.admin(), alpha.tenantId, { out })).rejects.toThrow(/already exists/);
    expect(await fs.readFile(out, 'utf8')).toBe('mine');
  });

  it('refuses the tenant client: under RLS it would export nothing', async () => {
    const client = db.client();
    await expect(
      tenantContext.run({ tenantId: alpha.tenantId }, () =>
        exportTenant(client, alpha.tenantId, { out: path.join(dir, 'runtime.jsonl') }),
      ),
    ).rejects.toBeInstanceOf(AdminRoleRequiredError);
    await expect(
      tenantContext.run({ tenantId: alpha.tenantId }, () =>
        eraseTenant(client, alpha.tenantId, { confirm: alpha.tenantId }),
      ),
    ).rejects.toBeInstanceOf(AdminRoleRequiredError);
    expect(Object.values(await rowsLeft(alpha.tenantId)).every((n) => n > 0)).toBe(true);
  });

  it('refuses to erase without a confirmation, or with one that is not the tenant’s id or slug, and deletes nothing', async () => {
    const before = await exportBytes(alpha.tenantId);
    const admin = db.admin();
    const attempts: Array<[unknown, 'missing' | 'mismatch']> = [
      [undefined, 'missing'],
      ['', 'missing'],
      [bravo.tenantId, 'mismatch'],
      [await slugOf(bravo.tenantId), 'mismatch'],
      [`${await slugOf(alpha.tenantId)} `, 'mismatch'],
      ['yes', 'mismatch'],
    ];
    for (const [confirm, reason] of attempts) {
      const error = await eraseTenant(admin, alpha.tenantId, { confirm } as { confirm: string }).catch(
        (e: unknown) => e,
      );
      expect(error, String(confirm)).toBeInstanceOf(ErasureNotConfirmedError);
      expect((error as ErasureNotConfirmedError).reason).toBe(reason);
      // The message names no tenant's id or slug.
      for (const t of [alpha, bravo, charlie]) {
        expect((error as Error).message).not.toContain(t.tenantId);
        expect((error as Error).message).not.toContain(await slugOf(t.tenantId));
      }
    }
    await expect(eraseTenant(admin, alpha.tenantId, null as never)).rejects.toBeInstanceOf(ErasureNotConfirmedError);
    await expect(eraseTenant(admin, 'not-a-uuid', { confirm: 'not-a-uuid' })).rejects.toBeInstanceOf(
      InvalidTenantInputError,
    );
    expect((await exportBytes(alpha.tenantId)).equals(before)).toBe(true);
  });

  it('a throwing erasure-record hook rolls the whole erasure back', async () => {
    const before = await exportBytes(alpha.tenantId);
    await expect(
      eraseTenant(db.admin(), alpha.tenantId, {
        confirm: alpha.tenantId,
        recordErasure: async () => {
          throw new Error('audit log unavailable');
        },
      }),
    ).rejects.toThrow('audit log unavailable');
    expect((await exportBytes(alpha.tenantId)).equals(before)).toBe(true);
  });

  it('erases every row of the tenant, verifies 0 remain, and leaves the other tenants byte for byte', async () => {
    const othersBefore = [await exportBytes(bravo.tenantId), await exportBytes(charlie.tenantId)];
    const exported = await exportTenant(db.admin(), alpha.tenantId, { out: path.join(dir, 'alpha-final.jsonl') });
    const alphaName = (await db.admin().tenant.findUniqueOrThrow({ where: { id: alpha.tenantId } })).name;
    const slug = await slugOf(alpha.tenantId);
    const records: TenantErasureRecord[] = [];
    const result = await eraseTenant(db.admin(), alpha.tenantId, {
      confirm: slug,
      recordErasure: async (record, tx) => {
        records.push(record);
        // The hook runs inside the erasure's transaction: it sees the tenant already gone.
        expect(await tx.tenant.count({ where: { id: alpha.tenantId } })).toBe(0);
      },
    });
    // What was deleted is what was exported (users excepted: global accounts stay). The audit log
    // also loses the DELETE events the erasure's own deletes wrote before it was emptied, last.
    const { users: _users, audit_events: exportedEvents, ...exportedTenantRows } = exported.counts;
    const { audit_events: deletedEvents, ...deletedRows } = result.deleted;
    expect(deletedRows).toEqual(Object.fromEntries(Object.keys(deletedRows).map((t) => [t, exportedTenantRows[t]])));
    expect(Object.keys(deletedRows).sort()).toEqual(Object.keys(exportedTenantRows).sort());
    const auditedRows = ['memberships', 'invitations', 'workspaces', 'projects', 'tasks'].reduce(
      (n, t) => n + (result.deleted[t] ?? 0),
      0,
    );
    expect(exportedEvents).toBeGreaterThan(0);
    expect(deletedEvents).toBe(exportedEvents! + auditedRows);
    expect(Object.keys(result.deleted).slice(-2)).toEqual(['tenants', 'audit_events']);
    expect(Object.keys(result.deleted).indexOf('tasks')).toBeLessThan(Object.keys(result.deleted).indexOf('projects'));
    expect(Object.values(result.remaining).every((n) => n === 0)).toBe(true);
    expect(Object.keys(result.remaining).sort()).toEqual(Object.keys(result.deleted).sort());
    // Independently of the code under test: the catalog's tenant tables, counted as the superuser.
    const left = await rowsLeft(alpha.tenantId);
    expect(Object.keys(left).length).toBeGreaterThanOrEqual(6);
    expect(left).toEqual(Object.fromEntries(Object.keys(left).map((t) => [t, 0])));
    // The record: the tenant id, the counts and the time, nothing personal.
    expect(records).toHaveLength(1);
    expect(records[0]).toEqual({
      event: 'tenant.erased',
      tenantId: alpha.tenantId,
      erasedAt: result.erasedAt,
      deleted: result.deleted,
      totalRows: result.totalRows,
    });
    expect(Math.abs(result.erasedAt.getTime() - Date.now())).toBeLessThan(60_000);
    const text = JSON.stringify(records[0]);
    for (const secret of [alphaName, slug, 'invitee@example.test', 'alpha']) expect(text).not.toContain(secret);
    // The audit log keeps one event of alpha: the erasure record, row counts per table and nothing else.
    const { rows: events } = await db
      .pgPool('superuser')
      .query(
        'select id::text, table_name, operation, row_key, changes, user_id, workspace_id from audit_events where tenant_id = $1',
        [alpha.tenantId],
      );
    expect(events).toEqual([
      {
        id: result.auditEvent!.id,
        table_name: 'tenants',
        operation: 'ERASE',
        row_key: { tenant_id: alpha.tenantId },
        changes: { deleted: result.deleted, totalRows: result.totalRows },
        user_id: null,
        workspace_id: null,
      },
    ]);
    expect(result.auditEvent).toEqual({ table: 'audit_events', id: events[0].id });
    const eventText = JSON.stringify(events[0]);
    for (const secret of [alphaName, slug, 'invitee@example.test', 'alpha', alpha.userId])
      expect(eventText).not.toContain(secret);
    // Global users stay: the shared one still belongs to bravo.
    expect(await db.admin().user.count({ where: { id: { in: [alpha.userId, sharedUserId] } } })).toBe(2);
    expect(await db.admin().membership.count({ where: { userId: sharedUserId } })).toBe(1);
    // The other tenants, byte for byte.
    expect((await exportBytes(bravo.tenantId)).equals(othersBefore[0]!)).toBe(true);
    expect((await exportBytes(charlie.tenantId)).equals(othersBefore[1]!)).toBe(true);
  });

  it('an erased tenant is not found again, for erasure or export', async () => {
    await expect(eraseTenant(db.admin(), alpha.tenantId, { confirm: alpha.tenantId })).rejects.toBeInstanceOf(
      TenantNotFoundError,
    );
    await expect(
      exportTenant(db.admin(), alpha.tenantId, { out: path.join(dir, 'gone.jsonl') }),
    ).rejects.toBeInstanceOf(TenantNotFoundError);
    await expect(fs.stat(path.join(dir, 'gone.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
