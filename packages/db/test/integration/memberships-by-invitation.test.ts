/**
 * Joining a tenant is an explicit flow: the tenant invites an email (`invitations`, tenant-scoped),
 * and the invited user, acting as itself (a context whose userId is that user), creates its own
 * membership, with the invitation's role, while the invitation is pending; the insert uses the
 * invitation up. The runtime role cannot add any other membership, cannot point a membership at
 * another user, and nothing it is refused tells it whether a user id exists: the RLS check rejects
 * before the foreign key memberships.user_id -> users could answer.
 *
 * `users` rows are global: one is visible to the user itself (app.user_id) and to the tenants it
 * joined, never to a tenant that merely knows its id or email.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext, type TenantPrismaClient } from '../../src/index.js';
import type { AdminPrismaClient } from '../../src/admin.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { postgresCode } from '../support/errors.js';

let db: TestDatabase;
let admin: AdminPrismaClient;
let prisma: TenantPrismaClient;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  admin = db.admin();
  prisma = db.client();
  [a, b] = await seedTenants(admin, ['alpha', 'bravo']);
});

/** A user of no tenant, written through the admin client (sign-up is the auth path's job). */
async function newUser(label: string) {
  const id = randomUUID();
  return admin.user.create({ data: { id, email: `${label}-${id.slice(0, 8)}@example.test`, name: `User ${label}` } });
}

/**
 * How an operation failed, in the terms a caller can observe: Prisma's code, the SQLSTATE and the
 * message (its last line: Prisma prefixes the call site, which differs between two calls).
 */
async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string | undefined; sqlstate: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const message = (error as Error).message
      .split('\n')
      .filter((line) => line.trim() !== '')
      .at(-1)!
      .trim();
    return { code: (error as { code?: string }).code, sqlstate: postgresCode(error), message };
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

const inA = <R>(fn: () => Promise<R>, userId?: string) =>
  tenantContext.run({ tenantId: a.tenantId, ...(userId ? { userId } : {}) }, fn);

async function membersOf(tenantId: string): Promise<string[]> {
  return (await admin.membership.findMany({ where: { tenantId }, orderBy: { userId: 'asc' } })).map((m) => m.userId);
}

