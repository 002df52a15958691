// `tenantry pgtap`: writes the pgTAP file generated from the Prisma schema (src/pgtap/schema-policies.ts),
// or with --check fails when the committed one is stale.
//
//   tenantry pgtap [--out <file>] [--check] [--stdout] [--schema <path>] [--tenant-field <f>] [--workspace-field <f>]
//
// --out defaults to supabase/tests/database/00-schema-policies.generated.test.sql in the nearest folder,
// from prisma.config.ts's upwards, that has supabase/config.toml (Supabase's project marker), else beside
// prisma.config.ts. No database is needed: the file is what the schema says must hold.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readAuditSchema } from '../audit/schema.js';
import { schemaModels } from '../migrate/columns.js';
import { runtimeRole } from '../migrate/policies.js';
import { renderSchemaPgTap, tenantTables } from '../pgtap/schema-policies.js';
import type { CliContext } from './context.js';

export const PGTAP_FILE = path.join('supabase', 'tests', 'database', '00-schema-policies.generated.test.sql');

/** `tenantry pgtap <argv...>`; resolves with the exit code. */
export async function pgtapCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
      stdout: { type: 'boolean', default: false },
      schema: { type: 'string' },
      'tenant-field': { type: 'string' },
      'workspace-field': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `Usage: ${ctx.programName} pgtap [--out <file>] [--check] [--stdout] [--schema <path>] [--tenant-field <field>] [--workspace-field <field>]\n\n` +
        `Writes the pgTAP policy tests of every tenant model (default ${PGTAP_FILE} in the Supabase project folder).\n` +
        '--check writes nothing and exits 1 when that file differs from what the schema produces.\n',
    );
    return 0;
  }
  const config = await ctx.config();
  const fields = {
    ...ctx.fields,
    ...(values['tenant-field'] ? { tenantField: values['tenant-field'] } : {}),
    ...(values['workspace-field'] ? { workspaceField: values['workspace-field'] } : {}),
  };
  const schemaPath = path.resolve(values.schema ?? config.schemaPath);
  const out = path.resolve(values.out ?? path.join(supabaseProjectDir(config.baseDir), PGTAP_FILE));
  const models = await schemaModels(schemaPath, fields);
  const audit = await readAuditSchema(schemaPath, fields);
  const sql = renderSchemaPgTap({
    models,
    audit,
    runtimeRole: runtimeRole(),
    source: path.relative(path.dirname(out), schemaPath).split(path.sep).join('/'),
  });
  if (values.stdout) {
    process.stdout.write(sql);
    return 0;
  }
  const shown = path.relative(process.cwd(), out) || out;
  if (values.check) {
    const committed = await readFile(out, 'utf8').catch(() => undefined);
    if (committed === sql) {
      process.stdout.write(`${shown} is up to date with ${path.relative(process.cwd(), schemaPath)}.\n`);
      return 0;
    }
    process.stderr.write(
      `Cannot pass the pgTAP check because ${shown} ${committed === undefined ? 'does not exist' : 'is stale: it differs from what the schema produces'} ` +
        `(${path.relative(process.cwd(), schemaPath)}). Run ${ctx.programName} pgtap (pnpm db:pgtap) and commit the file.\n`,
    );
    return 1;
  }
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, sql);
  const tables = tenantTables(models);
  process.stdout.write(
    `Wrote ${shown}: ${/plan\((\d+)\)/.exec(sql)![1]} assertions for ${tables.length} tenant table${tables.length === 1 ? '' : 's'} (${tables.map((t) => t.name).join(', ') || 'none'}).\n`,
  );
  return 0;
}

/** The nearest folder from `start` upwards with supabase/config.toml; `start` when there is none. */
function supabaseProjectDir(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'supabase', 'config.toml'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}
