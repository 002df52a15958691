'use server';
/**
 * Server actions. Each is a public HTTP endpoint (Next checks the Origin header, the session cookie
 * is SameSite=Lax), so each one verifies the session and membership itself and runs its queries
 * inside `tenantContext.run` (runInTenant): nothing is inherited from the page that rendered the form.
 * A failure becomes the form's error state, never a thrown 500: a database that is busy or down
 * (or a deadline that ran out) says when to try again.
 */
import { cookies } from 'next/headers';
import { revalidatePath } from 'next/cache';
import { redirect, unstable_rethrow } from 'next/navigation';
import { prisma } from '@/server/db';
import {
  InputError,
  formDataProblem,
  hasControlCharacters,
  idFrom,
  nameFrom,
  type ActionState,
} from '@/server/action-state';
import { webConfig } from '@/server/config';
import { userForDevSignIn } from '@/server/dev-sign-in-lookup';
import { mapError } from '@/server/errors';
import { logFailure } from '@/server/log';
import {
  SESSION_COOKIE,
  TENANT_COOKIE,
  isUuid,
  mintSessionToken,
  sessionCookieOptions,
  verifySessionToken,
} from '@/server/session';
import { membershipIn } from '@/server/tenancy';
import { runInTenant, type Tenancy } from '@/server/with-tenant';

/** The form's error state for a failed action, logged when it is an outage or a bug. */
function failedState(where: string, what: string, error: unknown): ActionState {
  unstable_rethrow(error); // redirect() and notFound() are thrown; let Next handle them
  if (error instanceof InputError) return { error: error.message };
  const mapped = mapError(error, what);
  logFailure(where, error, mapped);
  return { error: mapped.message };
}

/** Runs a tenant-scoped change and turns failures into a message for the form. */
async function mutate(what: string, work: (tenancy: Tenancy) => Promise<unknown>): Promise<ActionState> {
  try {
    await runInTenant(work);
  } catch (error) {
    return failedState(`action on ${what}`, what, error);
  }
  revalidatePath('/', 'layout');
  return { doneAt: Date.now() };
}

// ---- session ---------------------------------------------------------------------------------

/** DEV ONLY: signs in as a seeded user by email, without a password. */
export async function signInAsDemoUser(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  if (!webConfig().devSignIn)
    return { error: 'Cannot sign in this way because the dev sign-in is disabled in production.' };
  const email = formData.get('email');
  if (typeof email !== 'string' || email === '')
    return { error: 'Cannot sign in because no email was sent. Pick a demo user.' };
  if (email.length > 320 || hasControlCharacters(email))
    return { error: 'Cannot sign in because the email is not an email address. Pick a demo user.' };
  let user: Awaited<ReturnType<typeof userForDevSignIn>>;
  try {
    user = await userForDevSignIn(email);
  } catch (error) {
    // The admin client's errors are raw Prisma ones; mapError classifies them all the same.
    return failedState('action sign-in', 'user', error);
  }
  if (!user)
    return {
      error:
        'Cannot sign in because no user has this email. Run `pnpm db:seed` (or `pnpm dev`) to load the demo users.',
    };
  if (user.tenantIds.length === 0) return { error: 'Cannot sign in because this user belongs to no tenant.' };
  const token = await mintSessionToken({ userId: user.id, email: user.email, tenantIds: user.tenantIds });
  const store = await cookies();
  store.set(SESSION_COOKIE, token, sessionCookieOptions(webConfig().sessionMaxAgeSeconds));
  store.delete(TENANT_COOKIE); // start in the token's own tenant
  redirect('/workspaces');
}

export async function signOut(): Promise<void> {
  const store = await cookies();
  store.delete(SESSION_COOKIE);
  store.delete(TENANT_COOKIE);
  redirect('/sign-in');
}

/** Makes another of the user's tenants the active one, after checking membership on the runtime role. */
export async function switchTenant(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  const store = await cookies();
  const verified = await verifySessionToken(store.get(SESSION_COOKIE)?.value);
  if (!verified.ok) redirect('/sign-in?reason=signed-out');
  const tenantId = formData.get('tenantId');
  if (!isUuid(tenantId)) return { error: 'Cannot switch because no tenant was chosen.' };
  let membership: Awaited<ReturnType<typeof membershipIn>>;
  try {
    membership = await membershipIn(tenantId.toLowerCase(), verified.session.userId);
  } catch (error) {
    return failedState('action switch-tenant', 'tenant', error);
  }
  if (!membership) return { error: 'Cannot switch to this tenant because you are not a member of it.' };
  store.set(TENANT_COOKIE, membership.tenant.id, sessionCookieOptions(webConfig().sessionMaxAgeSeconds));
  redirect('/workspaces');
}

// ---- workspaces ------------------------------------------------------------------------------

export async function createWorkspace(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('workspace', async () => {
    const name = nameFrom(formData, 'name', 'workspace name');
    await prisma.workspace.create({ data: { name } });
  });
}

export async function renameWorkspace(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('workspace', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    const name = nameFrom(formData, 'name', 'workspace name');
    await prisma.workspace.update({ where: { tenantId_id: { tenantId: tenant.id, id } }, data: { name } });
  });
}

export async function deleteWorkspace(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('workspace', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    await prisma.workspace.delete({ where: { tenantId_id: { tenantId: tenant.id, id } } });
  });
}

// ---- projects --------------------------------------------------------------------------------

export async function createProject(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('project', async () => {
    const workspaceId = idFrom(formData, 'workspaceId');
    const name = nameFrom(formData, 'name', 'project name');
    // Another tenant's workspace id fails the composite foreign key (P2003), like a missing one.
    await prisma.project.create({ data: { workspaceId, name } });
  });
}

export async function renameProject(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('project', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    const name = nameFrom(formData, 'name', 'project name');
    await prisma.project.update({ where: { tenantId_id: { tenantId: tenant.id, id } }, data: { name } });
  });
}

export async function deleteProject(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('project', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    await prisma.project.delete({ where: { tenantId_id: { tenantId: tenant.id, id } } });
  });
}

// ---- tasks -----------------------------------------------------------------------------------

export async function createTask(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('task', async () => {
    const projectId = idFrom(formData, 'projectId');
    const title = nameFrom(formData, 'title', 'task title');
    const project = await prisma.project.findFirst({ where: { id: projectId }, select: { workspaceId: true } });
    if (!project) throw new InputError('Cannot add the task because its project no longer exists.');
    await prisma.task.create({ data: { projectId, workspaceId: project.workspaceId, title } });
  });
}

export async function renameTask(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('task', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    const title = nameFrom(formData, 'title', 'task title');
    await prisma.task.update({ where: { tenantId_id: { tenantId: tenant.id, id } }, data: { title } });
  });
}

export async function setTaskDone(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('task', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    const done = formData.get('done') === 'true';
    await prisma.task.update({ where: { tenantId_id: { tenantId: tenant.id, id } }, data: { done } });
  });
}

export async function deleteTask(_state: ActionState, formData: FormData): Promise<ActionState> {
  const wrongArgument = formDataProblem(formData);
  if (wrongArgument) return wrongArgument;
  return mutate('task', async ({ tenant }) => {
    const id = idFrom(formData, 'id');
    await prisma.task.delete({ where: { tenantId_id: { tenantId: tenant.id, id } } });
  });
}
