// `tenantry check`: a live RLS audit of a database. Prints a table and exits 1 on any failure, 2 when it
// cannot audit.
//
//   tenantry check [--url <postgres url>] [--runtime-url <url>] [--runtime-role <role>] [--schema <name> ...] [--tenant-field <f>] [--workspace-field <f>]
//
// --url defaults to DIRECT_URL, then DATABASE_URL (or the database resolver's; the first line printed says
// which); any role that can connect can read the catalogs. --runtime-role defaults to TENANTRY_RUNTIME_ROLE,
// then tenantry_app. --schema defaults to public. With --tenant-field/--workspace-field (or
// TENANTRY_TENANT_FIELD/TENANTRY_WORKSPACE_FIELD) the audited columns are those fields' columns in the
// schema prisma.config.ts names; by default tenant_id and workspace_id. --runtime-url (default
// DATABASE_URL) is the URL the app runs with: the role it logs in as is looked up through --url's
// connection (never connected to) and fails `runtime login` when it bypasses RLS.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { auditDatabase } from '../check/audit.js';
import { formatReport } from '../check/report.js';
import { loginUserOf, type RuntimeLogin } from '../check/supabase-roles.js';
import { readAuditSchema } from '../audit/schema.js';
import { tenantColumnsFor, type TenantColumns } from '../migrate/columns.js';
import type { CliContext } from './context.js';

/** `tenantry check <argv...>`; resolves with the exit code. */
export async function checkCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      'runtime-url': { type: 'string' },
      'runtime-role': { type: 'string' },
      schema: { type: 'string', multiple: true },
      'tenant-field': { type: 'string' },
      'workspace-field': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `Usage: ${ctx.programName} check [--url <url>] [--runtime-url <url>] [--runtime-role <role>] [--schema <name> ...] [--tenant-field <field>] [--workspace-field <field>]\n`,
    );
    return 0;
  }
  const db = await ctx.resolveDatabase({
    need: 'DIRECT_URL',
    orElse: ['DATABASE_URL'],
    action: 'audit the database',
    flagUrl: values.url,
  });
  process.stdout.write(`${db.banner}\n`);
  try {
    const fields = {
      ...ctx.fields,
      ...(values['tenant-field'] ? { tenantField: values['tenant-field'] } : {}),
      ...(values['workspace-field'] ? { workspaceField: values['workspace-field'] } : {}),
    };
    const configured = fields.tenantField !== undefined || fields.workspaceField !== undefined;
    const columns = await tenantColumnsFor(fields, configured ? (await ctx.config()).schemaPath : undefined);
    const runtimeUrl = values['runtime-url'] ?? (process.env.DATABASE_URL || db.urls.DATABASE_URL);
    const source = values['runtime-url'] !== undefined ? '--runtime-url' : 'DATABASE_URL';
    let runtimeLogin: RuntimeLogin | undefined;
    if (runtimeUrl) {
      const user = loginUserOf(runtimeUrl);
      if (user === undefined) {
        process.stderr.write(
          `Cannot check the runtime login because ${source} is not a postgres:// URL with a user. Write it as postgres://<role>:<password>@<host>/<database>.\n`,
        );
        return 2;
      }
      runtimeLogin = { user, source };
    }
    const auditedTables = await markedTables((await ctx.config()).schemaPath, fields);
    return await audit(db.urls.DIRECT_URL ?? db.urls.DATABASE_URL!, values, columns, runtimeLogin, auditedTables);
  } finally {
    await db.release();
  }
}

/**
 * The tables the schema marks `/// @tenantry.audit` (as `schema.table`), which the audit log group
 * expects triggers on; undefined when there is no schema to read (then the catalog's triggers are
 * checked alone). A malformed marker fails the command: the schema does not say what it means.
 */
async function markedTables(
  schemaPath: string | undefined,
  fields: CliContext['fields'],
): Promise<string[] | undefined> {
  if (!schemaPath || !existsSync(schemaPath)) return undefined;
  const schema = await readAuditSchema(schemaPath, fields ?? {});
  return schema.tables.map((t) => `${t.schema ?? 'public'}.${t.table}`);
}

async function audit(
  url: string,
  values: { 'runtime-role'?: string; schema?: string[] },
  columns: TenantColumns,
  runtimeLogin: RuntimeLogin | undefined,
  auditedTables?: string[],
): Promise<number> {
  const runtimeRole = values['runtime-role'] ?? (process.env.TENANTRY_RUNTIME_ROLE || 'tenantry_app');
  const schemas = values.schema?.length ? values.schema : ['public'];
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    process.stderr.write(
      `Cannot audit the database because connecting failed: ${(error as Error).message}. Check --url / DIRECT_URL.\n`,
    );
    return 2;
  }
  try {
    const findings = await auditDatabase(client, {
      runtimeRole,
      schemas,
      columns,
      ...(runtimeLogin ? { runtimeLogin } : {}),
      ...(auditedTables ? { auditedTables } : {}),
    });
    const where = new URL(url);
    const header = `Tenantry RLS audit of ${decodeURIComponent(where.pathname.slice(1)) || 'postgres'} on ${where.hostname}:${where.port || 5432} · runtime role ${runtimeRole} · schemas ${schemas.join(', ')}`;
    process.stdout.write(`${formatReport(findings, header, columns.tenant)}\n`);
    return findings.every((f) => f.ok) ? 0 : 1;
  } finally {
    await client.end();
  }
}
