/**
 * What raw SQL can and cannot do inside a tenant context, exactly as the README's table says. Raw SQL
 * is trusted code: these tests pin the boundary so the documentation cannot drift from the truth.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { expectPostgresError } from '../support/errors.js';
import { onCitus } from '../support/citus.js';

let db: TestDatabase;
let a: SeededTenant;
let b: SeededTenant;

beforeAll(async () => {
  db = await useTestDatabase();
  [a, b] = await seedTenants(db.admin(), ['alpha', 'bravo']);
});

const inA = <R>(fn: () => Promise<R>) => tenantContext.run({ tenantId: a.tenantId }, fn);

describe('raw SQL boundaries', () => {
  it('cannot switch to another role or turn RLS off', async () => {
    const prisma = db.client();
    await expectPostgresError(
      inA(() => prisma.$executeRawUnsafe('set role tenantry_admin')),
      '42501',
    );
    await expectPostgresError(
      inA(() => prisma.$executeRawUnsafe('set session authorization tenantry_admin')),
      '42501',
    );
    await expectPostgresError(
      inA(() => prisma.$executeRawUnsafe('alter table projects disable row level security')),
      '42501',
    );
  });

  it('cannot smuggle a second statement', async () => {
    const prisma = db.client();
    await expectPostgresError(
      inA(() => prisma.$executeRawUnsafe("select 1; update projects set name = 'x'")),
      '42601',
    );
  });

  it('a set_config in one statement of a transaction is overridden by the next statement', async () => {
    const prisma = db.client();
    const rows = await inA(() =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`select set_config('app.tenant_id', ${b.tenantId}, true)`;
        return tx.$queryRaw<Array<{ tenant_id: string }>>`select tenant_id::text from projects`;
      }),
    );
    expect(rows.length).toBe(a.projectIds.length);
    expect(rows.every((r) => r.tenant_id === a.tenantId)).toBe(true);
  });

  it('CAN name another tenant within a single statement (a DO block): raw SQL is trusted code', async () => {
    const prisma = db.client();
    await inA(() =>
      prisma.$executeRawUnsafe(
        `do $$ begin
           perform set_config('app.tenant_id', '${b.tenantId}', true);
           update projects set name = name || ' (renamed from A)' where tenant_id = '${b.tenantId}';
         end $$`,
      ),
    );
    const renamed = await db
      .admin()
      .project.count({ where: { tenantId: b.tenantId, name: { endsWith: '(renamed from A)' } } });
    // On Citus the boundary is narrower: a set_config inside raw SQL reaches no worker (only the
    // engine's SET LOCAL does), so the shards still see tenant A and B's rows stay untouched.
    expect(renamed).toBe(onCitus ? 0 : b.projectIds.length);
  });
});