describe('memberships by invitation', () => {
  it('a tenant cannot add a user by id, and the refusal is the same for an existing and a nonexistent user', async () => {
    const before = await membersOf(a.tenantId);
    const nobody = randomUUID();
    // Prisma model writes, then raw SQL: each pair must be indistinguishable.
    const existing = await failure(inA(() => prisma.membership.create({ data: { userId: b.userId } })));
    const missing = await failure(inA(() => prisma.membership.create({ data: { userId: nobody } })));
    expect(existing.sqlstate).toBe('42501');
    expect(missing).toEqual(existing);
    expect(existing.message).not.toContain(b.userId);

    const rawExisting = await failure(
      inA(() => prisma.$executeRaw`insert into memberships (user_id, role) values (${b.userId}::uuid, 'member')`),
    );
    const rawMissing = await failure(
      inA(() => prisma.$executeRaw`insert into memberships (user_id, role) values (${nobody}::uuid, 'member')`),
    );
    expect(rawExisting.sqlstate).toBe('42501');
    expect(rawMissing).toEqual(rawExisting);

    // Claiming to act as that user does not help without an invitation.
    const asExisting = await failure(inA(() => prisma.membership.create({ data: { userId: b.userId } }), b.userId));
    const asMissing = await failure(inA(() => prisma.membership.create({ data: { userId: nobody } }), nobody));
    expect(asExisting.sqlstate).toBe('42501');
    expect(asMissing).toEqual(asExisting);

    expect(await membersOf(a.tenantId)).toEqual(before);
    await inA(async () => {
      expect(await prisma.user.findUnique({ where: { id: b.userId } })).toBeNull();
      expect((await prisma.user.findMany()).map((u) => u.id)).toEqual([a.userId]);
    });
  });

  it('a nested connect of another tenant user fails exactly as for a user that does not exist', async () => {
    const existing = await failure(
      inA(() => prisma.membership.create({ data: { user: { connect: { id: b.userId } } } })),
    );
    const missing = await failure(
      inA(() => prisma.membership.create({ data: { user: { connect: { id: randomUUID() } } } })),
    );
    expect(missing).toEqual(existing);
    expect(await membersOf(a.tenantId)).toEqual([a.userId]);
  });

  it('a tenant cannot point one of its memberships at another user, existing or not, but can change its role', async () => {
    const dana = await newUser('dana-moved');
    const key = { tenantId_userId: { tenantId: a.tenantId, userId: a.userId } };
    const existing = await failure(inA(() => prisma.membership.update({ where: key, data: { userId: b.userId } })));
    const missing = await failure(inA(() => prisma.membership.update({ where: key, data: { userId: randomUUID() } })));
    expect(existing.sqlstate).toBe('42501');
    expect(missing).toEqual(existing);
    const rawExisting = await failure(
      inA(
        () => prisma.$executeRaw`update memberships set user_id = ${dana.id}::uuid where user_id = ${a.userId}::uuid`,
      ),
    );
    const rawMissing = await failure(
      inA(
        () =>
          prisma.$executeRaw`update memberships set user_id = ${randomUUID()}::uuid where user_id = ${a.userId}::uuid`,
      ),
    );
    expect(rawExisting.sqlstate).toBe('42501');
    expect(rawMissing).toEqual(rawExisting);
    expect(await membersOf(a.tenantId)).toEqual([a.userId]);
    await inA(async () => expect(await prisma.user.findUnique({ where: { id: dana.id } })).toBeNull());

    await inA(async () => {
      expect(await prisma.membership.update({ where: key, data: { role: 'admin' } })).toMatchObject({ role: 'admin' });
      expect(await prisma.membership.update({ where: key, data: { role: 'owner' } })).toMatchObject({ role: 'owner' });
    });
  });

  it('inviting an email says nothing about users: a registered and an unknown address are invited alike', async () => {
    const known = b.userId;
    const knownEmail = (await admin.user.findUniqueOrThrow({ where: { id: known } })).email;
    const unknownEmail = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    await inA(async () => {
      const invited = await Promise.all(
        [knownEmail, unknownEmail].map((email) => prisma.invitation.create({ data: { email } })),
      );
      expect(invited.map((i) => [i.tenantId, i.role])).toEqual([
        [a.tenantId, 'member'],
        [a.tenantId, 'member'],
      ]);
      // A second invitation of the same address is the tenant's own conflict, the same for both.
      const again = await Promise.all(
        [knownEmail, unknownEmail].map((email) => failure(prisma.invitation.create({ data: { email } }))),
      );
      expect(again[0]!.code).toBe('P2002');
      expect(again[1]).toEqual(again[0]);
      await prisma.invitation.deleteMany({ where: { email: { in: [knownEmail, unknownEmail] } } });
      // Inviting someone does not reveal them: B's user is still invisible to A.
      expect(await prisma.user.findUnique({ where: { id: known } })).toBeNull();
    });
  });

  it('the invited user joins by accepting, acting as itself: the membership has the invitation role and uses it up', async () => {
    const dana = await newUser('dana');
    await inA(async () => expect(await prisma.user.findUnique({ where: { id: dana.id } })).toBeNull());
    const invitation = await inA(() =>
      prisma.invitation.create({ data: { email: dana.email.toUpperCase(), role: 'admin' } }),
    );

    // The tenant itself (an admin of A acting as a) still cannot add dana, invitation or not.
    const byTenant = await failure(
      inA(() => prisma.membership.create({ data: { userId: dana.id, role: 'admin' } }), a.userId),
    );
    expect(byTenant.sqlstate).toBe('42501');
    const noUser = await failure(inA(() => prisma.membership.create({ data: { userId: dana.id, role: 'admin' } })));
    expect(noUser.sqlstate).toBe('42501');

    // Dana, acting as herself, reads the invitation (it is the tenant's row) and accepts it.
    const joined = await inA(async () => {
      const pending = await prisma.invitation.findUniqueOrThrow({
        where: { tenantId_id: { tenantId: a.tenantId, id: invitation.id } },
      });
      return prisma.membership.create({ data: { userId: dana.id, role: pending.role } });
    }, dana.id);
    expect(joined).toMatchObject({ tenantId: a.tenantId, userId: dana.id, role: 'admin' });
    expect(await admin.invitation.findMany({ where: { tenantId: a.tenantId, id: invitation.id } })).toEqual([]);

    // Now, and only now, tenant A sees dana; tenant B still does not.
    await inA(async () =>
      expect(await prisma.user.findUnique({ where: { id: dana.id } })).toMatchObject({ email: dana.email }),
    );
    await tenantContext.run({ tenantId: b.tenantId }, async () =>
      expect(await prisma.user.findUnique({ where: { id: dana.id } })).toBeNull(),
    );

    // Removed again, dana cannot rejoin on the used invitation, and A no longer sees her.
    await inA(() =>
      prisma.membership.delete({ where: { tenantId_userId: { tenantId: a.tenantId, userId: dana.id } } }),
    );
    const rejoin = await failure(
      inA(() => prisma.membership.create({ data: { userId: dana.id, role: 'admin' } }), dana.id),
    );
    expect(rejoin.sqlstate).toBe('42501');
    await inA(async () => expect(await prisma.user.findUnique({ where: { id: dana.id } })).toBeNull());
  });

  it('an invitation is for its email, its role and its tenant, until it expires', async () => {
    const erin = await newUser('erin');
    const frank = await newUser('frank');
    const invitation = await inA(() => prisma.invitation.create({ data: { email: erin.email, role: 'member' } }));

    const refused = await Promise.all([
      // Another user, acting as itself, cannot take erin's invitation.
      failure(inA(() => prisma.membership.create({ data: { userId: frank.id, role: 'member' } }), frank.id)),
      // Erin cannot accept with a higher role than she was invited with.
      failure(inA(() => prisma.membership.create({ data: { userId: erin.id, role: 'owner' } }), erin.id)),
      // An invitation of tenant A does not admit erin to tenant B.
      failure(
        tenantContext.run({ tenantId: b.tenantId, userId: erin.id }, () =>
          prisma.membership.create({ data: { userId: erin.id, role: 'member' } }),
        ),
      ),
    ]);
    expect(refused.map((r) => r.sqlstate)).toEqual(['42501', '42501', '42501']);

    await admin.invitation.update({
      where: { tenantId_id: { tenantId: a.tenantId, id: invitation.id } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await failure(
      inA(() => prisma.membership.create({ data: { userId: erin.id, role: 'member' } }), erin.id),
    );
    expect(expired.sqlstate).toBe('42501');
    expect(await membersOf(b.tenantId)).toEqual([b.userId]);
    expect(await membersOf(a.tenantId)).not.toContain(erin.id);
    expect(await membersOf(a.tenantId)).not.toContain(frank.id);
  });

  it('invitations are tenant-scoped: another tenant neither sees nor changes them', async () => {
    const email = `grace-${randomUUID().slice(0, 8)}@example.test`;
    const invitation = await inA(() => prisma.invitation.create({ data: { email } }));
    await tenantContext.run({ tenantId: b.tenantId }, async () => {
      expect(await prisma.invitation.findMany({ where: { email } })).toEqual([]);
      expect(await prisma.invitation.updateMany({ where: { id: invitation.id }, data: { role: 'owner' } })).toEqual({
        count: 0,
      });
      expect(await prisma.invitation.deleteMany({ where: { id: invitation.id } })).toEqual({ count: 0 });
      const forged = await failure(
        prisma.$executeRaw`insert into invitations (tenant_id, id, email) values (${a.tenantId}::uuid, gen_random_uuid(), 'forged@example.test')`,
      );
      expect(forged.sqlstate).toBe('42501');
    });
    expect(
      await admin.invitation.findUniqueOrThrow({ where: { tenantId_id: { tenantId: a.tenantId, id: invitation.id } } }),
    ).toMatchObject({ role: 'member', email });
  });

  it('one spelling per address: a second, higher-role invitation cannot hide behind a capital letter', async () => {
    const email = `dana-${randomUUID().slice(0, 8)}@example.test`;
    const first = await inA(() =>
      prisma.invitation.create({ data: { email: email.replace('dana', 'Dana'), role: 'member' } }),
    );
    expect(first.email).toBe(email);
    const second = inA(() => prisma.invitation.create({ data: { email: email.toUpperCase(), role: 'owner' } }));
    expect(
      postgresCode(
        await second.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    ).toBe('23505');
    const user = await admin.user.create({ data: { email, name: 'Dana' } });
    const asOwner = inA(() => prisma.membership.create({ data: { userId: user.id, role: 'owner' } }), user.id);
    expect(
      postgresCode(
        await asOwner.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    ).toBe('42501');
    expect(
      await inA(() => prisma.membership.create({ data: { userId: user.id, role: 'member' } }), user.id),
    ).toMatchObject({ role: 'member' });
  });
});
