import type { Metadata } from 'next';
import Link from 'next/link';
import { prisma } from '@/server/db';
import { createWorkspace, deleteWorkspace, renameWorkspace } from '@/app/actions';
import { ActionForm, RenameForm, SubmitButton } from '@/components/forms';
import { tenantQuery } from '@/server/with-tenant';

export const metadata: Metadata = { title: 'Workspaces' };

export default async function WorkspacesPage() {
  const { tenant, workspaces } = await tenantQuery(async ({ tenant }) => ({
    tenant,
    workspaces: await prisma.workspace.findMany({
      orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
      include: { _count: { select: { projects: true } } },
    }),
  }));
  return (
    <>
      <div className="page-head">
        <div>
          <p className="eyebrow">{tenant.name}</p>
          <h1>Workspaces</h1>
        </div>
        <ActionForm action={createWorkspace} className="inline-form" label="New workspace">
          <input name="name" placeholder="New workspace name" aria-label="Workspace name" maxLength={120} required />
          <SubmitButton>Create workspace</SubmitButton>
        </ActionForm>
      </div>
      {workspaces.length === 0 ? (
        <div className="card empty" data-testid="empty-state">
          <h2>No workspaces yet</h2>
          <p className="muted">Workspaces group your projects. Create the first one above.</p>
        </div>
      ) : (
        <ul className="grid" data-testid="workspace-list">
          {workspaces.map((w) => (
            <li key={w.id} className="card tile" data-testid="workspace">
              <Link href={`/workspaces/${w.id}`} className="tile-link">
                <span className="tile-title">{w.name}</span>
                <span className="muted small">
                  {w._count.projects} {w._count.projects === 1 ? 'project' : 'projects'}
                </span>
              </Link>
              <div className="tile-actions">
                <RenameForm action={renameWorkspace} id={w.id} field="name" value={w.name} label="workspace" />
                <ActionForm action={deleteWorkspace} label={`Delete workspace ${w.name}`}>
                  <input type="hidden" name="id" value={w.id} />
                  <SubmitButton variant="danger" title="Deletes the workspace with its projects and tasks">
                    Delete
                  </SubmitButton>
                </ActionForm>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
