/**
 * The audit log's generation (src/audit): the markers read from a real Prisma schema (Prisma's own
 * parser keeps `///` comments as DMMF documentation), malformed markers refused by name, and what
 * `tenantry migrate dev` appends to a migration given the migrations before it: the log block once,
 * the triggers of marked tables once, a re-creation when `exclude` changes, a drop when a marker goes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditSchemaError } from '../src/audit/errors.js';
import { addAuditToMigration, replayAudit } from '../src/audit/migration.js';
import { readAuditSchema, type AuditSchema } from '../src/audit/schema.js';
import { addRlsToMigration } from '../src/migrate/policies.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const TENANT = `tenantId String @map("tenant_id") @db.Uuid`;
const LOG = `
/// @tenantry.audit-log
model AuditEvent {
  ${TENANT}
  id          BigInt   @default(autoincrement())
  workspaceId String?  @map("workspace_id") @db.Uuid
  tableName   String   @map("table_name")
  operation   String
  rowKey      Json     @map("row_key")
  changes     Json?
  userId      String?  @map("user_id") @db.Uuid
  txid        BigInt

  @@id([tenantId, id])
  @@map("audit_events")
}`;
const model = (marker: string) => `
${marker}
model ApiKey {
  ${TENANT}
  id         String @db.Uuid
  name       String
  secretHash String @map("secret_hash")

  @@id([tenantId, id])
  @@map("api_keys")
}`;

async function schemaOf(body: string): Promise<AuditSchema> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-audit-'));
  dirs.push(dir);
  const file = path.join(dir, 'schema.prisma');
  await writeFile(file, `datasource db {\n  provider = "postgresql"\n}\n${body}\n`);
  return readAuditSchema(file);
}

const CREATE_LOG = 'CREATE TABLE "audit_events" (\n    "tenant_id" UUID NOT NULL,\n    "workspace_id" UUID\n);';

describe('audit markers', () => {
  it('reads the log and the audited tables, with keys and excluded columns as columns', async () => {
    const schema = await schemaOf(`${LOG}\n${model('/// @tenantry.audit(exclude: [secretHash])')}`);
    expect(schema.log).toEqual({ model: 'AuditEvent', table: 'audit_events' });
    expect(schema.tables).toEqual([
      { model: 'ApiKey', table: 'api_keys', key: ['tenant_id', 'id'], exclude: ['secret_hash'] },
    ]);
  });

  it('refuses a typo, an unknown excluded field, a second log and a marked model without a log', async () => {
    for (const [body, message] of [
      [`${LOG}\n${model('/// @tenantry.audits')}`, /Cannot audit ApiKey because its documentation line/],
      [
        `${LOG}\n${model('/// @tenantry.audit(exclude: [token])')}`,
        /names token, which is not a scalar field of ApiKey/,
      ],
      [model('/// @tenantry.audit'), /no model of the schema carries \/\/\/ @tenantry.audit-log/],
      [
        `${LOG}\n${LOG.replace('model AuditEvent', 'model AuditEvent2').replace('"audit_events"', '"audit_events_2"')}`,
        /already carries @tenantry.audit-log/,
      ],
    ] as const) {
      const error = await schemaOf(body).catch((e: unknown) => e);
      expect(error, body.slice(0, 40)).toBeInstanceOf(AuditSchemaError);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('the audit SQL in a migration', () => {
  it('adds the log block and the triggers once, and leaves the log out of the generic RLS', async () => {
    const schema = await schemaOf(`${LOG}\n${model('/// @tenantry.audit')}`);
    const rls = addRlsToMigration(CREATE_LOG, 'tenantry_app', undefined, [schema.log!]);
    expect(rls.tables).toEqual([]);
    const first = addAuditToMigration(CREATE_LOG, [], schema, 'tenantry_app');
    expect(first.change).toEqual({ log: true, audited: ['"api_keys"'], unaudited: [] });
    expect(first.sql).toContain('GRANT SELECT ON "audit_events" TO tenantry_app;');
    expect(first.sql).not.toMatch(/GRANT (INSERT|UPDATE|DELETE)/);
    expect(first.sql).toContain('LANGUAGE plpgsql SECURITY DEFINER');
    expect(first.sql.match(/^CREATE TRIGGER/gm)).toHaveLength(3);
    expect(first.sql).toContain(`EXECUTE FUNCTION "tenantry_audit_capture"('{"tenant_id","id"}', '{}', 'api_keys');`);
    // Idempotent in the same migration, and nothing more in the next one.
    expect(addAuditToMigration(first.sql, [], schema, 'tenantry_app').sql).toBe(first.sql);
    expect(addAuditToMigration('-- empty', [first.sql], schema, 'tenantry_app').sql).toBe('-- empty');
    expect(replayAudit([first.sql])).toEqual({
      functions: true,
      triggers: new Map([['.api_keys', `'{"tenant_id","id"}', '{}', 'api_keys'`]]),
    });
  });

  it('re-creates the triggers when exclude changes, and drops them when the marker goes', async () => {
    const before = await schemaOf(`${LOG}\n${model('/// @tenantry.audit')}`);
    const first = addAuditToMigration(CREATE_LOG, [], before, 'tenantry_app').sql;
    const excluded = await schemaOf(`${LOG}\n${model('/// @tenantry.audit(exclude: [secretHash])')}`);
    const second = addAuditToMigration('-- marker changed', [first], excluded, 'tenantry_app');
    expect(second.change.audited).toEqual(['"api_keys"']);
    expect(second.sql.indexOf('DROP TRIGGER IF EXISTS "tenantry_audit_insert" ON "api_keys";')).toBeLessThan(
      second.sql.indexOf('CREATE TRIGGER "tenantry_audit_insert"'),
    );
    expect(second.sql).toContain(`'{"tenant_id","id"}', '{"secret_hash"}', 'api_keys'`);
    expect(second.sql).not.toContain('CREATE OR REPLACE FUNCTION');
    const unmarked = await schemaOf(`${LOG}\n${model('')}`);
    const third = addAuditToMigration('-- marker removed', [first, second.sql], unmarked, 'tenantry_app');
    expect(third.change).toEqual({ log: false, audited: [], unaudited: ['"api_keys"'] });
    expect(third.sql.match(/^DROP TRIGGER IF EXISTS/gm)).toHaveLength(3);
    expect(third.sql).not.toMatch(/^CREATE TRIGGER/m);
  });
});
