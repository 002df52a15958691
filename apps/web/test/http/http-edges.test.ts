/**
 * The web app's HTTP edges (issue 18): tenant answers are never for a shared cache, bytes Postgres
 * cannot store are a 422 naming the field, and a server action called directly (its id is public,
 * in the page) with an argument that is not its form's FormData answers with the form's error state,
 * never an uncaught TypeError (a 500 logged as an error).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminPrismaClient } from '@tenantry/db/admin';
import { APP_DIR, RESULTS_DIR } from '../support/next-server';
import { logLines } from '../support/server-log';
import { adminClient, request, requestAt, rig, seedTenant, sessionToken, type SeededTenant } from '../support/web';

let admin: AdminPrismaClient;
let a: SeededTenant;
let b: SeededTenant;
let tokenA: string;

beforeAll(async () => {
  admin = adminClient();
  a = await seedTenant(admin, 'edge');
  b = await seedTenant(admin, 'egde');
  tokenA = await sessionToken(a.userId, { tenantId: a.tenantId });
});

afterAll(async () => {
  await admin?.$disconnect();
});

const SERVER_LOG = path.join(RESULTS_DIR, 'next-start.log');
const errorLines = () => logLines(SERVER_LOG).filter((line) => line.level === 'error');

describe('Cache-Control on tenant-scoped answers', () => {
  it.each([
    ['a list', (): string => '/api/workspaces', 200],
    ['a row', (): string => `/api/projects/${a.projectIds[0]}`, 200],
    ['another tenant’s id', (): string => `/api/projects/${b.projectIds[0]}`, 404],
    ['GET /api/me', (): string => '/api/me', 200],
  ] as const)('says private, no-store and Vary: Cookie on %s', async (_label, pathOf, status) => {
    const res = await requestAt(rig().baseUrl, 'GET', pathOf(), { session: tokenA });
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('cookie');
  });

  it('says private, no-store on the 401 of a request without a session and the 403 of a foreign tenant', async () => {
    const missing = await requestAt(rig().baseUrl, 'GET', '/api/workspaces');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('cache-control')).toBe('private, no-store');
    const foreign = await requestAt(rig().baseUrl, 'GET', '/api/workspaces', { session: tokenA, tenant: b.tenantId });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('cache-control')).toBe('private, no-store');
  });

  it('renders tenant pages with a Cache-Control no shared cache may store', async () => {
    const res = await requestAt(rig().baseUrl, 'GET', '/workspaces', { session: tokenA });
    expect(res.status).toBe(200);
    const cacheControl = res.headers.get('cache-control') ?? '';
    expect(cacheControl).toMatch(/\bprivate\b/);
    expect(cacheControl).toMatch(/\bno-store\b/);
  });
});

describe('control characters in input', () => {
  it.each([
    ['a NUL', 'a\u0000b'],
    ['a newline', 'two\nlines'],
    ['an escape sequence', '\u001b[31mred'],
  ])('refuses %s in a task title with 422 naming the field, and writes nothing', async (_label, title) => {
    const taskId = a.taskIds[0]!;
    const before = await admin.task.findUniqueOrThrow({ where: { tenantId_id: { tenantId: a.tenantId, id: taskId } } });
    const errorsBefore = errorLines().length;
    const res = await request('PATCH', `/api/tasks/${taskId}`, { session: tokenA }, { title });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('title');
    expect(res.body.message).toMatch(/control characters/);
    const after = await admin.task.findUniqueOrThrow({ where: { tenantId_id: { tenantId: a.tenantId, id: taskId } } });
    expect(after.title).toBe(before.title);
    expect(errorLines().length).toBe(errorsBefore);
  });
});

/** The build's server actions by exported name (their ids are public: they are in every page's HTML/JS). */
function actionIds(): Map<string, string> {
  const manifest = JSON.parse(
    readFileSync(path.join(APP_DIR, '.next', 'server', 'server-reference-manifest.json'), 'utf8'),
  ) as { node: Record<string, { exportedName?: string; filename?: string }> };
  const ids = new Map<string, string>();
  for (const [id, entry] of Object.entries(manifest.node)) if (entry.exportedName) ids.set(entry.exportedName, id);
  return ids;
}

/** Calls a server action the way Next's client does, with a JSON-encoded argument list. */
async function callAction(id: string, args: unknown[]): Promise<{ status: number; text: string }> {
  const response = await fetch(`${rig().baseUrl}/workspaces`, {
    method: 'POST',
    headers: {
      accept: 'text/x-component',
      'next-action': id,
      'content-type': 'text/plain;charset=UTF-8',
      cookie: `tenantry_session=${tokenA}`,
    },
    body: JSON.stringify(args),
    redirect: 'manual',
  });
  return { status: response.status, text: await response.text() };
}

describe('server actions called with an argument that is not a FormData', () => {
  const FORM_ACTIONS = [
    'signInAsDemoUser',
    'switchTenant',
    'createWorkspace',
    'renameWorkspace',
    'deleteWorkspace',
    'createProject',
    'renameProject',
    'deleteProject',
    'createTask',
    'renameTask',
    'setTaskDone',
    'deleteTask',
  ];

  it('finds every form action in the build', () => {
    const ids = actionIds();
    for (const name of FORM_ACTIONS) expect(ids.get(name), name).toMatch(/^[0-9a-f]{40,}$/);
  });

  it.each(FORM_ACTIONS)(
    '%s answers its form error state for a string, an object, a number and no argument',
    async (name) => {
      const id = actionIds().get(name)!;
      const errorsBefore = errorLines().length;
      for (const args of [[{}, 'not form data'], [{}, { name: 'x', id: a.workspaceIds[0] }], [{}, 42], [{}]]) {
        const res = await callAction(id, args);
        expect(res.status, `${name}(${JSON.stringify(args)})`).toBe(200);
        expect(res.text, `${name}(${JSON.stringify(args)})`).toContain('not sent from its form');
      }
      expect(errorLines().length).toBe(errorsBefore);
    },
  );
});
