/**
 * `pnpm tenant:purge` on this repository's schema: the script spawned as pnpm runs it (node + tsx in
 * packages/db, DATABASE_ADMIN_URL in the environment). Projects and tasks are
 * soft-deletable; a project deleted with its tasks (the migration's trigger) goes with them, children
 * first; live rows, rows deleted after the cutoff and other tenants' rows stay. Admin-role work only
 * (no pooled route to vary), so it runs once, in the unit project (test/rig).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

function purge(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/purge-soft-deleted.ts', ...args], {
    cwd: packageDir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_ADMIN_URL: db.adminUrl, TENANTRY_DOTENV: 'off' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function ids(table: string, tenantId: string): Promise<string[]> {
  const { rows } = await db
    .pgPool('superuser')
    .query<{ id: string }>(`select id::text from ${table} where tenant_id = $1 order by id`, [tenantId]);
  return rows.map((r) => r.id);
}

describe('pnpm tenant:purge', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    db = await useTestDatabase();
    [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo'], 2);
  });

  it("purges a tenant's projects deleted before the cutoff with their tasks, and nothing else", async () => {
    const prisma = db.client({ poolSize: 2 });
    const key = (t: SeededTenant, id: string) => ({ tenantId_id: { tenantId: t.tenantId, id } });
    // Project 0 of each tenant deleted (its task with it), then the cutoff, then project 1 of alpha.
    for (const t of [a, b])
      await tenantContext.run({ tenantId: t.tenantId }, () =>
        prisma.project.delete({ where: key(t, t.projectIds[0]!) }),
      );
    await new Promise((r) => setTimeout(r, 20));
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await tenantContext.run({ tenantId: a.tenantId }, () => prisma.project.delete({ where: key(a, a.projectIds[1]!) }));
    const bravoBefore = { projects: await ids('projects', b.tenantId), tasks: await ids('tasks', b.tenantId) };

    const run = await purge(['--tenant', a.tenantId, '--before', before, '--json']);
    expect(run.code, run.err).toBe(0);
    const result = JSON.parse(run.out.trim().split('\n').at(-1)!);
    expect(result.deleted).toEqual({ Task: 1, Project: 1 });
    expect(result.total).toBe(2);

    const projects = await ids('projects', a.tenantId);
    expect(projects).not.toContain(a.projectIds[0]);
    expect(projects).toContain(a.projectIds[1]); // deleted after the cutoff: kept, still marked
    expect(projects).toHaveLength(a.projectIds.length - 1);
    expect(await ids('tasks', a.tenantId)).toHaveLength(a.taskIds.length - 1);
    expect(await ids('tasks', a.tenantId)).not.toContain(a.taskIds[0]);
    expect({ projects: await ids('projects', b.tenantId), tasks: await ids('tasks', b.tenantId) }).toEqual(bravoBefore);
  });

  it('prints the count per model without --json', async () => {
    const run = await purge(['--tenant', b.tenantId, '--before', new Date(Date.now() - 1000).toISOString()]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^\[db\] using DATABASE_ADMIN_URL from the environment/);
    expect(run.out).toContain('purged Project: 1 rows');
    expect(run.out).toContain('purged Task: 1 rows');
    expect(run.out).toMatch(new RegExp(`purged tenant ${b.tenantId}: 2 rows soft-deleted before `));
  });
});
