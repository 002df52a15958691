/**
 * Joining a tenant by invitation over HTTP: an owner or admin invites an email; the user with that
 * email, not a member yet, accepts with POST /invitations/accept { tenantId } and from then on
 * passes the membership check. Every refused acceptance is the same 404; the accept route runs
 * nothing in the tenant's context but the membership insert; invitations are the tenant's own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MembershipRole } from '@tenantry/db';
import { foreignRows, seedTenants, type SeededTenant } from '../support/fixtures.js';
import { startTestApi, type ApiResponse, type TestApi } from '../support/test-api.js';

let api: TestApi;
let a: SeededTenant;
let b: SeededTenant;
let ownerA: string;
let ownerB: string;

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = (await seedTenants(api.admin, ['invA', 'invB'])) as [SeededTenant, SeededTenant];
  ownerA = await api.token(a.userId, { tenantId: a.tenantId });
  ownerB = await api.token(b.userId, { tenantId: b.tenantId });
});
afterAll(() => api?.close());

/** A signed-up user of no tenant (sign-up is the auth path's job: the admin client). */
async function newUser(label: string): Promise<{ id: string; email: string; token: string }> {
  const id = randomUUID();
  const email = `${label}-${id.slice(0, 8)}@invite.e2e.test`;
  await api.admin.user.create({ data: { id, email, name: `${label} user` } });
  return { id, email, token: await api.token(id) };
}

/** A user who is a member of `tenant` with `role`, added by an operator (admin client). */
async function memberOf(tenant: SeededTenant, role: MembershipRole, label: string) {
  const user = await newUser(label);
  await api.admin.membership.create({ data: { tenantId: tenant.tenantId, userId: user.id, role } });
  return { ...user, token: await api.token(user.id, { tenantId: tenant.tenantId }) };
}

const withoutRequestId = (res: ApiResponse) => {
  const { requestId: _r, ...rest } = res.body as Record<string, unknown>;
  return rest;
};

const accept = (token: string, tenantId: string, extra: Record<string, unknown> = {}) =>
  api.request('POST', '/invitations/accept', { token, body: { tenantId, ...extra } });

