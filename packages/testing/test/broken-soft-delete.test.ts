/**
 * The fuzzer's soft-delete checks can fail: on the organizationId fixture (folders and files have
 * `deletedAt DateTime?`), a client without soft delete loses the rows the fuzzer soft-deleted (they
 * are gone at the end: lostWrites), and a client that marks deletes by hand but whose reads forget the
 * `deletedAt: null` filter returns deleted rows to default reads (phantomWrites).
 */
import { createTenantPrismaClient } from '@tenantry/prisma';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIsolationFuzz, seedTenants, type AnyPrismaClient, type SeededTenant } from '../src/index.js';
import { PrismaClient } from './fixture/generated/prisma/client.js';
import { FIELDS, fixtureSchema, provisionFixtureRig, type FixtureRig } from './support/fixture-rig.js';

let db: FixtureRig;
let tenants: SeededTenant[];

beforeAll(async () => {
  db = await provisionFixtureRig('brokensoft');
  tenants = await seedTenants(db.admin, 6, { ...FIELDS, schema: fixtureSchema, seed: 4 });
});
afterAll(() => db?.stop());

const fuzz = (client: AnyPrismaClient, seed: number) =>
  runIsolationFuzz({
    client,
    admin: db.admin,
    tenants,
    ops: 800,
    seed,
    concurrency: 6,
    ...FIELDS,
    schema: fixtureSchema,
    sessionState: false,
  });

describe('the fuzzer against clients that get soft delete wrong', () => {
  it('counts lost writes for a client that hard-deletes soft-deletable rows', async () => {
    const hard = createTenantPrismaClient({
      PrismaClient,
      connectionString: db.rig.url('app'),
      poolSize: 3,
      ...FIELDS,
      softDeleteField: false,
    });
    try {
      const report = await fuzz(hard, 401);
      expect(report.lostWrites).toBeGreaterThan(0);
      expect(report.violations.find((v) => v.kind === 'lostWrite')?.detail).toMatch(
        /^(Folder|File)(\.delete of row | )[0-9a-f-]{36} (soft-deleted by|acknowledged to) tenant [0-9a-f-]{36} (is missing \(a soft delete keeps the row\)|did not leave it as acknowledged)/,
      );
      expect(report.crossTenantRows).toBe(0);
    } finally {
      await hard.$disconnect();
    }
  });

  it('counts phantom writes for a client whose reads do not hide soft-deleted rows', async () => {
    const plain = createTenantPrismaClient({
      PrismaClient,
      connectionString: db.rig.url('app'),
      poolSize: 3,
      ...FIELDS,
      softDeleteField: false,
    });
    // Deletes set deletedAt by hand; reads are left as they are (the bug: no `deletedAt: null` filter).
    const stamp = { deletedAt: new Date() };
    const softByHand = (delegate: Record<string, (args: Record<string, unknown>) => unknown>) =>
      new Proxy(delegate, {
        get: (target, key) =>
          key === 'delete'
            ? (args: Record<string, unknown>) => target.update!({ ...args, data: stamp })
            : key === 'deleteMany'
              ? (args: Record<string, unknown>) => target.updateMany!({ ...args, data: stamp })
              : Reflect.get(target, key),
      });
    const client = new Proxy(plain, {
      get: (target, key) =>
        key === 'folder' || key === 'file'
          ? softByHand(Reflect.get(target, key) as never)
          : key === '$restore'
            ? undefined
            : Reflect.get(target, key),
    });
    try {
      const report = await fuzz(client, 801);
      expect(report.phantomWrites).toBeGreaterThan(0);
      expect(report.violations.find((v) => v.kind === 'phantomWrite')?.detail).toMatch(
        /^tenant [0-9a-f-]{36} (Folder|File)\.findMany.* returned row [0-9a-f-]{36}, which is soft-deleted/,
      );
      expect(report.crossTenantRows + report.lostWrites).toBe(0);
    } finally {
      await plain.$disconnect();
    }
  });
});
