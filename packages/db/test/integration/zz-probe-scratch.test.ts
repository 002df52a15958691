import { beforeAll, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
let db: TestDatabase; let a: SeededTenant; let b: SeededTenant;
beforeAll(async () => { db = await useTestDatabase(); [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']); });
const show = async (label: string, f: () => Promise<unknown>) => {
  try { const r = await f(); console.log(label, 'OK', JSON.stringify(r)); }
  catch (e: any) { console.log(label, 'ERR', e?.constructor?.name, e?.name, e?.code, JSON.stringify(e?.meta), String(e?.message).slice(0, 400)); }
};
it('probe', async () => {
  if (db.route !== 'direct') return;
  const prisma = db.client();
  const admin = db.admin();
  await tenantContext.run({ tenantId: a.tenantId }, async () => {
    await show('tenantconnect', () => prisma.workspace.update({ where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } }, data: { tenant: { connect: { id: b.tenantId } } } }));
    await show('wsprojconnect', () => prisma.workspace.update({ where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } }, data: { projects: { connect: [{ tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } }] } } }));
    await show('taskconnect', () => prisma.task.create({ data: { title: 'stolen', project: { connect: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } } } } }));
    await show('taskcoc', () => prisma.task.create({ data: { title: 'coc', project: { connectOrCreate: { where: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[0]! } }, create: { id: b.projectIds[0]!, name: 'coc p', workspace: { connect: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } } } } } } } }));
    await show('batchmismatch', () => prisma.$transaction([prisma.workspace.create({ data: { name: 'batch1' } }), prisma.workspace.create({ data: { tenantId: b.tenantId, name: 'batch2' } })]));
    await show('batchP2025', () => prisma.$transaction([prisma.workspace.create({ data: { name: 'batch3' } }), prisma.project.update({ where: { tenantId_id: { tenantId: a.tenantId, id: b.projectIds[1]! } }, data: { name: 'x' } })]));
    await show('wsprojupdmany', () => prisma.workspace.update({ where: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[0] } }, data: { projects: { updateMany: { where: {}, data: { name: 'renamed' } } } }, include: { projects: true } }));
  });
  await tenantContext.run({ tenantId: a.tenantId, workspaceId: a.workspaceIds[0] }, async () => {
    await show('wsconnectother', () => prisma.project.create({ data: { name: 'p', workspace: { connect: { tenantId_id: { tenantId: a.tenantId, id: a.workspaceIds[1] } } } } }));
  });
  await tenantContext.run({ tenantId: a.tenantId, workspaceId: b.workspaceIds[0] }, async () => {
    await show('foreignws-find', () => prisma.project.findMany());
    await show('foreignws-create', () => prisma.project.create({ data: { name: 'p' } }));
  });
  console.log(await admin.workspace.findMany({ where: { name: { startsWith: 'batch' } } }));
  console.log(await admin.project.findMany({ where: { tenantId: b.tenantId }, select: { id: true, name: true } }));
});
