/**
 * The lifecycle finds the tenant tables from the schema, not from a list: a table that no Prisma
 * model describes (created by raw SQL) but that has the tenant column is exported and erased too,
 * in foreign-key order (its key to tasks has no ON DELETE action, so deleting tasks first would
 * fail). A cycle between tenant tables refuses the erasure, naming the tables, before anything is
 * deleted; a tenant table without a primary key refuses the export, naming it, before any file is
 * written. Admin-role work only (no pooled route to vary), so it runs once, in the unit project (test/rig).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForeignKeyCycleError,
  InvalidTenantInputError,
  TenantSchemaError,
  eraseTenant,
  exportTenant,
} from '../../src/admin.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let alpha: SeededTenant;
let bravo: SeededTenant;
let dir: string;

const sql = (text: string, values: unknown[] = []) => db.pgPool('superuser').query(text, values);
const countIn = async (table: string, tenantId: string) =>
  (await sql(`select count(*)::int as n from ${table} where tenant_id = $1`, [tenantId])).rows[0].n as number;

describe('tenant tables from the schema', () => {
  beforeAll(async () => {
    db = await useTestDatabase();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-lifecycle-schema-'));
    [alpha, bravo] = await seedTenants(db.admin(), ['alpha', 'bravo']);
    await sql(`create table task_notes (
      tenant_id uuid not null, id uuid not null default gen_random_uuid(), task_id uuid not null, body text not null,
      primary key (tenant_id, id), foreign key (tenant_id, task_id) references tasks (tenant_id, id))`);
    await sql('grant select, insert, update, delete on task_notes to tenantry_admin');
    for (const t of [alpha, bravo])
      await sql(
        `insert into task_notes (tenant_id, task_id, body) select tenant_id, id, 'note of ' || title from tasks where tenant_id = $1`,
        [t.tenantId],
      );
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses to erase when tenant tables reference each other in a cycle, naming them, and deletes nothing', async () => {
    await sql(
      `create table cycle_a (tenant_id uuid not null references tenants (id), id uuid not null, b_id uuid, primary key (tenant_id, id))`,
    );
    await sql(`create table cycle_b (tenant_id uuid not null, id uuid not null, a_id uuid, primary key (tenant_id, id),
      foreign key (tenant_id, a_id) references cycle_a (tenant_id, id))`);
    await sql('alter table cycle_a add foreign key (tenant_id, b_id) references cycle_b (tenant_id, id)');
    await sql('grant select, insert, update, delete on cycle_a, cycle_b to tenantry_admin');
    try {
      const error = await eraseTenant(db.admin(), alpha.tenantId, { confirm: alpha.tenantId }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForeignKeyCycleError);
      expect((error as ForeignKeyCycleError).tables).toEqual(['cycle_a', 'cycle_b', 'cycle_a']);
      expect((error as Error).message).toContain('(cycle_a -> cycle_b -> cycle_a)');
      expect(await countIn('tasks', alpha.tenantId)).toBe(alpha.taskIds.length);
      expect(await countIn('task_notes', alpha.tenantId)).toBe(alpha.taskIds.length);
    } finally {
      await sql('drop table cycle_b, cycle_a cascade');
    }
  });

  it('refuses to export a tenant table without a primary key, naming it, and writes no file', async () => {
    await sql('create table loose_rows (tenant_id uuid not null, body text)');
    await sql('grant select on loose_rows to tenantry_admin');
    try {
      const out = path.join(dir, 'loose.jsonl');
      const error = await exportTenant(db.admin(), alpha.tenantId, { out }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenantSchemaError);
      expect((error as Error).message).toMatch(/^Cannot export the tenant because loose_rows has no primary key/);
      expect(await fs.readdir(dir)).toEqual([]);
    } finally {
      await sql('drop table loose_rows');
    }
  });

  it('exports and erases a table no model describes, children first', async () => {
    const exported = await exportTenant(db.admin(), alpha.tenantId, { out: path.join(dir, 'alpha.jsonl') });
    expect(exported.counts.task_notes).toBe(alpha.taskIds.length);
    const order = Object.keys(exported.counts);
    expect(order.indexOf('tasks')).toBeLessThan(order.indexOf('task_notes'));

    // Keeping tasks while deleting their projects cannot work (the cascade would delete them anyway):
    // refused, naming the reference, and nothing is deleted.
    const kept = await eraseTenant(db.admin(), bravo.tenantId, {
      confirm: bravo.tenantId,
      retainTables: ['tasks'],
    }).catch((e: unknown) => e);
    expect(kept).toBeInstanceOf(InvalidTenantInputError);
    expect((kept as Error).message).toMatch(
      /names tasks, whose foreign keys reference projects, which the erasure deletes/,
    );
    expect(await countIn('tasks', bravo.tenantId)).toBe(bravo.taskIds.length);
    expect(await countIn('task_notes', bravo.tenantId)).toBe(bravo.taskIds.length);
    // A table that references nothing can be kept: an append-only audit log, say.
    await sql(
      'create table tenant_audit (tenant_id uuid not null, id bigint generated always as identity, what text, primary key (tenant_id, id))',
    );
    await sql('grant select, insert, delete on tenant_audit to tenantry_admin');
    await sql("insert into tenant_audit (tenant_id, what) values ($1, 'kept')", [bravo.tenantId]);
    const retained = await eraseTenant(db.admin(), bravo.tenantId, {
      confirm: bravo.tenantId,
      retainTables: ['tenant_audit'],
    });
    expect(retained.retained).toEqual(['tenant_audit']);
    expect(retained.deleted).not.toHaveProperty('tenant_audit');
    expect(await countIn('tenant_audit', bravo.tenantId)).toBe(1);
    expect(await countIn('tasks', bravo.tenantId)).toBe(0);
    await sql('drop table tenant_audit');

    const result = await eraseTenant(db.admin(), alpha.tenantId, { confirm: alpha.tenantId });
    const deleteOrder = Object.keys(result.deleted);
    expect(deleteOrder.indexOf('task_notes')).toBeLessThan(deleteOrder.indexOf('tasks'));
    expect(result.deleted.task_notes).toBe(alpha.taskIds.length);
    expect(result.remaining.task_notes).toBe(0);
    expect(await countIn('task_notes', alpha.tenantId)).toBe(0);
    expect(await countIn('task_notes', bravo.tenantId)).toBe(0);
  });
});
