/**
 * The README's examples (examples/readme-snippets.ts) run against a real database and do what the
 * README says, through the `prisma` singleton configured from DATABASE_URL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let examples: typeof import('../../examples/readme-snippets.js');

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  process.env.DATABASE_URL = db.runtimeUrl;
  process.env.DATABASE_ADMIN_URL = db.adminUrl;
  examples = await import('../../examples/readme-snippets.js');
  const { prisma } = await import('../../src/index.js');
  return () => prisma.$disconnect();
});

describe('README examples', () => {
  it('listProjects returns the tenant (and workspace) projects', async () => {
    const all = await examples.listProjects(a.tenantId);
    expect(all.map((p) => p.id).sort()).toEqual([...a.projectIds].sort());
    const ws = await examples.listProjects(a.tenantId, a.workspaceIds[0]);
    expect(ws.every((p) => p.workspaceId === a.workspaceIds[0])).toBe(true);
    expect(ws.length).toBe(a.projectIds.length / 2);
  });

  it('createProjectWithTasks writes a project with nested tasks in the tenant and workspace', async () => {
    const counted = await examples.createProjectWithTasks(b.tenantId, b.workspaceIds[1]);
    // The raw count is scoped to the workspace in the context: its 2 seeded tasks and the 2 new ones.
    expect(counted[0]!.n).toBe(b.taskIds.length / 2 + 2);
    const project = await db
      .admin()
      .project.findFirstOrThrow({ where: { name: 'Launched' }, include: { tasks: true } });
    expect(project).toMatchObject({ tenantId: b.tenantId, workspaceId: b.workspaceIds[1] });
    expect(project.tasks.map((t) => [t.tenantId, t.workspaceId, t.done])).toEqual([
      [b.tenantId, b.workspaceIds[1], true],
      [b.tenantId, b.workspaceIds[1], true],
    ]);
  });

  it('errorsExample reports both errors', async () => {
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args[0]);
    try {
      await examples.errorsExample(a.tenantId, b.tenantId);
    } finally {
      console.error = original;
    }
    expect(logged[0]).toMatch(/^Cannot run Project\.findMany because no tenant context is active/);
    expect(logged.slice(1)).toEqual(['tenantId', 'TenantMismatchError']);
  });

  it('invite then acceptInvitation: the invited user joins with the invitation role, once', async () => {
    const admin = db.admin();
    const user = await admin.user.create({
      data: { email: `invitee-${a.tenantId.slice(0, 8)}@example.test`, name: 'Invitee' },
    });
    await examples.invite(a.tenantId, user.email);
    expect(await examples.acceptInvitation(a.tenantId, user.id)).toEqual({ tenantId: a.tenantId, role: 'member' });
    // Used up: a second accept finds no invitation (and is not a duplicate-key error).
    expect(await examples.acceptInvitation(a.tenantId, user.id)).toBeNull();
    // Someone else cannot use an invitation that is not theirs.
    await examples.invite(a.tenantId, `someone-else-${a.tenantId.slice(0, 8)}@example.test`);
    expect(await examples.acceptInvitation(a.tenantId, b.userId)).toBeNull();
    expect(await admin.membership.count({ where: { tenantId: a.tenantId, userId: b.userId } })).toBe(0);
  });

  it('recentTasks answers 200 with its own tasks, and 504 (a lock wait) behind a lock, in about its deadline', async () => {
    const ok = await examples.recentTasks(a.tenantId);
    expect(ok.status).toBe(200);
    expect(ok.tasks?.length).toBeGreaterThan(0);
    expect(ok.tasks!.every((t) => t.tenantId === a.tenantId)).toBe(true);
    const holder = db.pgPool('superuser', { route: 'direct', max: 1 });
    const c = await holder.connect();
    try {
      await c.query('begin');
      await c.query('lock table tasks in access exclusive mode');
      const started = performance.now();
      expect(await examples.recentTasks(a.tenantId, 300)).toEqual({ status: 504, kind: 'lock', retryAfter: 1 });
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await c.query('rollback');
      c.release();
    }
  });

  it('countAllTenants sees every tenant through the admin client', async () => {
    expect(await examples.countAllTenants()).toBe(2);
  });
});
