/**
 * The `tenantry` command as a user runs it: the workspace bin (bin/tenantry.mjs) in a child process with the
 * fixture's prisma.config.ts, its output and exit code. No database: `policies` reads the schema only, and the
 * `check` case points at a port nothing listens on. Each run starts node, tsx and Prisma's schema parser (about
 * 2 s), hence the concurrency and the longer timeout.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/tenantry.mjs', import.meta.url));
const config = fileURLToPath(new URL('./fixture/prisma.config.ts', import.meta.url));
const fixtureSchema = fileURLToPath(new URL('./fixture/schema.prisma', import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tenantry <argv...>` with the TENANTRY_* variables cleared unless `env` sets them. */
function tenantry(argv: string[], env: Record<string, string> = {}): Promise<Ran> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TENANTRY_')));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...argv],
      { env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.concurrent('tenantry policies <Model> on the fixture schema', { timeout: 60_000 }, () => {
  it('prints the RLS of a team-scoped model naming organization_id and team_id (fields from the environment)', async () => {
    const ran = await tenantry(['--config', config, 'policies', 'Document'], {
      TENANTRY_TENANT_FIELD: 'organizationId',
      TENANTRY_WORKSPACE_FIELD: 'teamId',
    });
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    expect(ran.stdout).toMatch(/^-- Row-Level Security for "documents"/);
    expect(ran.stdout.match(/^CREATE POLICY "[^"]+" ON "documents"$/gm)).toHaveLength(4);
    expect(
      ran.stdout.match(/organization_id = \(SELECT NULLIF\(current_setting\('app\.tenant_id', true\), ''\)::uuid\)/g),
    ).toHaveLength(5); // USING and WITH CHECK of update
    expect(ran.stdout).toContain("team_id = (SELECT NULLIF(current_setting('app.workspace_id', true), '')::uuid)");
    expect(ran.stdout).not.toMatch(/[^.]tenant_id =|[^.]workspace_id =/);
  });

  it('takes --tenant-field/--workspace-field, --config=<file>, and a table name (@@map) for the model', async () => {
    const ran = await tenantry([
      `--config=${config}`,
      'policies',
      'teams',
      '--tenant-field',
      'organizationId',
      '--workspace-field',
      'teamId',
    ]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('-- tenant-scoped, tenant-wide (written only outside a workspace).');
    expect(ran.stdout).toContain('CREATE POLICY "tenant inserts only its own teams outside a workspace" ON "teams"');
    expect(ran.stdout).not.toContain('team_id');
  });

  it('reads --schema instead of the config, and TENANTRY_RUNTIME_ROLE for the role', async () => {
    const ran = await tenantry(
      ['policies', 'Document', '--schema', fixtureSchema, '--tenant-field', 'organizationId'],
      { TENANTRY_RUNTIME_ROLE: 'myapp_app' },
    );
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON "documents" TO myapp_app;');
    // Without --workspace-field, teamId is not the workspace: documents is tenant-wide.
    expect(ran.stdout).toContain('CREATE POLICY "tenant deletes only its own documents outside a workspace"');
  });

  it('refuses a model without the tenant field (the default tenantId here), naming the flag', async () => {
    const ran = await tenantry(['--config', config, 'policies', 'Document']);
    expect(ran).toMatchObject({ code: 1, stdout: '' });
    expect(ran.stderr).toContain('Model Document has no tenantId field, so it is not tenant-scoped');
    expect(ran.stderr).toContain('--tenant-field');
  });

  it('refuses a global model, and an unknown one listing the models', async () => {
    const global = await tenantry(['--config', config, 'policies', 'Organization', '--tenant-field', 'organizationId']);
    expect(global.code).toBe(1);
    expect(global.stderr).toContain('Model Organization has no organizationId field');
    const unknown = await tenantry(['--config', config, 'policies', 'Invoice']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/has no model "Invoice"\. Models: Organization, Team, Document\./);
  });

  it('needs exactly one model', async () => {
    const none = await tenantry(['--config', config, 'policies']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^Name a model\.\nUsage: tenantry policies <Model>/);
    const two = await tenantry(['--config', config, 'policies', 'Team', 'Document']);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/^Unexpected argument "Document"\./);
  });
});

describe.concurrent('tenantry arguments', { timeout: 60_000 }, () => {
  it('--help prints the commands and exits 0; no command prints them and exits 1', async () => {
    const help = await tenantry(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tenantry \[--config <prisma\.config\.ts>\] <command> \[options\]/);
    for (const command of ['generate', 'migrate dev|deploy|status|drift', 'check', 'policies <Model>', 'fuzz'])
      expect(help.stdout).toContain(`  ${command} `);
    const none = await tenantry([]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe(help.stdout);
  });

  it('an unknown command exits 1 naming it', async () => {
    const ran = await tenantry(['--config', config, 'polices']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^Unknown command "polices"\.\nUsage: tenantry/);
  });

  it('a missing --config file exits 1 with the fix', async () => {
    const ran = await tenantry(['--config', 'nowhere/prisma.config.ts', 'policies', 'Team']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(
      'Cannot read the Prisma config because nowhere/prisma.config.ts does not exist. Pass --config <path to prisma.config.ts>.',
    );
  });

  it('check exits 2 when it cannot connect, saying which database it tried', async () => {
    const ran = await tenantry(['--config', config, 'check', '--url', 'postgres://nobody@127.0.0.1:1/nowhere']);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toMatch(/^\[tenantry\] using --url \(/);
    expect(ran.stderr).toMatch(/^Cannot audit the database because connecting failed: .*Check --url \/ DIRECT_URL\.$/m);
  });
});
