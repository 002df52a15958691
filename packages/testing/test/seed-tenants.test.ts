/**
 * seedTenants() on a schema that is not Tenantry's (organizationId, teams as the workspace, composite
 * keys that carry the team): every tenant gets its root row, its workspaces and rows of every model,
 * in dependency order, each relation pointing at a row of the same tenant (and team).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../src/index.js';
import { FIELDS, fixtureSchema, provisionFixtureRig, type FixtureRig } from './support/fixture-rig.js';

let db: FixtureRig;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await provisionFixtureRig('seed');
  tenants = await seedTenants(db.admin, ['alpha', 'beta', 'gamma'], {
    ...FIELDS,
    schema: fixtureSchema,
    rowsPerModel: 4,
    workspaces: 2,
  });
});
afterAll(() => db?.stop());

describe('seedTenants on an organizationId schema', () => {
  it('creates the root row, the workspaces and rows of every tenant model per tenant', async () => {
    expect(tenants.map((t) => t.label)).toEqual(['alpha', 'beta', 'gamma']);
    for (const t of tenants) {
      const org = await db.admin.organization.findUniqueOrThrow({ where: { id: t.tenantId } });
      expect(org.name).toMatch(new RegExp(`^${t.label} `));
      expect(t.workspaceIds).toHaveLength(2);
      expect(
        await db.admin.team.findMany({ where: { organizationId: t.tenantId }, orderBy: { id: 'asc' } }),
      ).toHaveLength(2);
      expect(t.known.get('Team')).toEqual(t.workspaceIds);
      for (const model of ['member', 'note'] as const) {
        expect(
          await (db.admin[model] as { count(args: object): Promise<number> }).count({
            where: { organizationId: t.tenantId },
          }),
        ).toBe(4);
      }
      expect(t.known.get('Note')).toHaveLength(4);
      // Per workspace too, as the fuzzer's schema-specific operations look them up.
      expect(t.workspaceIds.flatMap((w) => t.known.get(`Note@${w}`) ?? []).sort()).toEqual(
        [...t.known.get('Note')!].sort(),
      );
    }
  });

  it('points every relation at a row of the same tenant and team, composite keys included', async () => {
    for (const t of tenants) {
      const notes = await db.admin.note.findMany({
        where: { organizationId: t.tenantId },
        include: { author: { include: { user: true } }, team: true },
      });
      for (const note of notes) {
        expect(note.author.organizationId).toBe(t.tenantId);
        expect(note.author.teamId).toBe(note.teamId);
        expect(note.team.organizationId).toBe(t.tenantId);
        expect(t.workspaceIds).toContain(note.teamId);
        // A global model a tenant model requires (users for members) is seeded per tenant, labelled.
        expect(note.author.user.email).toMatch(new RegExp(`^${t.label}-`));
        expect(note.body).toMatch(new RegExp(`^${t.label} `));
      }
    }
  });

  it('returns the rows it wrote, and seeds the same labels again without colliding on unique keys', async () => {
    const [again] = await seedTenants(db.admin, ['alpha'], { ...FIELDS, schema: fixtureSchema });
    expect(again!.tenantId).not.toBe(tenants[0]!.tenantId);
    expect(again!.rows.get('Member')).toHaveLength(2);
    expect(
      again!.rows
        .get('Member')!
        .every((m) => m.organizationId === again!.tenantId && again!.workspaceIds.includes(String(m.teamId))),
    ).toBe(true);
    const counted = await seedTenants(db.admin, 2, { ...FIELDS, schema: fixtureSchema, counts: { Note: 0 } });
    expect(counted.map((t) => t.label)).toEqual(['t0', 't1']);
    expect(counted[0]!.known.get('Note')).toBeUndefined();
  });

  it('reuses an existing row that values names (shared by the tenants that name it), and shows values the rows seeded so far', async () => {
    const existing = await db.admin.user.create({ data: { email: `kept-${Date.now()}@example.test` } });
    const [delta, echo] = await seedTenants(db.admin, ['delta', 'echo'], {
      ...FIELDS,
      schema: fixtureSchema,
      counts: { User: 1, Member: 1, Note: 1 },
      reuseExisting: ['User'],
      values: (model, _index, t) => {
        if (model === 'User') return { id: existing.id, email: `${t.label}-not-written@example.test` };
        if (model === 'Note')
          return { authorId: t.rows.get('Member')![0]!.id, body: `${t.rows.get('Member')![0]!.displayName} wrote` };
        return undefined;
      },
    });
    for (const t of [delta!, echo!]) {
      expect(t.rows.get('User')).toEqual([expect.objectContaining({ id: existing.id, email: existing.email })]);
      const [member] = t.rows.get('Member')!;
      expect(member).toMatchObject({ organizationId: t.tenantId, userId: existing.id });
      expect(t.rows.get('Note')![0]).toMatchObject({
        authorId: member!.id,
        teamId: member!.teamId,
        body: `${String(member!.displayName)} wrote`,
      });
    }
    expect(await db.admin.user.count({ where: { email: { endsWith: '-not-written@example.test' } } })).toBe(0);
  });
});
