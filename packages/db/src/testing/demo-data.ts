/**
 * The demo data `pnpm db:seed` and `pnpm dev` load: two tenants (Acme, Globex) with a user each and
 * one user who belongs to both, workspaces, projects and tasks. Fixed ids and upserts make it
 * idempotent, so running it twice changes nothing.
 */
import type { AdminPrismaClient } from '../admin.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const DEMO = {
  tenants: [
    { id: id(1), slug: 'acme', name: 'Acme Corp' },
    { id: id(2), slug: 'globex', name: 'Globex' },
  ],
  users: [
    { id: id(101), email: 'alice@acme.test', name: 'Alice (Acme)', tenants: [id(1)] },
    { id: id(102), email: 'bob@globex.test', name: 'Bob (Globex)', tenants: [id(2)] },
    { id: id(103), email: 'carol@both.test', name: 'Carol (Acme and Globex)', tenants: [id(1), id(2)] },
  ],
} as const;

export async function seedDemoData(admin: AdminPrismaClient): Promise<Record<string, number>> {
  let workspaces = 0;
  let projects = 0;
  let tasks = 0;
  await admin.$transaction(async (tx) => {
    for (const t of DEMO.tenants) {
      await tx.tenant.upsert({ where: { id: t.id }, create: t, update: { name: t.name, slug: t.slug } });
    }
    for (const u of DEMO.users) {
      const { tenants, ...user } = u;
      await tx.user.upsert({ where: { id: user.id }, create: user, update: { email: user.email, name: user.name } });
      for (const tenantId of tenants) {
        await tx.membership.upsert({
          where: { tenantId_userId: { tenantId, userId: user.id } },
          create: { tenantId, userId: user.id, role: tenants.length > 1 ? 'member' : 'owner' },
          update: {},
        });
      }
    }
    for (const [ti, t] of DEMO.tenants.entries()) {
      for (let w = 0; w < 2; w++) {
        const workspaceId = id(1000 + ti * 100 + w);
        const name = w === 0 ? 'Engineering' : 'Marketing';
        await tx.workspace.upsert({
          where: { tenantId_id: { tenantId: t.id, id: workspaceId } },
          create: { tenantId: t.id, id: workspaceId, name },
          update: { name },
        });
        workspaces++;
        for (let p = 0; p < 2; p++) {
          const projectId = id(10000 + ti * 1000 + w * 100 + p);
          const projectName = `${t.name} ${name} project ${p + 1}`;
          await tx.project.upsert({
            where: { tenantId_id: { tenantId: t.id, id: projectId } },
            create: { tenantId: t.id, workspaceId, id: projectId, name: projectName },
            update: { name: projectName },
          });
          projects++;
          for (let k = 0; k < 3; k++) {
            const taskId = id(100000 + ti * 10000 + w * 1000 + p * 100 + k);
            const title = `${projectName}: task ${k + 1}`;
            await tx.task.upsert({
              where: { tenantId_id: { tenantId: t.id, id: taskId } },
              create: { tenantId: t.id, workspaceId, projectId, id: taskId, title, done: k === 0 },
              update: { title },
            });
            tasks++;
          }
        }
      }
    }
  });
  return { tenants: DEMO.tenants.length, users: DEMO.users.length, workspaces, projects, tasks };
}
