// `tenantry policies <Model>`: prints the Row-Level Security `tenantry migrate dev` generates for that model's
// table (grants, ENABLE/FORCE, one policy per command), read from the schema prisma.config.ts names
// (or --schema), with the table and columns of the model's @@map/@map and the tenant/workspace fields.
import { parseArgs } from 'node:util';
import { schemaModels } from '../migrate/columns.js';
import { renderRlsBlock, runtimeRole } from '../migrate/policies.js';
import type { CliContext } from './context.js';

/** `tenantry policies <argv...>`; resolves with the exit code. */
export async function policiesCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      'tenant-field': { type: 'string' },
      'workspace-field': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const usage = `Usage: ${ctx.programName} policies <Model> [--schema <path>] [--tenant-field <field>] [--workspace-field <field>]`;
  if (values.help) return print(usage, 0);
  if (positionals.length !== 1)
    return print(
      `${positionals.length === 0 ? 'Name a model.' : `Unexpected argument "${positionals[1]}".`}\n${usage}`,
      1,
    );
  const name = positionals[0]!;
  const fields = {
    ...ctx.fields,
    ...(values['tenant-field'] ? { tenantField: values['tenant-field'] } : {}),
    ...(values['workspace-field'] ? { workspaceField: values['workspace-field'] } : {}),
  };
  const schemaPath = values.schema ?? (await ctx.config()).schemaPath;
  const models = await schemaModels(schemaPath, fields);
  const model =
    models.find((m) => m.model === name) ??
    models.find((m) => m.model.toLowerCase() === name.toLowerCase() || m.table === name);
  if (!model) {
    return print(
      `Cannot print policies because ${schemaPath} has no model "${name}". Models: ${models.map((m) => m.model).join(', ') || '(none)'}.`,
      1,
    );
  }
  if (!model.tenantColumn) {
    const field = fields.tenantField ?? 'tenantId';
    return print(
      `Model ${model.model} has no ${field} field, so it is not tenant-scoped and gets no Row-Level Security (a global table). ` +
        `Add ${field} to it to scope it, or pass --tenant-field if your models name the tenant otherwise.`,
      1,
    );
  }
  const sql = renderRlsBlock(
    {
      ...(model.schema ? { schema: model.schema } : {}),
      name: model.table,
      workspaceScoped: model.workspaceColumn !== undefined,
    },
    runtimeRole(),
    { tenant: model.tenantColumn, workspace: model.workspaceColumn ?? 'workspace_id' },
  );
  process.stdout.write(`${sql}\n`);
  return 0;
}

function print(message: string, exitCode: number): number {
  (exitCode === 0 ? process.stdout : process.stderr).write(`${message}\n`);
  return exitCode;
}
