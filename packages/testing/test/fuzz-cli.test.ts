/**
 * `tenantry fuzz` end to end: the engine's bin, run in this package (which resolves @tenantry/testing/cli by
 * its own name), reads the fixture's prisma.config.ts, finds the generated client from the schema's
 * generator, provisions its own throwaway database and prints the one line; it exits 2 when it cannot
 * set up, and when the kit is not installed in the project.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../../prisma/bin/tenantry.mjs', import.meta.url));
const config = path.join(packageDir, 'test', 'fixture', 'prisma.config.ts');

async function tenantry(
  args: string[],
  cwd = packageDir,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      cwd,
      // Without NODE_PATH: pnpm's and npx's bin shims set it to the workspace's hoisted store (where the kit is), which
      // a project's own shell does not have; Node's resolution would find the kit through it from any folder.
      env: { ...process.env, NODE_PATH: undefined, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const fields = { TENANTRY_TENANT_FIELD: 'organizationId', TENANTRY_WORKSPACE_FIELD: 'teamId' };

describe('tenantry fuzz', () => {
  it('fuzzes the project of --config on every route it has and prints the line with four zero counters', async () => {
    const run = await tenantry(
      ['--config', config, 'fuzz', '--ops', '600', '--tenants', '4', '--seed', '5', '--concurrency', '8'],
      packageDir,
      fields,
    );
    expect(run.stderr).not.toMatch(/Cannot/);
    expect(run.code, run.stdout.slice(-2000)).toBe(0);
    const line = run.stdout.trim().split('\n').at(-1)!;
    expect(line).toMatch(
      /^isolation: ops=600 tenants=4 faults=\d+ crossTenantRows=0 noContextRows=0 lostWrites=0 phantomWrites=0 inheritedSessionState=0 seed=5$/,
    );
    expect(run.stdout).toMatch(/isolation fuzz \(direct\)/);
    expect(run.stdout).toMatch(/pgbouncer-transaction|pgbouncer is not installed/);
  });

  it('exits 2 with a sentence when it cannot set up', async () => {
    const badField = await tenantry(
      ['--config', config, 'fuzz', '--ops', '10', '--tenant-field', 'accountId'],
      packageDir,
    );
    expect(badField.code).toBe(2);
    expect(badField.stderr).toMatch(
      /Cannot fuzz because no model of .*schema\.prisma has the tenant field accountId\. Pass --tenant-field/,
    );
    const badClient = await tenantry(['--config', config, 'fuzz', '--client', 'nowhere/client.ts'], packageDir, fields);
    expect(badClient.code).toBe(2);
    expect(badClient.stderr).toMatch(/Cannot import the PrismaClient because .*nowhere\/client\.ts does not exist/);
  });

  it('exits 2 and says to install the kit when the project does not have it', async () => {
    const project = await mkdtemp(path.join(tmpdir(), 'tenantry-no-kit-'));
    try {
      await writeFile(path.join(project, 'package.json'), '{ "name": "no-kit", "private": true }\n');
      const run = await tenantry(['fuzz'], project);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/install @tenantry\/testing as a dev dependency/);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
