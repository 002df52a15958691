/**
 * Write operations for Tenantry's own schema (Workspace, Project, Task): creates of every shape,
 * nested writes and connects, updates and deletes of own and foreign rows, raw writes, batch and
 * interactive transactions (committed, rolled back by a thrown error, cut by statement_timeout),
 * and operations the caller abandons mid-flight. Every id is drawn from the seeded stream before the
 * write, so the oracle knows what each attempt would create even when its answer never arrives.
 */
import { inheritedStateError, isConclusiveFailure, isRejection } from '@tenantry/testing';
import { RollbackSignal, type FuzzOperation, type OperationEnv } from '@tenantry/testing';

const remember = (env: OperationEnv, model: string, id: string) => {
  const list = env.tenant.known.get(model) ?? [];
  list.push(id);
  if (list.length > 200) list.shift();
  env.tenant.known.set(model, list);
};

/** Runs a write of `ids` (model, id) and settles them in the oracle by the outcome. */
async function tracked(
  env: OperationEnv,
  rows: Array<[string, string]>,
  write: () => Promise<unknown>,
): Promise<unknown> {
  for (const [model, id] of rows) env.oracle.attempt(model, id, env.tenant.tenantId);
  const ids = rows.map(([, id]) => id);
  try {
    const result = await write();
    env.oracle.settle(ids, 'acked');
    for (const [model, id] of rows) remember(env, model, id);
    return result;
  } catch (error) {
    env.oracle.settle(ids, isConclusiveFailure(error) ? 'absent' : 'indeterminate');
    throw error;
  }
}

const workspaceOf = (env: OperationEnv) => env.ctx.workspaceId ?? env.rng.pick(env.tenant.workspaceIds);

/** A project of this tenant in the given workspace that is known to exist (seeded ones never die). */
const seededProject = (env: OperationEnv, workspaceId: string): string | undefined =>
  env.tenant.known.get(`Project@${workspaceId}`)?.[0];

