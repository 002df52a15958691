/**
 * createTenant: the tenant, its owner (found by email or created), the owner membership and the
 * defaults in one transaction. A taken slug, invalid input or a failure half-way (in the defaults,
 * or in Postgres) writes nothing at all, which the tests check by counting every table before and
 * after. Admin-role work only (no pooled route to vary), so it runs once, in the unit project (test/rig).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTenant as createEngineTenant } from '@tenantry/prisma/lifecycle';
import {
  AdminRoleRequiredError,
  createTenant,
  InvalidTenantInputError,
  TenantSlugTakenError,
} from '../../src/admin.js';
import { tenantContext } from '../../src/index.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

let db: TestDatabase;
let alpha: SeededTenant;

/** Rows per table: what "nothing was written" is checked against. */
async function counts(): Promise<{ tenants: number; users: number; memberships: number; workspaces: number }> {
  const admin = db.admin();
  return {
    tenants: await admin.tenant.count(),
    users: await admin.user.count(),
    memberships: await admin.membership.count(),
    workspaces: await admin.workspace.count(),
  };
}
const unique = () => randomUUID().slice(0, 8);

/** Polls until a backend of this database (not `holder`) waits on a lock; fails after 10 s. */
async function waitForLockWait(holder: pg.Client): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await holder.query(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    );
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('createTenant never waited on the unique index within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createTenant', () => {
  beforeAll(async () => {
    db = await useTestDatabase();
    [alpha] = await seedTenants(db.admin(), ['alpha']);
  });

  it('creates the tenant, a new owner, the owner membership and a first workspace', async () => {
    const id = unique();
    const created = await createTenant(db.admin(), {
      name: `  Acme ${id} Corp.  `,
      owner: { email: `Ada-${id}@Acme.TEST`, name: 'Ada' },
      defaults: { workspace: { name: 'General' } },
    });
    expect(created).toEqual({
      tenantId: expect.any(String),
      slug: `acme-${id}-corp`,
      ownerUserId: expect.any(String),
      ownerCreated: true,
      workspaceId: expect.any(String),
    });
    const admin = db.admin();
    expect(
      await admin.tenant.findUnique({ where: { id: created.tenantId }, select: { name: true, slug: true } }),
    ).toEqual({
      name: `Acme ${id} Corp.`,
      slug: `acme-${id}-corp`,
    });
    expect(await admin.user.findUnique({ where: { id: created.ownerUserId }, select: { email: true } })).toEqual({
      email: `ada-${id}@acme.test`,
    });
    expect(await admin.membership.findMany({ where: { tenantId: created.tenantId } })).toMatchObject([
      { userId: created.ownerUserId, role: 'owner' },
    ]);
    expect(
      await admin.workspace.findMany({ where: { tenantId: created.tenantId }, select: { id: true, name: true } }),
    ).toEqual([{ id: created.workspaceId, name: 'General' }]);
  });

  it('finds an existing owner by email (any case) and leaves the user as it was', async () => {
    const owner = await db.admin().user.findUniqueOrThrow({ where: { id: alpha.userId } });
    const before = await counts();
    const created = await createTenant(db.admin(), {
      name: `Second ${unique()}`,
      owner: { email: owner.email.toUpperCase(), name: 'Another Name' },
    });
    expect(created.ownerUserId).toBe(alpha.userId);
    expect(created.ownerCreated).toBe(false);
    expect(created).not.toHaveProperty('workspaceId');
    expect(await db.admin().user.findUniqueOrThrow({ where: { id: alpha.userId } })).toEqual(owner);
    expect(await counts()).toEqual({ ...before, tenants: before.tenants + 1, memberships: before.memberships + 1 });
  });

  it('refuses a taken slug with TenantSlugTakenError and writes nothing', async () => {
    const taken = (await db.admin().tenant.findUniqueOrThrow({ where: { id: alpha.tenantId } })).slug;
    const before = await counts();
    const error = await createTenant(db.admin(), {
      name: 'Copycat',
      slug: taken,
      owner: { email: `new-${unique()}@example.test`, name: 'New' },
      defaults: { workspace: { name: 'General' } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TenantSlugTakenError);
    expect((error as Error).message).not.toContain(taken);
    expect(await counts()).toEqual(before);
  });

  it('a slug taken between the check and the insert (the unique index decides) is TenantSlugTakenError too', async () => {
    // Made deterministic: another transaction inserts the slug and holds its commit, so createTenant's
    // check finds nothing (the row is not visible yet), its insert waits on the unique index, and the
    // commit makes that insert fail with P2002: the race lost at the index, every time.
    const slug = `race-${unique()}`;
    const before = await counts();
    const other = new pg.Client({ connectionString: db.adminUrl });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`insert into tenants (id, name, slug) values (gen_random_uuid(), 'Other', $1)`, [slug]);
      const racing = createTenant(db.admin(), {
        name: 'Race',
        slug,
        owner: { email: `race-${slug}@example.test`, name: 'R' },
      }).catch((e: unknown) => e);
      await waitForLockWait(other);
      await other.query('commit');
      const error = await racing;
      expect(error).toBeInstanceOf(TenantSlugTakenError);
      expect(((error as Error).cause as { code?: string } | undefined)?.code).toBe('P2002');
      expect((error as Error).message).not.toContain(slug);
    } finally {
      await other.end();
    }
    expect(await counts()).toEqual({ ...before, tenants: before.tenants + 1 });
  });

  it('three concurrent creations of one slug: exactly one wins, the others are TenantSlugTakenError', async () => {
    const slug = `race-${unique()}`;
    const before = await counts();
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) =>
        createTenant(db.admin(), {
          name: `Race ${i}`,
          slug,
          owner: { email: `race-${i}-${slug}@example.test`, name: 'R' },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const reasons = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) expect(reason).toBeInstanceOf(TenantSlugTakenError);
    expect(await counts()).toEqual({
      ...before,
      tenants: before.tenants + 1,
      users: before.users + 1,
      memberships: before.memberships + 1,
    });
  });

  it('a failure half-way (the defaults throw after the tenant, owner, membership and a workspace exist) writes nothing', async () => {
    const before = await counts();
    const email = `halfway-${unique()}@example.test`;
    await expect(
      createEngineTenant(db.admin(), {
        name: 'Halfway',
        owner: { email, name: 'Half' },
        defaults: async (tx: any, { tenantId }) => {
          await tx.workspace.create({ data: { tenantId, name: 'written, then rolled back' } });
          expect(await tx.membership.count({ where: { tenantId } })).toBe(1);
          throw new Error('defaults failed');
        },
      }),
    ).rejects.toThrow('defaults failed');
    expect(await counts()).toEqual(before);
    expect(await db.admin().user.count({ where: { email } })).toBe(0);
  });

  it('a failure inside Postgres half-way (a NUL in the workspace name) writes nothing', async () => {
    const before = await counts();
    await expect(
      createTenant(db.admin(), {
        name: `Nul ${unique()}`,
        owner: { email: `nul-${unique()}@example.test`, name: 'Nul' },
        defaults: { workspace: { name: 'bad\u0000name' } },
      }),
    ).rejects.toThrow();
    expect(await counts()).toEqual(before);
  });

  it('refuses invalid input naming the field, never its value, and writes nothing', async () => {
    const before = await counts();
    const ok = { name: 'Fine', owner: { email: 'fine@example.test', name: 'Fine' } };
    const cases: Array<[string, unknown]> = [
      ['the input', null],
      ['name', { ...ok, name: '   ' }],
      ['name', { ...ok, name: 42 }],
      ['name', { ...ok, name: 'x'.repeat(201) }],
      ['name', { ...ok, name: 'tab\tname' }],
      ['slug', { ...ok, name: '!!!' }],
      ['slug', { ...ok, slug: 'Not A Slug' }],
      ['slug', { ...ok, slug: '-leading' }],
      ['owner', { name: 'Fine' }],
      ['owner.email', { ...ok, owner: { email: 'no-at-sign', name: 'x' } }],
      ['owner.email', { ...ok, owner: { name: 'x' } }],
      ['owner.name', { ...ok, owner: { email: 'fine@example.test', name: '' } }],
      ['defaults.workspace.name', { ...ok, defaults: { workspace: { name: ' ' } } }],
    ];
    for (const [field, input] of cases) {
      const error = await createTenant(db.admin(), input as never).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidTenantInputError);
      expect((error as InvalidTenantInputError).field).toBe(field);
      expect((error as Error).message).toMatch(/^Cannot create the tenant because .+\. .+/);
      expect((error as Error).message).not.toMatch(/no-at-sign|Not A Slug|tab\tname/);
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses the tenant client (its role cannot write tenants and does not bypass RLS)', async () => {
    const before = await counts();
    await expect(
      tenantContext.run({ tenantId: alpha.tenantId }, () =>
        createTenant(db.client(), { name: 'Runtime', owner: { email: 'runtime@example.test', name: 'R' } }),
      ),
    ).rejects.toBeInstanceOf(AdminRoleRequiredError);
    expect(await counts()).toEqual(before);
  });
});