describe('invite → accept → access', () => {
  it('the invited user joins with the invitation role, uses it up, and then passes the membership check', async () => {
    const dana = await newUser('dana');
    expect((await api.request('GET', '/workspaces', { token: dana.token, tenant: a.tenantId })).status).toBe(403);

    const invited = await api.request('POST', '/invitations', {
      token: ownerA,
      body: { email: dana.email.toUpperCase(), role: 'admin' },
    });
    expect(invited.status).toBe(201);
    expect(invited.body).toEqual({
      tenantId: a.tenantId,
      id: expect.any(String),
      email: dana.email, // stored lower-case
      role: 'admin',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(new Date(invited.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const pending = await api.request('GET', '/invitations', { token: ownerA });
    expect(pending.status).toBe(200);
    expect(pending.body.items.map((i: { id: string }) => i.id)).toContain(invited.body.id);

    const joined = await accept(dana.token, a.tenantId);
    expect(joined.status).toBe(201);
    expect(joined.body).toEqual({
      tenantId: a.tenantId,
      userId: dana.id,
      role: 'admin',
      createdAt: expect.any(String),
    });

    // The invitation is used up, and dana now works in A like any member (and as an admin there).
    expect(
      (await api.request('GET', '/invitations', { token: ownerA })).body.items.map((i: { id: string }) => i.id),
    ).not.toContain(invited.body.id);
    const workspaces = await api.request('GET', '/workspaces', { token: dana.token, tenant: a.tenantId });
    expect(workspaces.status).toBe(200);
    expect(foreignRows(workspaces.body.items, a, 'GET /workspaces after joining')).toEqual([]);
    expect(workspaces.body.items.map((w: { id: string }) => w.id).sort()).toEqual([...a.workspaceIds].sort());
    expect((await api.request('GET', '/invitations', { token: dana.token, tenant: a.tenantId })).status).toBe(200);
    const me = await api.request('GET', '/me', { token: dana.token, tenant: a.tenantId });
    expect(me.body.tenants).toEqual([expect.objectContaining({ id: a.tenantId, role: 'admin' })]);

    // Still nothing in B, and the used invitation cannot be accepted again.
    expect((await api.request('GET', '/workspaces', { token: dana.token, tenant: b.tenantId })).status).toBe(403);
    expect((await accept(dana.token, a.tenantId)).status).toBe(404);
  });

  it('a member joins as member by default; re-inviting a member and accepting is a 409 about their own membership', async () => {
    const ed = await newUser('ed');
    expect((await api.request('POST', '/invitations', { token: ownerA, body: { email: ed.email } })).body.role).toBe(
      'member',
    );
    expect((await accept(ed.token, a.tenantId)).body.role).toBe('member');
    expect((await api.request('POST', '/invitations', { token: ownerA, body: { email: ed.email } })).status).toBe(201);
    const again = await accept(ed.token, a.tenantId);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already a member/);
  });
});

describe('refused acceptances are one 404', () => {
  it('no invitation, expired, another email, another tenant, nonexistent tenant or user: the same status and body', async () => {
    const erin = await newUser('erin');
    const frank = await newUser('frank');
    const gina = await newUser('gina');
    // erin: invited to A, expired. frank's invitation to A is for erin's address, not his. gina: invited to B only.
    const expired = await api.request('POST', '/invitations', { token: ownerA, body: { email: erin.email } });
    await api.admin.invitation.update({
      where: { tenantId_id: { tenantId: a.tenantId, id: expired.body.id } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await api.request('POST', '/invitations', { token: ownerB, body: { email: gina.email } })).status).toBe(
      201,
    );
    const nobody = await api.token(randomUUID());

    const refusals = {
      noInvitation: await accept(frank.token, b.tenantId),
      expired: await accept(erin.token, a.tenantId),
      otherEmail: await accept(frank.token, a.tenantId),
      otherTenant: await accept(gina.token, a.tenantId),
      nonexistentTenant: await accept(gina.token, randomUUID()),
      nonexistentUser: await accept(nobody, a.tenantId),
    };
    const reference = withoutRequestId(refusals.noInvitation);
    expect(refusals.noInvitation.status).toBe(404);
    expect(reference.message).toMatch(/no pending invitation/);
    for (const [name, res] of Object.entries(refusals)) {
      expect({ name, status: res.status, body: withoutRequestId(res) }).toEqual({ name, status: 404, body: reference });
      expect(res.headers.get('content-length'), name).toBe(refusals.noInvitation.headers.get('content-length'));
    }
    expect(await api.admin.membership.count({ where: { userId: { in: [erin.id, frank.id, gina.id] } } })).toBe(0);
    // Nothing refused used an invitation up: gina's to B is still pending and still works.
    expect((await accept(gina.token, b.tenantId)).status).toBe(201);
  });

  it('a refused acceptance leaves the user a non-member: 403 as before', async () => {
    const hal = await newUser('hal');
    expect((await accept(hal.token, a.tenantId)).status).toBe(404);
    expect((await api.request('GET', '/projects', { token: hal.token, tenant: a.tenantId })).status).toBe(403);
  });

  it('requires a token, a UUID tenantId and nothing else in the body', async () => {
    const ivy = await newUser('ivy');
    expect((await api.request('POST', '/invitations/accept', { body: { tenantId: a.tenantId } })).status).toBe(401);
    expect(
      (await api.request('POST', '/invitations/accept', { token: ivy.token, body: { tenantId: 'acme' } })).status,
    ).toBe(422);
    const extra = await accept(ivy.token, a.tenantId, { role: 'owner', userId: a.userId });
    expect(extra.status).toBe(422);
    expect(extra.body.issues.map((i: { field: string }) => i.field)).toEqual(['(root)']);
  });
});

describe('the accept route reads nothing of the tenant', () => {
  it('runs only the membership insert in the non-member context, and answers only the membership row', async () => {
    const jo = await newUser('jo');
    await api.request('POST', '/invitations', { token: ownerA, body: { email: jo.email } });
    const inJoContext = () => api.databaseUses.filter((u) => u.userId === jo.id && u.tenantId === a.tenantId);

    // A refusal first (jo is invited to A, not B), then the acceptance; the header must not matter.
    const before = api.databaseUses.length;
    const refused = await api.request('POST', '/invitations/accept', {
      token: jo.token,
      tenant: b.tenantId,
      body: { tenantId: b.tenantId },
    });
    expect(refused.status).toBe(404);
    const refusedUses = api.databaseUses.slice(before);
    const notTheInsert = (u: (typeof refusedUses)[number]) =>
      u.userId !== jo.id ||
      u.tenantId !== b.tenantId ||
      (u.kind === 'query' && !/^INSERT INTO "public"\."memberships"/.test(u.sql ?? ''));
    expect(refusedUses.filter(notTheInsert)).toEqual([]);
    expect(refusedUses.filter((u) => u.kind === 'checkout')).toHaveLength(
      refusedUses.filter((u) => u.kind === 'query').length,
    );

    const joined = await api.request('POST', '/invitations/accept', {
      token: jo.token,
      tenant: b.tenantId,
      body: { tenantId: a.tenantId },
    });
    expect(joined.status).toBe(201);
    const uses = inJoContext();
    const queries = uses.filter((u) => u.kind === 'query');
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.filter((q) => !/^INSERT INTO "public"\."memberships"/.test(q.sql ?? ''))).toEqual([]);
    // Every checkout was a pool.query's own (no interactive transaction, no other statement).
    expect(uses.filter((u) => u.kind === 'checkout')).toHaveLength(queries.length);
    expect(Object.keys(joined.body).sort()).toEqual(['createdAt', 'role', 'tenantId', 'userId']);
    const text = JSON.stringify([refused.body, joined.body]);
    for (const secret of ['invA Inc', 'invA ws0', a.userId, 'invA user', ...a.workspaceIds])
      expect(text).not.toContain(secret);
  });
});

describe('who may manage invitations', () => {
  it('a member (role member) cannot invite, list or revoke: 403', async () => {
    const kim = await memberOf(a, 'member', 'kim');
    const inv = await api.request('POST', '/invitations', {
      token: ownerA,
      body: { email: `x-${randomUUID().slice(0, 8)}@invite.e2e.test` },
    });
    const responses = [
      await api.request('POST', '/invitations', {
        token: kim.token,
        body: { email: `y-${randomUUID().slice(0, 8)}@invite.e2e.test` },
      }),
      await api.request('GET', '/invitations', { token: kim.token }),
      await api.request('DELETE', `/invitations/${inv.body.id}`, { token: kim.token }),
    ];
    expect(responses.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(responses[0]!.body.message).toMatch(/needs the role owner or admin/);
    expect(await api.admin.invitation.count({ where: { tenantId: a.tenantId, id: inv.body.id } })).toBe(1);
  });

  it('an admin invites members and admins, but only an owner invites an owner', async () => {
    const lee = await memberOf(a, 'admin', 'lee');
    const email = () => `z-${randomUUID().slice(0, 8)}@invite.e2e.test`;
    expect(
      (await api.request('POST', '/invitations', { token: lee.token, body: { email: email(), role: 'admin' } })).status,
    ).toBe(201);
    expect(
      (await api.request('POST', '/invitations', { token: lee.token, body: { email: email(), role: 'owner' } })).status,
    ).toBe(403);
    expect(
      (await api.request('POST', '/invitations', { token: ownerA, body: { email: email(), role: 'owner' } })).status,
    ).toBe(201);
  });

  it('a non-member is 403 before any role check, as for every tenant route', async () => {
    const mo = await newUser('mo');
    expect((await api.request('GET', '/invitations', { token: mo.token, tenant: a.tenantId })).status).toBe(403);
    expect(
      (await api.request('POST', '/invitations', { token: mo.token, tenant: a.tenantId, body: { email: mo.email } }))
        .status,
    ).toBe(403);
  });
});

describe('inviting', () => {
  it('answers alike for a registered and an unknown address, and 409 alike for their duplicates', async () => {
    const registered = (await newUser('nia')).email;
    const unknown = `nobody-${randomUUID().slice(0, 8)}@invite.e2e.test`;
    const first = await Promise.all(
      [registered, unknown].map((email) => api.request('POST', '/invitations', { token: ownerA, body: { email } })),
    );
    expect(first.map((r) => r.status)).toEqual([201, 201]);
    expect(Object.keys(first[0]!.body).sort()).toEqual(Object.keys(first[1]!.body).sort());
    const again = await Promise.all(
      [registered.toUpperCase(), unknown].map((email) =>
        api.request('POST', '/invitations', { token: ownerA, body: { email } }),
      ),
    );
    expect(again.map((r) => r.status)).toEqual([409, 409]);
    expect(withoutRequestId(again[0]!)).toEqual(withoutRequestId(again[1]!));
    expect(again[0]!.body.fields).toEqual(['email']);
    expect(JSON.stringify(again)).not.toContain(registered);
  });

  it('re-invites an address whose invitation expired, and lists only pending ones', async () => {
    const email = `lapsed-${randomUUID().slice(0, 8)}@invite.e2e.test`;
    const old = await api.request('POST', '/invitations', { token: ownerA, body: { email } });
    await api.admin.invitation.update({
      where: { tenantId_id: { tenantId: a.tenantId, id: old.body.id } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const listed = await api.request('GET', '/invitations?limit=100', { token: ownerA });
    expect(listed.body.items.map((i: { id: string }) => i.id)).not.toContain(old.body.id);
    const renewed = await api.request('POST', '/invitations', { token: ownerA, body: { email } });
    expect(renewed.status).toBe(201);
    expect(renewed.body.id).not.toBe(old.body.id);
  });

  it('validates the body: 422 naming the field, without echoing the value', async () => {
    const res = await api.request('POST', '/invitations', {
      token: ownerA,
      body: { email: 'not-an-address', role: 'superuser' },
    });
    expect(res.status).toBe(422);
    expect(res.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['email', 'role']);
    expect(JSON.stringify(res.body)).not.toContain('not-an-address');
    expect(
      (await api.request('POST', '/invitations', { token: ownerA, body: { email: 'a@b.test', tenantId: b.tenantId } }))
        .status,
    ).toBe(422);
  });

  it('revokes an invitation: it can no longer be accepted', async () => {
    const olga = await newUser('olga');
    const inv = await api.request('POST', '/invitations', { token: ownerA, body: { email: olga.email } });
    expect((await api.request('DELETE', `/invitations/${inv.body.id}`, { token: ownerA })).status).toBe(204);
    expect((await api.request('DELETE', `/invitations/${inv.body.id}`, { token: ownerA })).status).toBe(404);
    expect((await accept(olga.token, a.tenantId)).status).toBe(404);
  });
});

describe('invitations are tenant-scoped', () => {
  it("tenant B neither sees nor revokes A's invitations: 404 exactly as for a missing id", async () => {
    const email = `pat-${randomUUID().slice(0, 8)}@invite.e2e.test`;
    const inv = await api.request('POST', '/invitations', { token: ownerA, body: { email } });
    const listB = await api.request('GET', '/invitations?limit=100', { token: ownerB });
    expect(listB.status).toBe(200);
    expect(foreignRows(listB.body.items, b, 'GET /invitations')).toEqual([]);
    expect(JSON.stringify(listB.body)).not.toContain(email);
    const foreign = await api.request('DELETE', `/invitations/${inv.body.id}`, { token: ownerB });
    const missing = await api.request('DELETE', `/invitations/${randomUUID()}`, { token: ownerB });
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(withoutRequestId(foreign)).toEqual(withoutRequestId(missing));
    expect(await api.admin.invitation.count({ where: { tenantId: a.tenantId, id: inv.body.id } })).toBe(1);
    // B may invite the same address: one pending invitation per address per tenant.
    expect((await api.request('POST', '/invitations', { token: ownerB, body: { email } })).status).toBe(201);
  });

  it('lists only the caller tenant invitations', async () => {
    for (const [tenant, token] of [
      [a, ownerA],
      [b, ownerB],
    ] as const) {
      const res = await api.request('GET', '/invitations?limit=100', { token });
      expect(foreignRows(res.body.items, tenant, 'GET /invitations')).toEqual([]);
    }
  });
});

describe('logs', () => {
  it('never carry an email; an acceptance is logged with its tenant only once it succeeded', async () => {
    const quinn = await newUser('quinn');
    await api.request('POST', '/invitations', {
      token: ownerA,
      body: { email: quinn.email },
      headers: { 'x-request-id': 'inv-create-1' },
    });
    await api.request('POST', '/invitations/accept', {
      token: quinn.token,
      body: { tenantId: b.tenantId },
      headers: { 'x-request-id': 'inv-refused-1' },
    });
    await api.request('POST', '/invitations/accept', {
      token: quinn.token,
      body: { tenantId: a.tenantId },
      headers: { 'x-request-id': 'inv-accept-1' },
    });
    const entry = (id: string) => api.logs.find((e) => e.requestId === id && e.msg === 'request completed');
    expect(entry('inv-create-1')).toMatchObject({
      route: '/invitations',
      status: 201,
      tenantId: a.tenantId,
      userId: a.userId,
    });
    expect(entry('inv-refused-1')).toMatchObject({
      route: '/invitations/accept',
      status: 404,
      userId: quinn.id,
      tenantId: undefined,
    });
    expect(entry('inv-accept-1')).toMatchObject({
      route: '/invitations/accept',
      status: 201,
      userId: quinn.id,
      tenantId: a.tenantId,
    });
    expect(JSON.stringify(api.logs)).not.toMatch(/@invite\.e2e\.test/i);
  });
});
