/**
 * The bad-input catalogue: every kind of malformed or hostile input a caller can hand the library,
 * each with the exact error type, a message that names what was wrong and says how to fix it (and
 * never quotes the offending value or another tenant's data), and nothing written.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidTenantContextError,
  MissingTenantContextError,
  MissingWorkspaceError,
  TenantClientClosedError,
  TenantMismatchError,
  TenantryConfigError,
  TenantryError,
  UnsupportedQueryError,
  createTenantPrismaClient,
  tenantContext,
  type TenantPrismaClient,
} from '../../src/index.js';
import { TenantPool } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;
let prisma: TenantPrismaClient;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  prisma = db.client();
});

/** Row counts and a content hash of every table, read through the admin client. */
async function snapshot(): Promise<string> {
  const rows = await db.admin().$queryRawUnsafe<Array<{ t: string; n: number; h: string }>>(
    `select 'projects' as t, count(*)::int as n, coalesce(md5(string_agg(tenant_id::text || id::text || name, ',' order by id)), '') as h from projects
     union all select 'tasks', count(*)::int, coalesce(md5(string_agg(tenant_id::text || id::text || title || done::text, ',' order by id)), '') from tasks
     union all select 'workspaces', count(*)::int, coalesce(md5(string_agg(tenant_id::text || id::text || name, ',' order by id)), '') from workspaces
     union all select 'memberships', count(*)::int, '' from memberships union all select 'tenants', count(*)::int, '' from tenants`,
  );
  return JSON.stringify(rows);
}

const T = () => a.tenantId;
const B = () => b.tenantId;
const inA = <R>(fn: () => R) => tenantContext.run({ tenantId: T() }, fn);
const inAws = <R>(fn: () => R) => tenantContext.run({ tenantId: T(), workspaceId: a.workspaceIds[0] }, fn);
const key = (id: string, tenantId = T()) => ({ tenantId_id: { tenantId, id } });

type Case = [
  label: string,
  run: () => unknown,
  error: new (...args: never[]) => Error,
  fix: RegExp,
  secret?: () => string,
];

