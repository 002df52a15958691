import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { prisma } from '@/server/db';
import { createProject, deleteProject, renameProject } from '@/app/actions';
import { ActionForm, RenameForm, SubmitButton } from '@/components/forms';
import { isUuid } from '@/server/session';
import { tenantQuery } from '@/server/with-tenant';

type Props = { params: Promise<{ workspaceId: string }> };

// Another tenant's workspace id finds nothing (RLS), exactly like a missing one: 404.
const loadWorkspace = cache(async (workspaceId: string) => {
  if (!isUuid(workspaceId)) return null;
  return tenantQuery(() =>
    prisma.workspace.findFirst({
      where: { id: workspaceId },
      include: {
        projects: {
          orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
          include: { _count: { select: { tasks: true } }, tasks: { where: { done: false }, select: { id: true } } },
        },
      },
    }),
  );
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const workspace = await loadWorkspace((await params).workspaceId);
  return { title: workspace ? workspace.name : 'Not found' };
}

export default async function WorkspacePage({ params }: Props) {
  const workspace = await loadWorkspace((await params).workspaceId);
  if (!workspace) notFound();
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/workspaces">Workspaces</Link> <span aria-hidden>/</span> <span>{workspace.name}</span>
      </nav>
      <div className="page-head">
        <div>
          <p className="eyebrow">Workspace</p>
          <h1>{workspace.name}</h1>
        </div>
        <ActionForm action={createProject} className="inline-form" label="New project">
          <input type="hidden" name="workspaceId" value={workspace.id} />
          <input name="name" placeholder="New project name" aria-label="Project name" maxLength={120} required />
          <SubmitButton>Create project</SubmitButton>
        </ActionForm>
      </div>
      {workspace.projects.length === 0 ? (
        <div className="card empty" data-testid="empty-state">
          <h2>No projects in this workspace</h2>
          <p className="muted">Projects hold tasks. Create one above to get started.</p>
        </div>
      ) : (
        <ul className="card list" data-testid="project-list">
          {workspace.projects.map((p) => (
            <li key={p.id} className="row" data-testid="project">
              <Link href={`/projects/${p.id}`} className="row-main">
                <span className="row-title">{p.name}</span>
                <span className="badge">
                  {p.tasks.length} open · {p._count.tasks} total
                </span>
              </Link>
              <RenameForm action={renameProject} id={p.id} field="name" value={p.name} label="project" />
              <ActionForm action={deleteProject} label={`Delete project ${p.name}`}>
                <input type="hidden" name="id" value={p.id} />
                <SubmitButton variant="danger">Delete</SubmitButton>
              </ActionForm>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
