/**
 * GET /audit over HTTP on the real database: a write through the API shows up as the event the
 * database's triggers recorded (table, operation, row key, changed fields, the user of the token);
 * another tenant's events are never listed, whatever the entity or cursor; a malformed entity is
 * refused naming the field; pagination walks every event once, newest first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

interface AuditEventBody {
  id: string;
  tenantId: string;
  workspaceId: string | null;
  tableName: string;
  operation: string;
  rowKey: Record<string, unknown>;
  changes: Record<string, unknown> | null;
  userId: string | null;
  txid: string;
  at: string;
}
interface AuditPage {
  items: AuditEventBody[];
  nextCursor: string | null;
}

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['audA', 'audB'])) as [SeededTenant, SeededTenant];
  tokenA = await api.token(a.userId, { tenantId: a.tenantId });
  tokenB = await api.token(b.userId, { tenantId: b.tenantId });
});
afterAll(() => api?.close());

/** Every event `token`'s tenant sees for `query`, walking the pages `limit` at a time. */
async function walk(token: string, query = '', limit = 5): Promise<{ items: AuditEventBody[]; pages: number }> {
  const items: AuditEventBody[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: AuditPage } = await api.request(
      'GET',
      `/audit?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages += 1;
    if (pages > 1000) throw new Error('Cannot finish walking /audit because the cursor never ran out.');
  } while (cursor);
  return { items, pages };
}

describe('a write through the API', () => {
  it('is listed first, as the trigger recorded it, with the user of the token', async () => {
    const created = await api.request('POST', '/projects', {
      token: tokenA,
      body: { workspaceId: a.workspaceIds[0], name: 'audA audited' },
    });
    expect(created.status).toBe(201);
    const insert = await api.request<AuditPage>('GET', '/audit?entity=projects&limit=1', { token: tokenA });
    expect(insert.status).toBe(200);
    expect(insert.body.items).toHaveLength(1);
    expect(insert.body.items[0]).toMatchObject({
      tenantId: a.tenantId,
      workspaceId: a.workspaceIds[0],
      tableName: 'projects',
      operation: 'INSERT',
      rowKey: { id: created.body.id },
      userId: a.userId,
    });
    expect(insert.body.items[0]!.changes).toMatchObject({ name: 'audA audited' });
    // bigint columns as strings: exact beyond 2^53, and JSON.stringify cannot write a BigInt.
    expect(insert.body.items[0]!.id).toMatch(/^[1-9][0-9]*$/);
    expect(insert.body.items[0]!.txid).toMatch(/^[1-9][0-9]*$/);
    expect(Number.isNaN(Date.parse(insert.body.items[0]!.at))).toBe(false);

    const renamed = await api.request('PATCH', `/projects/${created.body.id}`, {
      token: tokenA,
      body: { name: 'audA audited 2' },
    });
    expect(renamed.status).toBe(200);
    const update = await api.request<AuditPage>('GET', '/audit?entity=projects&limit=1', { token: tokenA });
    expect(update.body.items[0]).toMatchObject({
      tableName: 'projects',
      operation: 'UPDATE',
      rowKey: { id: created.body.id },
      userId: a.userId,
      changes: { name: { old: 'audA audited', new: 'audA audited 2' } },
    });
    expect(BigInt(update.body.items[0]!.id)).toBeGreaterThan(BigInt(insert.body.items[0]!.id));
  });

  it('records a deleted workspace as DELETE events, newest first, the cascaded rows included', async () => {
    const ws = await api.request('POST', '/workspaces', { token: tokenA, body: { name: 'audA doomed' } });
    const project = await api.request('POST', '/projects', {
      token: tokenA,
      body: { workspaceId: ws.body.id, name: 'audA doomed p' },
    });
    expect(project.status).toBe(201);
    expect((await api.request('DELETE', `/workspaces/${ws.body.id}`, { token: tokenA })).status).toBe(204);
    const wsEvents = await api.request<AuditPage>('GET', '/audit?entity=workspaces&limit=1', { token: tokenA });
    expect(wsEvents.body.items[0]).toMatchObject({
      operation: 'DELETE',
      rowKey: { id: ws.body.id },
      userId: a.userId,
      changes: { name: 'audA doomed' },
    });
    const projectEvents = await api.request<AuditPage>('GET', '/audit?entity=projects&limit=1', { token: tokenA });
    expect(projectEvents.body.items[0]).toMatchObject({ operation: 'DELETE', rowKey: { id: project.body.id } });
  });

  it('records a soft delete of a task as the UPDATE that set deleted_at', async () => {
    const task = await api.request('POST', '/tasks', {
      token: tokenA,
      body: { projectId: a.projectIds[1], title: 'audA soft' },
    });
    expect(task.status).toBe(201);
    expect((await api.request('DELETE', `/tasks/${task.body.id}`, { token: tokenA })).status).toBe(204);
    const res = await api.request<AuditPage>('GET', '/audit?entity=tasks&limit=1', { token: tokenA });
    expect(res.body.items[0]).toMatchObject({ operation: 'UPDATE', rowKey: { id: task.body.id }, userId: a.userId });
    const changes = res.body.items[0]!.changes as Record<string, { old: unknown; new: unknown }>;
    expect(changes.deleted_at?.old).toBeNull();
    expect(typeof changes.deleted_at?.new).toBe('string');
  });

  it('lists only the events of the entity asked for, and an unknown but well-formed entity as an empty page', async () => {
    const { items } = await walk(tokenA, '&entity=tasks', 50);
    expect(items.length).toBeGreaterThan(0);
    expect(items.filter((e) => e.tableName !== 'tasks')).toEqual([]);
    for (const entity of ['no_such_table', 'tenants', 'users', 'audit_events', '_prisma_migrations']) {
      const res = await api.request<AuditPage>('GET', `/audit?entity=${entity}`, { token: tokenA });
      expect(res.status, entity).toBe(200);
      expect(res.body, entity).toEqual({ items: [], nextCursor: null });
    }
  });
});

describe('tenant isolation', () => {
  it("never lists another tenant's events, for the same entity, the whole log, or its cursors", async () => {
    // Both tenants write the same kind of row, so every entity has events in both.
    for (const [tenant, token] of [
      [a, tokenA],
      [b, tokenB],
    ] as const) {
      const res = await api.request('POST', '/tasks', {
        token,
        body: { projectId: tenant.projectIds[0], title: `${tenant.label} same word` },
      });
      expect(res.status).toBe(201);
    }
    const aIds = new Set((await walk(tokenA, '', 100)).items.map((e) => e.id));
    for (const query of ['', '&entity=tasks', '&entity=projects', '&entity=workspaces', '&entity=memberships']) {
      const { items } = await walk(tokenB, query, 100);
      expect(items.length, query).toBeGreaterThan(0);
      expect(foreignRows(items, b, `GET /audit?${query}`)).toEqual([]);
      expect(items.filter((e) => aIds.has(e.id))).toEqual([]);
      expect(JSON.stringify(items)).not.toContain('audA');
    }
    // A's cursor in B's request: keyset on the id, so it pages B's own events below it, never A's.
    const newestOfA = [...aIds].sort((x, y) => (BigInt(y) > BigInt(x) ? 1 : -1))[0]!;
    const withForeignCursor = await api.request<AuditPage>('GET', `/audit?limit=100&cursor=${newestOfA}`, {
      token: tokenB,
    });
    expect(withForeignCursor.status).toBe(200);
    expect(foreignRows(withForeignCursor.body.items, b, 'GET /audit with a cursor of A')).toEqual([]);
  });

  it("answers 403 to a request for another tenant's log, and 401 without a token", async () => {
    const foreign = await api.request('GET', '/audit', { token: tokenB, tenant: a.tenantId });
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(foreign.body)).not.toContain('audA');
    const anonymous = await api.request('GET', '/audit', { tenant: a.tenantId });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.headers.get('cache-control')).toBe('private, no-store');
  });

  it('says private, no-store on the list', async () => {
    const res = await api.request('GET', '/audit', { token: tokenA });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('authorization');
  });

  it('cannot write the log: the runtime role has SELECT only (the API has no route for it either)', async () => {
    for (const method of ['POST', 'PATCH', 'DELETE', 'PUT']) {
      const res = await api.request(method, '/audit', { token: tokenA, body: { tableName: 'projects' } });
      expect(res.status, method).toBe(404);
    }
  });
});

describe('bad query parameters', () => {
  it.each([
    ['upper case', 'Projects'],
    ['SQL', 'projects;drop table projects'],
    ['a quote', "projects'--"],
    ['a leading digit', '1projects'],
    ['a schema-qualified name', 'public.projects'],
    ['a name over 63 characters', 'a'.repeat(64)],
    ['empty', ''],
  ])('refuses an entity that is %s with 400 naming entity, without echoing it', async (_label, entity) => {
    const res = await api.request('GET', `/audit?entity=${encodeURIComponent(entity)}`, { token: tokenA });
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ field: 'entity', message: expect.any(String) }]);
    expect(res.body.message).toMatch(/^Cannot accept the query string because a field is invalid: entity/);
    if (entity.length > 3) expect(JSON.stringify(res.body)).not.toContain(entity);
  });

  it('refuses the entity sent twice', async () => {
    const res = await api.request('GET', '/audit?entity=projects&entity=tasks', { token: tokenA });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual(['entity']);
  });

  it.each([
    ['not a number', 'abc', 'cursor'],
    ['negative', '-5', 'cursor'],
    ['zero-padded', '007', 'cursor'],
    ['beyond bigint', '9223372036854775808', 'cursor'],
    ['a UUID (the other lists’ cursors)', '8f14e45f-ceea-467a-9d6e-6b7f3f3c0a11', 'cursor'],
  ])('refuses a cursor that is %s with 400 naming cursor', async (_label, cursor, field) => {
    const res = await api.request('GET', `/audit?cursor=${cursor}`, { token: tokenA });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual([field]);
  });

  it('bounds limit like every list (1 to 100) and refuses unknown parameters', async () => {
    for (const limit of ['0', '101', 'x']) {
      const res = await api.request('GET', `/audit?limit=${limit}`, { token: tokenA });
      expect(res.status, limit).toBe(400);
      expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual(['limit']);
    }
    const unknown = await api.request('GET', `/audit?tenantId=${b.tenantId}`, { token: tokenA });
    expect(unknown.status).toBe(400);
  });
});

describe('pagination', () => {
  it('walks every event of the tenant once, newest first, in pages of the limit, to a null cursor', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await api.request('PATCH', `/tasks/${a.taskIds[0]}`, { token: tokenA, body: { done: i % 2 === 0 } });
      expect(res.status).toBe(200);
    }
    const expected = await api.admin.auditEvent.findMany({
      where: { tenantId: a.tenantId },
      orderBy: { id: 'desc' },
      select: { id: true },
    });
    expect(expected.length).toBeGreaterThan(15);
    const { items, pages } = await walk(tokenA, '', 4);
    const ids = items.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected.map((e) => e.id.toString()));
    expect(pages).toBe(Math.ceil(expected.length / 4)); // the last page, full or not, says nextCursor: null
    for (let i = 1; i < ids.length; i++) expect(BigInt(ids[i - 1]!)).toBeGreaterThan(BigInt(ids[i]!));
  });

  it('defaults to 20 per page', async () => {
    const total = await api.admin.auditEvent.count({ where: { tenantId: a.tenantId } });
    expect(total).toBeGreaterThan(20);
    const res = await api.request<AuditPage>('GET', '/audit', { token: tokenA });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(20);
    expect(res.body.nextCursor).toBe(res.body.items[19]!.id);
  });
});
