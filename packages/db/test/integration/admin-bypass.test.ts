/**
 * I8: bypassing RLS is explicit and greppable. Only `@tenantry/db/admin` (its own role and URL)
 * sees every tenant; the default export never does, and nothing in src/ outside admin.ts connects
 * with the admin URL.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as root from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let tenants: SeededTenant[];
const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

beforeAll(async () => {
  db = await useTestDatabase();
  tenants = await seedTenants(db.admin(), ['alpha', 'bravo', 'charlie']);
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === 'generated' || entry === 'testing') return [];
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('admin bypass', () => {
  it('the admin client sees every tenant; the runtime client in a context sees one', async () => {
    const all = await db.admin().project.findMany();
    expect(new Set(all.map((p) => p.tenantId))).toEqual(new Set(tenants.map((t) => t.tenantId)));
    const scoped = await root.tenantContext.run({ tenantId: tenants[0]!.tenantId }, () =>
      db.client().project.findMany(),
    );
    expect(new Set(scoped.map((p) => p.tenantId))).toEqual(new Set([tenants[0]!.tenantId]));
  });

  it('the admin role has BYPASSRLS and the runtime role does not', async () => {
    const { rows } = await db
      .pgPool('superuser')
      .query(
        `select rolname, rolbypassrls from pg_roles where rolname in ('tenantry_admin', 'tenantry_app') order by 1`,
      );
    expect(rows).toEqual([
      { rolname: 'tenantry_admin', rolbypassrls: true },
      { rolname: 'tenantry_app', rolbypassrls: false },
    ]);
  });

  it('the package root exports no admin client', () => {
    expect(Object.keys(root).filter((k) => /admin/i.test(k))).toEqual([]);
  });

  it('only admin.ts reads DATABASE_ADMIN_URL or builds an unscoped client', () => {
    const offenders = sourceFiles(srcDir)
      .filter((file) => !file.endsWith(`${path.sep}admin.ts`) && !file.endsWith(`${path.sep}config.ts`))
      .filter((file) => /adminDatabaseUrl|DATABASE_ADMIN_URL|new pg\.Pool\(/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(srcDir, file));
    expect(offenders).toEqual([]);
  });
});
