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
  return tenantContext.run({ tenantId }, () => prisma.invitation.create({ data: { email: email.toLowerCase(), role: 'member' } }));
}

/**
 * The invited user accepts, acting as itself: userId comes from the verified session, never the
 * request. A context of a user who is not a member yet can read the tenant's rows, so it runs ONLY
 * the insert: RLS admits it for userId's own email, with the invited role, before the invitation
 * expires, and the insert uses the invitation up. Least privileged role first; a refusal (42501)
 * looks the same whether there is no invitation, it expired, or the user does not exist.
 */
export async function acceptInvitation(tenantId: string, userId: string) {
  for (const role of ['member', 'admin', 'owner'] as const) {
    try {
      return await tenantContext.run({ tenantId, userId }, () =>
        prisma.membership.create({ data: { userId, role }, select: { tenantId: true, role: true } }),
      );
    } catch (error) {
      const code = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } }).meta?.driverAdapterError?.cause?.originalCode;
      if (code !== '42501') throw error;
    }
  }
  return null; // no pending invitation for this user
}
// end-snippet

// snippet: deadlines
import { DatabaseAvailabilityError, DeadlineExceededError } from '@tenantry/db';

export async function recentTasks(tenantId: string, deadlineMs = 2000) {
  try {
    // deadlineMs bounds the pool wait, statement_timeout and lock_timeout of everything inside.
    const tasks = await tenantContext.run({ tenantId, deadlineMs }, () => prisma.task.findMany({ take: 50 }));
    return { status: 200, tasks };
  } catch (error) {
    if (error instanceof DeadlineExceededError) return { status: 504, kind: error.kind, retryAfter: error.retryAfterSeconds };
    if (error instanceof DatabaseAvailabilityError) return { status: 503, code: error.postgresCode, retryAfter: error.retryAfterSeconds };
    throw error;
  }
}
// end-snippet

