/**
 * The TenantPool below Prisma: results and errors are exactly what pg's own query path gives, the
 * connection stays healthy after every kind of error, and what it cannot scope it refuses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantPool, UnsupportedQueryError, tenantContext } from '../../src/index.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';

let db: TestDatabase;
let a: SeededTenant;
let pool: TenantPool;

beforeAll(async () => {
  db = await useTestDatabase();
  [a] = await seedTenants(db.admin(), ['alpha', 'bravo']);
  pool = new TenantPool({ connectionString: db.runtimeUrl, max: 1 });
  return () => pool.end();
});

const inA = <T>(fn: () => Promise<T>) => tenantContext.run({ tenantId: a.tenantId }, fn);

describe('TenantPool', () => {
  it('returns rows, fields, rowCount and command of the statement, not of set_config', async () => {
    const select = await inA(() => pool.query('select id, name from projects order by name'));
    expect(select.command).toBe('SELECT');
    expect(select.rowCount).toBe(a.projectIds.length);
    expect(select.fields.map((f) => f.name)).toEqual(['id', 'name']);
    const update = await inA(() =>
      pool.query("update projects set name = name || '' where tenant_id = $1", [a.tenantId]),
    );
    expect(update).toMatchObject({ command: 'UPDATE', rowCount: a.projectIds.length });
    const arrays = await inA(() =>
      pool.query({ text: 'select 1 as one, $1::int as two', values: [2], rowMode: 'array' }),
    );
    expect(arrays.rows).toEqual([[1, 2]]);
  });

  it('stays healthy after a syntax error, a constraint error and a failing parameter', async () => {
    await expect(inA(() => pool.query('selec 1'))).rejects.toMatchObject({ code: '42601' });
    await expect(inA(() => pool.query('select $1::uuid', ['not-a-uuid']))).rejects.toMatchObject({ code: '22P02' });
    await expect(
      inA(() =>
        pool.query('insert into workspaces (id, name) values (gen_random_uuid(), $1), (gen_random_uuid(), $1)', [
          'dup',
        ]),
      ),
    ).rejects.toMatchObject({ code: '23505' });
    const bad = {
      toPostgres: () => {
        throw new Error('cannot serialize');
      },
    };
    await expect(inA(() => pool.query('select $1::text', [bad]))).rejects.toThrow('cannot serialize');
    // Same (only) connection, still usable and still scoped.
    const { rows } = await inA(() =>
      pool.query("select current_setting('app.tenant_id') as t, count(*)::int as n from projects"),
    );
    expect(rows[0]).toEqual({ t: a.tenantId, n: a.projectIds.length });
    expect(await db.admin().workspace.count({ where: { name: 'dup' } })).toBe(0);
  });

  it('refuses named statements, portals, custom query objects and multi-statement strings', async () => {
    await expect(pool.query({ name: 'stmt', text: 'select 1' })).rejects.toThrow(UnsupportedQueryError);
    const client = await pool.connect();
    try {
      await expect(client.query({ text: 'select 1', rows: 1 } as never)).rejects.toThrow(UnsupportedQueryError);
      await expect(client.query({ submit: () => null } as never)).rejects.toThrow(UnsupportedQueryError);
      await expect(client.query('select 1; select 2')).rejects.toMatchObject({ code: '42601' });
      await expect(client.query('COMMIT; delete from projects')).rejects.toMatchObject({ code: '42601' });
    } finally {
      client.release();
    }
    expect(await db.admin().project.count()).toBeGreaterThan(0);
  });

  it('passes transaction control through and scopes each statement inside the transaction', async () => {
    const client = await inA(() => pool.connect());
    try {
      await client.query('BEGIN');
      await client.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
      const first = await client.query("select current_setting('app.tenant_id') as t");
      await client.query('SAVEPOINT s1');
      await expect(client.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
      await client.query('ROLLBACK TO SAVEPOINT s1');
      // The context survives ROLLBACK TO SAVEPOINT because it travels with every statement.
      const second = await client.query('select count(*)::int as n from projects');
      await client.query('COMMIT');
      expect(first.rows[0].t).toBe(a.tenantId);
      expect(second.rows[0].n).toBe(a.projectIds.length);
      const after = await client.query('select count(*)::int as n from projects');
      expect(after.rows[0].n).toBe(a.projectIds.length);
    } finally {
      client.release();
    }
  });

  it('ROLLBACK inside an aborted transaction still runs', async () => {
    const client = await inA(() => pool.connect());
    try {
      await client.query('BEGIN');
      await expect(client.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
      await client.query('ROLLBACK');
      expect(client.getTransactionStatus?.() ?? 'I').toBe('I');
      const { rows } = await client.query('select 1 as ok');
      expect(rows[0].ok).toBe(1);
    } finally {
      client.release();
    }
  });
});

describe('settings statement (every pooler mode)', () => {
  const poolerFor = () =>
    db.route === 'pgbouncer-transaction' ? 'transaction' : db.route === 'direct' ? 'none' : 'session';

  it('is unnamed for raw SQL on every route (pool.query is not a model operation), so SQL PREPARE/DEALLOCATE cannot replace it', async () => {
    const p = new TenantPool({ connectionString: db.runtimeUrl, max: 1, pooler: poolerFor() });
    try {
      for (let i = 0; i < 3; i++) await inA(() => p.query('select 1'));
      const { rows } = await inA(() => p.query<{ name: string }>('select name from pg_prepared_statements'));
      expect(rows).toEqual([]);
      const { rows: scoped } = await inA(() =>
        p.query("select current_setting('app.tenant_id') as t, count(*)::int as n from projects"),
      );
      expect(scoped[0]).toEqual({ t: a.tenantId, n: a.projectIds.length });
    } finally {
      await p.end();
    }
  });

  it('recovers after errors, aborted transactions and DEALLOCATE ALL', async () => {
    const p = new TenantPool({ connectionString: db.runtimeUrl, max: 1, pooler: poolerFor() });
    try {
      await inA(() => p.query('select 1'));
      const client = await inA(() => p.connect());
      try {
        await client.query('BEGIN');
        await expect(client.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
        await expect(client.query('select 1')).rejects.toMatchObject({ code: '25P02' });
        await client.query('ROLLBACK');
        // Raw statements: nothing of ours is named, so DEALLOCATE ALL takes nothing away: the very next
        // query works (the named statement of clean sessions: session-state.test.ts).
        await client.query('DEALLOCATE ALL');
        const { rows } = await client.query('select count(*)::int as n from projects');
        expect(rows[0].n).toBe(a.projectIds.length);
      } finally {
        client.release();
      }
    } finally {
      await p.end();
    }
  });

  it('rejects an unknown pooler mode', () => {
    expect(() => new TenantPool({ pooler: 'statement' as never })).toThrow(
      /pooler must be 'transaction', 'session' or 'none'/,
    );
  });
});
