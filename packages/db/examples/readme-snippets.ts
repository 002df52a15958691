// The README's code snippets, verbatim, so `pnpm typecheck` compiles them and
// test/unit/readme-snippets.test.ts fails when the README and this file disagree.
/* eslint-disable @typescript-eslint/no-unused-vars */

// snippet: quick-use
import { prisma, tenantContext } from '@tenantry/db';

export async function listProjects(tenantId: string, workspaceId?: string) {
  return tenantContext.run({ tenantId, workspaceId }, () =>
    prisma.project.findMany({ take: 20, orderBy: { createdAt: 'desc' } }),
  );
}
// end-snippet

// snippet: writes
export async function createProjectWithTasks(tenantId: string, workspaceId: string) {
  return tenantContext.run({ tenantId, workspaceId }, async () => {
    // tenantId and workspaceId are filled in by the extension (and by column defaults for nested rows).
    const project = await prisma.project.create({
      data: { name: 'Launch', tasks: { create: [{ title: 'Write docs' }, { title: 'Ship' }] } },
      include: { tasks: true },
    });
    await prisma.$transaction(async (tx) => {
      await tx.task.updateMany({ where: { projectId: project.id }, data: { done: true } });
      await tx.project.update({
        where: { tenantId_id: { tenantId, id: project.id } },
        data: { name: 'Launched' },
      });
    });
    return prisma.$queryRaw<{ n: number }[]>`select count(*)::int as n from tasks`; // RLS-scoped too
  });
}
// end-snippet

// snippet: errors
import { MissingTenantContextError, TenantMismatchError, TenantryError } from '@tenantry/db';

export async function errorsExample(tenantId: string, otherTenantId: string) {
  try {
    await prisma.project.findMany(); // no context
  } catch (error) {
    if (error instanceof MissingTenantContextError) console.error(error.message);
  }
  await tenantContext.run({ tenantId }, async () => {
    try {
      await prisma.workspace.findMany({ where: { tenantId: otherTenantId } });
    } catch (error) {
      if (error instanceof TenantMismatchError) console.error(error.field); // 'tenantId'
      if (error instanceof TenantryError) console.error(error.name);
    }
  });
}
// end-snippet

// snippet: factory
import { createTenantPrismaClient } from '@tenantry/db';

const db = createTenantPrismaClient({
  connectionString: process.env.DATABASE_URL, // runtime role, through the pooler
  poolSize: 10,
  log: ['warn', 'error'],
});
// end-snippet

// snippet: admin
import { createAdminPrismaClient } from '@tenantry/db/admin';

export async function countAllTenants() {
  const admin = createAdminPrismaClient(); // DATABASE_ADMIN_URL, a BYPASSRLS role
  try {
    return await admin.tenant.count();
  } finally {
    await admin.$disconnect();
  }
}
// end-snippet

// snippet: invitations
/** An admin of the tenant invites an address, from a tenant-wide context (no workspaceId). */
export async function invite(tenantId: string, email: string) {
  return tenantContext.run({ tenantId }, () => prisma.invitation.create({ data: { email, role: 'member' } }));
}

/** The invited user accepts, acting as itself: userId comes from the verified session, never the request. */
export async function acceptInvitation(tenantId: string, invitationId: string, userId: string) {
  return tenantContext.run({ tenantId, userId }, async () => {
    const invitation = await prisma.invitation.findUniqueOrThrow({ where: { tenantId_id: { tenantId, id: invitationId } } });
    // RLS admits this insert only for userId's own email, with the invitation's role, before it
    // expires; the insert uses the invitation up.
    return prisma.membership.create({ data: { userId, role: invitation.role } });
  });
}
// end-snippet