const cases: Case[] = [
  // Malformed and hostile ids, rejected at tenantContext.run.
  [
    'empty tenantId',
    () => tenantContext.run({ tenantId: '' }, () => 0),
    InvalidTenantContextError,
    /Pass tenantId as a canonical UUID/,
  ],
  [
    'tenantId not a uuid',
    () => tenantContext.run({ tenantId: 'acme' }, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
    () => 'acme',
  ],
  [
    'tenantId with SQL',
    () => tenantContext.run({ tenantId: "1' or '1'='1" }, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
    () => "1' or '1'='1",
  ],
  [
    'tenantId uuid + SQL suffix',
    () => tenantContext.run({ tenantId: `${T()}' --` }, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
  ],
  [
    'tenantId with fullwidth digit look-alikes',
    () => tenantContext.run({ tenantId: T().replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))) }, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
  ],
  [
    'tenantId with Cyrillic look-alike letters',
    () =>
      tenantContext.run(
        { tenantId: T().replace(/a/g, 'а').replace(/e/g, 'е') + (T().match(/[ae]/) ? '' : 'е') },
        () => 0,
      ),
    InvalidTenantContextError,
    /canonical UUID/,
  ],
  [
    'tenantId 1 MB long',
    () => tenantContext.run({ tenantId: 'a'.repeat(1 << 20) }, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
  ],
  [
    'tenantId a number',
    () => tenantContext.run({ tenantId: 42 as never }, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
  ],
  ['tenantId missing', () => tenantContext.run({} as never, () => 0), InvalidTenantContextError, /canonical UUID/],
  [
    'context not an object',
    () => tenantContext.run(null as never, () => 0),
    InvalidTenantContextError,
    /canonical UUID/,
  ],
  [
    'workspaceId not a uuid',
    () => tenantContext.run({ tenantId: T(), workspaceId: 'marketing' }, () => 0),
    InvalidTenantContextError,
    /Pass workspaceId/,
  ],
  [
    'userId with NUL byte',
    () => tenantContext.run({ tenantId: T(), userId: `${T()}\u0000` }, () => 0),
    InvalidTenantContextError,
    /Pass userId/,
  ],
  // No context.
  [
    'model query without a context',
    () => prisma.project.findMany(),
    MissingTenantContextError,
    /Wrap the call in tenantContext\.run/,
  ],
  [
    'write without a context',
    () => prisma.workspace.create({ data: { name: 'x' } }),
    MissingTenantContextError,
    /tenantContext\.run/,
  ],
  [
    'query created inside run, awaited outside it',
    () => {
      let lazy: PromiseLike<unknown> | undefined;
      tenantContext.run({ tenantId: T() }, () => void (lazy = prisma.project.findMany()));
      return lazy;
    },
    MissingTenantContextError,
    /await the query inside fn/,
  ],
  [
    'context entered with enterWith on another AsyncLocalStorage',
    () => {
      const foreign = new AsyncLocalStorage<{ tenantId: string }>();
      foreign.enterWith({ tenantId: T() });
      return prisma.task.count();
    },
    MissingTenantContextError,
    /tenantContext\.run/,
  ],
  // tenantId / workspaceId smuggled into queries.
  [
    'tenantId of another tenant in where',
    () => inA(() => prisma.project.findMany({ where: { tenantId: B() } })),
    TenantMismatchError,
    /Remove tenantId from the query/,
    B,
  ],
  [
    'tenantId list with another tenant',
    () => inA(() => prisma.project.count({ where: { tenantId: { in: [T(), B()] } } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in an OR branch',
    () => inA(() => prisma.task.findMany({ where: { OR: [{ done: true }, { tenantId: B() }] } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in a compound key',
    () => inA(() => prisma.project.findUnique({ where: key(b.projectIds[0]!, B()) })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in create data',
    () => inAws(() => prisma.project.create({ data: { name: 'x', tenantId: B() } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in one createMany row',
    () => inAws(() => prisma.workspace.createMany({ data: [{ name: 'ok' }, { name: 'bad', tenantId: B() }] })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in nested create data',
    () =>
      inA(() =>
        prisma.workspace.create({ data: { name: 'n', projects: { create: [{ name: 'p', tenantId: B() } as never] } } }),
      ),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in upsert create',
    () =>
      inA(() =>
        prisma.workspace.upsert({ where: key(a.workspaceIds[0]!), create: { name: 'u', tenantId: B() }, update: {} }),
      ),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in upsert where',
    () =>
      inA(() =>
        prisma.workspace.upsert({
          where: key(b.workspaceIds[0]!, B()),
          create: { name: 'u' },
          update: { name: 'pwned' },
        }),
      ),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another tenant in connectOrCreate',
    () =>
      inA(() =>
        prisma.workspace.create({
          data: {
            name: 'c',
            projects: { connectOrCreate: { where: key(b.projectIds[0]!, B()), create: { name: 'p' } } },
          },
        }),
      ),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'moving a row to another tenant (update)',
    () => inA(() => prisma.project.update({ where: key(a.projectIds[0]!), data: { tenantId: B() } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'moving rows to another tenant (updateMany set)',
    () => inA(() => prisma.task.updateMany({ data: { tenantId: { set: B() } } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'relation filter reaching into another tenant',
    () => inA(() => prisma.workspace.findMany({ where: { projects: { some: { tenantId: B() } } } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'include filter reaching into another tenant',
    () => inA(() => prisma.workspace.findMany({ include: { projects: { where: { tenantId: B() } } } })),
    TenantMismatchError,
    /Remove tenantId/,
    B,
  ],
  [
    'another workspace in where, inside a workspace context',
    () => inAws(() => prisma.task.findMany({ where: { workspaceId: a.workspaceIds[1] } })),
    TenantMismatchError,
    /run the work inside a context for that workspace/,
  ],
  [
    'another workspace in data, inside a workspace context',
    () => inAws(() => prisma.project.create({ data: { name: 'w', workspaceId: a.workspaceIds[1]! } })),
    TenantMismatchError,
    /Remove workspaceId/,
  ],
  [
    'workspace-scoped create with no workspace anywhere',
    () => inA(() => prisma.project.create({ data: { name: 'orphan' } })),
    MissingWorkspaceError,
    /tenantContext\.run\(\{ tenantId, workspaceId \}/,
  ],
  // Raw SQL trying to escape: what it cannot do.
  [
    'raw SQL: SET ROLE to the admin role',
    () => inA(() => prisma.$executeRawUnsafe('set role tenantry_admin')),
    Error,
    /permission denied to set role/,
  ],
  [
    'raw SQL: multi-statement smuggling past the settings',
    () => inA(() => prisma.$executeRawUnsafe("select 1; update projects set name = 'x'")),
    Error,
    /cannot insert multiple commands/,
  ],
  // Connection layer misuse and configuration.
  [
    'named prepared statement on the tenant pool',
    async () => {
      const pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1 });
      try {
        return await inA(() => pool.query({ name: 's', text: 'select 1' }));
      } finally {
        await pool.end();
      }
    },
    UnsupportedQueryError,
    /Remove `name`\/`rows`/,
  ],
  [
    'missing DATABASE_URL',
    () => {
      const saved = process.env.DATABASE_URL;
      delete process.env.DATABASE_URL;
      try {
        return createTenantPrismaClient();
      } finally {
        if (saved !== undefined) process.env.DATABASE_URL = saved;
      }
    },
    TenantryConfigError,
    /Set DATABASE_URL to/,
  ],
  [
    'pool size not a number',
    () => {
      process.env.DATABASE_POOL_SIZE = 'lots';
      try {
        return createTenantPrismaClient({ connectionString: db.runtimeUrl });
      } finally {
        delete process.env.DATABASE_POOL_SIZE;
      }
    },
    TenantryConfigError,
    /Set it to the number of connections/,
  ],
  [
    'query after the client was disconnected',
    async () => {
      const c = db.client();
      await inA(() => c.project.count());
      await c.$disconnect();
      return inA(() => c.project.count());
    },
    TenantClientClosedError,
    /Create a new client with createTenantPrismaClient/,
  ],
];

describe('bad-input catalogue', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('%s', async (_label, run, errorType, fix, secret) => {
    const before = await snapshot();
    let thrown: unknown;
    try {
      await run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown, 'expected an error').toBeInstanceOf(errorType);
    const message = (thrown as Error).message;
    expect(message).toMatch(fix);
    if (errorType !== Error) {
      expect(thrown).toBeInstanceOf(TenantryError);
      expect(message).toMatch(/^Cannot .+ because .+\./);
    }
    if (secret) expect(message).not.toContain(secret());
    expect(message).not.toContain(b.projectIds[0]!);
    expect(await snapshot(), 'nothing written').toBe(before);
  });
});