export function tenantryOperations(): FuzzOperation[] {
  return [
    {
      name: 'workspace.create',
      weight: 2,
      run: async (env) => {
        const id = env.rng.uuid();
        const row = await tracked(env, [['Workspace', id]], () =>
          env.client.workspace.create({ data: { id, name: `ws-${id}` } }),
        );
        env.oracle.checkRows('workspace.create', { tenantId: env.ctx.tenantId }, [row]);
      },
    },
    {
      name: 'project.create',
      weight: 3,
      run: async (env) => {
        const id = env.rng.uuid();
        const workspaceId = workspaceOf(env);
        const row = await tracked(env, [['Project', id]], () =>
          env.client.project.create({ data: { id, name: `p-${id}`, ...(env.ctx.workspaceId ? {} : { workspaceId }) } }),
        );
        env.oracle.checkRows('project.create', env.ctx, [row]);
      },
    },
    {
      name: 'project.nestedCreate',
      weight: 2,
      run: async (env) => {
        const id = env.rng.uuid();
        const tasks = [env.rng.uuid(), env.rng.uuid(), env.rng.uuid()];
        const workspaceId = workspaceOf(env);
        const row = (await tracked(env, [['Project', id], ...tasks.map((t) => ['Task', t] as [string, string])], () =>
          env.client.project.create({
            data: {
              id,
              name: `n-${id}`,
              workspaceId,
              tasks: { create: tasks.map((t) => ({ id: t, title: `t-${t}` })) },
            },
            include: { tasks: true },
          }),
        )) as { tasks: unknown[] };
        env.oracle.checkRows('project.create nested', env.ctx, [row, ...row.tasks]);
      },
    },
    {
      name: 'task.createMany',
      weight: 2,
      run: async (env) => {
        const workspaceId = workspaceOf(env);
        const projectId = seededProject(env, workspaceId);
        if (!projectId) return;
        const ids = [env.rng.uuid(), env.rng.uuid()];
        await tracked(
          env,
          ids.map((id) => ['Task', id] as [string, string]),
          () =>
            env.client.task.createMany({ data: ids.map((id) => ({ id, title: `m-${id}`, projectId, workspaceId })) }),
        );
      },
    },
    {
      name: 'task.connectOwn',
      weight: 2,
      run: async (env) => {
        const workspaceId = workspaceOf(env);
        const projectId = seededProject(env, workspaceId);
        if (!projectId) return;
        const id = env.rng.uuid();
        const row = await tracked(env, [['Task', id]], () =>
          env.client.task.create({
            data: {
              id,
              title: `c-${id}`,
              project: {
                connect: { tenantId_workspaceId_id: { tenantId: env.ctx.tenantId, workspaceId, id: projectId } },
              },
            },
          }),
        );
        env.oracle.checkRows('task.create connect', env.ctx, [row]);
      },
    },
    {
      name: 'task.connectForeign',
      weight: 2,
      run: async (env) => {
        const foreignWorkspace = env.other.workspaceIds[0]!;
        const foreignProject = env.other.known.get(`Project@${foreignWorkspace}`)?.[0];
        if (!foreignProject) return;
        const id = env.rng.uuid();
        env.oracle.attempt('Task', id, env.tenant.tenantId);
        try {
          const row = await env.client.task.create({
            data: { id, title: `x-${id}`, workspaceId: foreignWorkspace, projectId: foreignProject },
          });
          env.oracle.settle([id], 'acked');
          env.oracle.checkRows('task.create with a foreign project', env.ctx, [row]);
        } catch (error) {
          env.oracle.settle([id], isConclusiveFailure(error) ? 'absent' : 'indeterminate');
          if (!isRejection(error)) throw error;
        }
      },
    },
    {
      name: 'project.update',
      weight: 2,
      run: async (env) => {
        const workspaceId = workspaceOf(env);
        const projectId = seededProject(env, workspaceId);
        if (!projectId) return;
        const row = await env.client.project.update({
          where: { tenantId_id: { tenantId: env.ctx.tenantId, id: projectId } },
          data: { name: `renamed-${env.rng.int(1e6)}` },
        });
        env.oracle.checkRows('project.update', env.ctx, [row]);
      },
    },
    {
      name: 'project.updateForeign',
      weight: 1,
      run: async (env) => {
        const foreign = env.other.known.get(`Project@${env.other.workspaceIds[0]}`)?.[0];
        if (!foreign) return;
        try {
          const row = await env.client.project.update({
            where: { tenantId_id: { tenantId: env.ctx.tenantId, id: foreign } },
            data: { name: 'stolen' },
          });
          env.oracle.checkRows('project.update(foreign id)', env.ctx, [row]);
        } catch (error) {
          if (!isRejection(error)) throw error;
        }
        const { count } = await env.client.project.updateMany({ where: { id: foreign }, data: { name: 'stolen' } });
        env.oracle.checkForeignCount('project.updateMany(foreign id)', env.tenant.tenantId, count);
        const raw = await env.client.$executeRaw`update projects set name = 'stolen' where id = ${foreign}::uuid`;
        env.oracle.checkForeignCount('raw update(foreign id)', env.tenant.tenantId, raw);
      },
    },
    {
      name: 'task.upsert',
      weight: 1,
      run: async (env) => {
        const workspaceId = workspaceOf(env);
        const projectId = seededProject(env, workspaceId);
        if (!projectId) return;
        const id = env.rng.uuid();
        const row = await tracked(env, [['Task', id]], () =>
          env.client.task.upsert({
            where: { tenantId_id: { tenantId: env.ctx.tenantId, id } },
            create: { id, title: `u-${id}`, projectId, workspaceId },
            update: { title: 'updated' },
          }),
        );
        env.oracle.checkRows('task.upsert', env.ctx, [row]);
      },
    },
    {
      name: 'task.delete',
      weight: 1,
      run: async (env) => {
        const own = env.tenant.known.get('Task');
        if (!own?.length) return;
        const id = own.splice(env.rng.int(own.length), 1)[0]!;
        try {
          // Tasks are soft-deleted: the row stays, marked, and must never be live again.
          const row = await env.client.task.deleteMany({ where: { id } });
          if (row.count === 1) env.oracle.softDeleted([id]);
        } catch (error) {
          // Conclusive: nothing was deleted. Still reported when an earlier operation's session state caused it.
          if (isConclusiveFailure(error) && !inheritedStateError(error)) return;
          if (isConclusiveFailure(error)) throw error;
          // Cut mid-flight: the delete may have committed before the answer was lost.
          env.oracle.uncertain([id]);
          throw error;
        }
      },
    },
    {
      name: 'raw.insertForeign',
      weight: 1,
      run: async (env) => {
        const id = env.rng.uuid();
        env.oracle.attempt('Workspace', id, env.other.tenantId);
        try {
          await env.client
            .$executeRaw`insert into workspaces (tenant_id, id, name) values (${env.other.tenantId}::uuid, ${id}::uuid, 'raw-foreign')`;
          env.oracle.settle([id], 'acked');
          env.oracle.checkForeignCount('raw insert into another tenant', env.tenant.tenantId, 1);
        } catch (error) {
          env.oracle.settle([id], isConclusiveFailure(error) ? 'absent' : 'indeterminate');
          if (!isRejection(error)) throw error;
        }
      },
    },
    {
      name: 'include.read',
      weight: 3,
      run: async (env) => {
        const rows = (await env.client.workspace.findMany({
          take: 5,
          include: { projects: { take: 5, include: { tasks: { take: 5 } } } },
        })) as Array<{
          projects: Array<{ tasks: unknown[] }>;
        }>;
        env.oracle.checkRows('workspace.findMany include', { tenantId: env.ctx.tenantId }, rows);
        for (const w of rows) {
          env.oracle.checkRows('include projects', env.ctx, w.projects);
          for (const p of w.projects) env.oracle.checkRows('include tasks', env.ctx, p.tasks);
        }
      },
    },
    {
      name: 'tx.interactiveCommit',
      weight: 2,
      run: async (env) => {
        const id = env.rng.uuid();
        const task = env.rng.uuid();
        const workspaceId = workspaceOf(env);
        await tracked(
          env,
          [
            ['Project', id],
            ['Task', task],
          ],
          () =>
            env.client.$transaction(async (tx: typeof env.client) => {
              await tx.project.create({ data: { id, name: `tx-${id}`, workspaceId } });
              await tx.task.create({ data: { id: task, title: `tx-${task}`, projectId: id, workspaceId } });
              env.oracle.checkRows('tx findMany', env.ctx, await tx.task.findMany({ take: 10 }));
            }),
        );
      },
    },
    {
      name: 'tx.interactiveRollback',
      weight: 2,
      run: async (env) => {
        const id = env.rng.uuid();
        const workspaceId = workspaceOf(env);
        try {
          await tracked(env, [['Project', id]], () =>
            env.client.$transaction(async (tx: typeof env.client) => {
              await tx.project.create({ data: { id, name: `rb-${id}`, workspaceId } });
              throw new RollbackSignal('rolled back on purpose');
            }),
          );
        } catch (error) {
          if (!(error instanceof RollbackSignal)) throw error;
        }
      },
    },
    {
      name: 'tx.statementTimeout',
      weight: 1,
      expectedSqlstates: ['57014'],
      run: async (env) => {
        const id = env.rng.uuid();
        const workspaceId = workspaceOf(env);
        try {
          await tracked(env, [['Project', id]], () =>
            env.client.$transaction(async (tx: typeof env.client) => {
              await tx.project.create({ data: { id, name: `to-${id}`, workspaceId } });
              await tx.$executeRawUnsafe('set local statement_timeout = 20');
              await tx.$queryRawUnsafe('select pg_sleep(0.2)');
            }),
          );
        } catch (error) {
          if (!isConclusiveFailure(error) || inheritedStateError(error, ['57014'])) throw error;
        }
      },
    },
    {
      name: 'tx.batch',
      weight: 2,
      run: async (env) => {
        const id = env.rng.uuid();
        const workspaceId = workspaceOf(env);
        const results = (await tracked(env, [['Project', id]], () =>
          env.client.$transaction([
            env.client.project.create({ data: { id, name: `b-${id}`, workspaceId } }),
            env.client.project.findMany({ take: 10 }),
            env.client.$queryRaw`select tenant_id::text, id::text from tasks limit 10`,
          ]),
        )) as [unknown, unknown[], unknown[]];
        env.oracle.checkRows('batch', env.ctx, [results[0], ...results[1], ...results[2]]);
      },
    },
  ];
}
