/**
 * Supabase interop: a context with `role` and verified `claims` makes Supabase-style policies
 * (`auth.uid()`, `auth.jwt()`) hold for queries through the tenant client exactly as they do for
 * PostgREST, on every route (direct, PgBouncer session and transaction mode), and leaves nothing on
 * the connection: the role and claims are transaction-local like the app.* settings (I4).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext, type TenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { asPostgrest, installSupabaseAuth } from '../support/supabase.js';
import { postgresCode } from '../support/errors.js';

let db: TestDatabase;
let a: SeededTenant;
const alice = randomUUID();
const bob = randomUUID();
const notes: Record<string, string[]> = { [alice]: [], [bob]: [] };

const claimsOf = (sub: string) => ({
  sub,
  role: 'authenticated',
  email: `${sub.slice(0, 8)}@example.test`,
  aud: 'authenticated',
});
const asUser = (sub: string): TenantContext => ({
  tenantId: a.tenantId,
  userId: sub,
  role: 'authenticated',
  claims: claimsOf(sub),
});

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha']);
  await installSupabaseAuth(new URL('/postgres', db.superuserUrl).toString(), db.superuserUrl);
  const su = db.pgPool('superuser');
  // A table protected only by Supabase-style policies: nothing of Tenantry's applies to it.
  await su.query(`
    CREATE TABLE notes (id uuid PRIMARY KEY, owner_id uuid NOT NULL, body text NOT NULL);
    ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
    GRANT SELECT, INSERT ON notes TO authenticated;
    GRANT SELECT ON notes TO anon;
    CREATE POLICY "users read their own notes" ON notes FOR SELECT TO authenticated
      USING ((SELECT auth.uid()) = owner_id);
    CREATE POLICY "users add notes only as themselves" ON notes FOR INSERT TO authenticated
      WITH CHECK ((SELECT auth.uid()) = owner_id);`);
  for (const owner of [alice, bob]) {
    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      notes[owner]!.push(id);
      await su.query('insert into notes values ($1, $2, $3)', [id, owner, `note ${i}`]);
    }
    notes[owner]!.sort();
  }
});

const NOTE_IDS = 'select id from notes order by id';

describe('Supabase JWT claims', () => {
  it('a query through the tenant client sees exactly the rows PostgREST shows the same user', async () => {
    const prisma = db.client();
    const runtime = db.pgPool('tenantry_app', { route: db.route });
    for (const sub of [alice, bob]) {
      const viaPostgrest = (await asPostgrest<{ id: string }>(runtime, 'authenticated', claimsOf(sub), NOTE_IDS)).map(
        (r) => r.id,
      );
      const viaTenantry = (
        await tenantContext.run(asUser(sub), () => prisma.$queryRawUnsafe<Array<{ id: string }>>(NOTE_IDS))
      ).map((r) => r.id);
      expect(viaPostgrest, `PostgREST as ${sub}`).toEqual(notes[sub]);
      expect(viaTenantry, `tenant client as ${sub}`).toEqual(viaPostgrest);
    }
    // anon has a grant but no policy: PostgREST and Tenantry both see nothing.
    const anon = { role: 'anon' };
    expect(await asPostgrest(runtime, 'anon', anon, NOTE_IDS)).toEqual([]);
    expect(
      await tenantContext.run({ tenantId: a.tenantId, role: 'anon', claims: anon }, () =>
        prisma.$queryRawUnsafe(NOTE_IDS),
      ),
    ).toEqual([]);
  });

  it('auth.uid(), auth.jwt(), auth.role() and current_user read the context inside the statement', async () => {
    const prisma = db.client();
    const [row] = await tenantContext.run(asUser(alice), () =>
      prisma.$queryRawUnsafe<Array<Record<string, string>>>(
        `select current_user::text as "user", auth.uid()::text as uid, auth.role() as role, auth.email() as email,
                auth.jwt() ->> 'aud' as aud, current_setting('app.tenant_id') as tenant`,
      ),
    );
    expect(row).toEqual({
      user: 'authenticated',
      uid: alice,
      role: 'authenticated',
      email: claimsOf(alice).email,
      aud: 'authenticated',
      tenant: a.tenantId,
    });
  });

  it('writes pass WITH CHECK only as the claimed user, in an interactive transaction too', async () => {
    const prisma = db.client();
    const mine = randomUUID();
    await tenantContext.run(asUser(alice), () =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('insert into notes values ($1::uuid, $2::uuid, $3)', mine, alice, 'mine');
        const seen = await tx.$queryRawUnsafe<Array<{ id: string }>>('select id from notes where id = $1::uuid', mine);
        expect(seen).toHaveLength(1);
      }),
    );
    notes[alice] = [...notes[alice]!, mine].sort();
    let error: unknown;
    try {
      await tenantContext.run(asUser(alice), () =>
        prisma.$executeRawUnsafe('insert into notes values ($1::uuid, $2::uuid, $3)', randomUUID(), bob, 'forged'),
      );
    } catch (e) {
      error = e;
    }
    expect(postgresCode(error), String(error)).toBe('42501');
  });

  it('nothing outlives the statement: the next query, of this pool or another client behind the pooler, runs as tenantry_app with no claims', async () => {
    const prisma = db.client({ poolSize: 1 });
    const PROBE = `select pg_backend_pid() as pid, current_user::text as "user", auth.uid()::text as uid,
                          coalesce(current_setting('request.jwt.claims', true), '') as claims, (select count(*)::int from notes) as notes`;
    type Probe = { pid: number; user: string; uid: string | null; claims: string; notes: number };
    const plain = new pg.Client({ connectionString: db.runtimeUrl });
    await plain.connect();
    try {
      const served = new Set<number>();
      const after: Probe[] = [];
      for (let i = 0; i < 10; i++) {
        const [inCtx] = await tenantContext.run(asUser(alice), () => prisma.$queryRawUnsafe<Probe[]>(PROBE));
        expect(inCtx).toMatchObject({ user: 'authenticated', uid: alice, notes: notes[alice]!.length });
        served.add(inCtx!.pid);
        after.push((await prisma.$queryRawUnsafe<Probe[]>(PROBE))[0]!);
        after.push(
          (await tenantContext.run({ tenantId: a.tenantId }, () => prisma.$queryRawUnsafe<Probe[]>(PROBE)))[0]!,
        );
        after.push((await plain.query<Probe>(PROBE)).rows[0]!);
      }
      // tenantry_app inherits authenticated's grant in this test cluster, but with no claims
      // auth.uid() is null and the policy matches nothing.
      expect(
        after.filter((p) => p.user !== 'tenantry_app' || p.uid !== null || p.claims !== '' || p.notes !== 0),
      ).toEqual([]);
      if (db.route === 'pgbouncer-transaction') expect(after.some((p) => served.has(p.pid))).toBe(true);
    } finally {
      await plain.end();
    }
  });

  it("a legacy claim raw SQL left in the session cannot override the context's claims", async () => {
    const prisma = db.client({ poolSize: 1 });
    // Raw SQL is trusted code and can write session-level settings; auth.uid() reads the legacy
    // request.jwt.claim.sub FIRST, so the pool must send it with every Supabase statement.
    await tenantContext.run(
      asUser(alice),
      () =>
        prisma.$queryRaw`select set_config('request.jwt.claim.sub', ${bob}, false), set_config('request.jwt.claim', ${JSON.stringify(claimsOf(bob))}, false)`,
    );
    const [row] = await tenantContext.run(asUser(alice), () =>
      prisma.$queryRawUnsafe<Array<{ uid: string; sub: string; n: number }>>(
        `select auth.uid()::text as uid, auth.jwt() ->> 'sub' as sub, (select count(*)::int from notes where owner_id <> auth.uid()) as n`,
      ),
    );
    expect(row).toEqual({ uid: alice, sub: alice, n: 0 });
    await prisma.$queryRaw`select set_config('request.jwt.claim.sub', '', false), set_config('request.jwt.claim', '', false)`;
  });

  it('a tenant table whose policies name only tenantry_app is closed to a switched role', async () => {
    const prisma = db.client();
    let rows: unknown[] | undefined;
    let code: string | undefined;
    try {
      rows = await tenantContext.run(asUser(alice), () => prisma.project.findMany());
    } catch (error) {
      code = postgresCode(error);
    }
    // authenticated holds no grant on projects here (42501); where it does, no policy applies (no rows).
    expect(code === '42501' || (rows !== undefined && rows.length === 0), `code ${code}, rows ${rows?.length}`).toBe(
      true,
    );
    const own = await tenantContext.run({ tenantId: a.tenantId }, () => prisma.project.findMany());
    expect(own).toHaveLength(a.projectIds.length);
  });

  it('a login role that is not a member of the role cannot switch to it: the statement fails and runs nothing', async () => {
    const su = db.pgPool('superuser');
    const role = `tenantry_nomember_${randomUUID().slice(0, 8)}`;
    await su.query(`create role ${role} login nosuperuser nobypassrls`);
    try {
      const { TenantPool } = await import('../../src/index.js');
      const url = new URL(db.superuserUrl);
      url.username = role;
      url.password = '';
      const pool = new TenantPool({ connectionString: url.toString(), max: 1 });
      try {
        await expect(tenantContext.run(asUser(alice), () => pool.query('select 1'))).rejects.toMatchObject({
          code: '42501',
        });
      } finally {
        await pool.end();
      }
    } finally {
      await su.query(`drop role ${role}`);
    }
  });
});
