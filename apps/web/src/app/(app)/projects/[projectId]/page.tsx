import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { prisma } from '@/server/db';
import { createTask, deleteTask, renameTask, setTaskDone } from '@/app/actions';
import { ActionForm, RenameForm, SubmitButton } from '@/components/forms';
import { isUuid } from '@/server/session';
import { tenantQuery } from '@/server/with-tenant';

type Props = { params: Promise<{ projectId: string }> };

const loadProject = cache(async (projectId: string) => {
  if (!isUuid(projectId)) return null;
  return tenantQuery(() =>
    prisma.project.findFirst({
      where: { id: projectId },
      include: {
        workspace: { select: { id: true, name: true } },
        tasks: { orderBy: [{ done: 'asc' }, { createdAt: 'asc' }, { title: 'asc' }] },
      },
    }),
  );
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const project = await loadProject((await params).projectId);
  return { title: project ? project.name : 'Not found' };
}

export default async function ProjectPage({ params }: Props) {
  const project = await loadProject((await params).projectId);
  if (!project) notFound();
  const open = project.tasks.filter((t) => !t.done).length;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/workspaces">Workspaces</Link> <span aria-hidden>/</span>{' '}
        <Link href={`/workspaces/${project.workspace.id}`}>{project.workspace.name}</Link> <span aria-hidden>/</span>{' '}
        <span>{project.name}</span>
      </nav>
      <div className="page-head">
        <div>
          <p className="eyebrow">Project</p>
          <h1>{project.name}</h1>
          <p className="muted small">
            {open} open of {project.tasks.length} {project.tasks.length === 1 ? 'task' : 'tasks'}
          </p>
        </div>
        <ActionForm action={createTask} className="inline-form" label="New task">
          <input type="hidden" name="projectId" value={project.id} />
          <input name="title" placeholder="What needs doing?" aria-label="Task title" maxLength={120} required />
          <SubmitButton>Add task</SubmitButton>
        </ActionForm>
      </div>
      {project.tasks.length === 0 ? (
        <div className="card empty" data-testid="empty-state">
          <h2>No tasks yet</h2>
          <p className="muted">Add the first task above.</p>
        </div>
      ) : (
        <ul className="card list" data-testid="task-list">
          {project.tasks.map((t) => (
            <li key={t.id} className={`row task${t.done ? ' done' : ''}`} data-testid="task" data-done={t.done}>
              <ActionForm action={setTaskDone} label={`${t.done ? 'Reopen' : 'Complete'} ${t.title}`}>
                <input type="hidden" name="id" value={t.id} />
                <input type="hidden" name="done" value={String(!t.done)} />
                <button
                  type="submit"
                  className={`check${t.done ? ' checked' : ''}`}
                  aria-label={t.done ? `Reopen ${t.title}` : `Complete ${t.title}`}
                >
                  {t.done ? '✓' : ''}
                </button>
              </ActionForm>
              <span className="row-main row-title">{t.title}</span>
              <RenameForm action={renameTask} id={t.id} field="title" value={t.title} label="task" />
              <ActionForm action={deleteTask} label={`Delete task ${t.title}`}>
                <input type="hidden" name="id" value={t.id} />
                <SubmitButton variant="danger">Delete</SubmitButton>
              </ActionForm>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
