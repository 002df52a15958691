/**
 * The proof that the engine works on someone else's schema: the README's "Use it in your own project"
 * section, run step by step as written, in a scratch folder OUTSIDE this workspace, on the tarballs
 * `pnpm pack:engine` writes (what `npm publish` would upload), against the PostgreSQL server of
 * TEST_DATABASE_URL. The steps' commands get a minimal environment (PATH and HOME only), so nothing
 * this repository's environment sets can make them pass.
 *
 * What the README shows is what runs. Four substitutions only, for this machine: the package names in
 * `npm install` lines become the tarballs' paths (the packages are not on npm yet); `localhost:5432` and
 * the superuser URL become TEST_DATABASE_URL's server; and `myapp` (folder, roles, databases) gets a
 * per-run suffix, so parallel runs on one shared server never meet.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const superuserUrl = process.env.TEST_DATABASE_URL;
if (!superuserUrl) {
  throw new Error(
    'Cannot run the outside-project test because TEST_DATABASE_URL is not set. Point it at a PostgreSQL server as a superuser, ' +
      'e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pnpm test:outside (the README steps create roles and databases there).',
  );
}
const server = new URL(superuserUrl);
const suffix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const name = `myapp_${suffix}`;

interface Block {
  lang: string;
  file?: string;
  body: string;
}

/** The README section, as fenced blocks in order. */
function readmeSteps(): Block[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use it in your own project\n');
  if (start < 0) throw new Error('README.md has no "## Use it in your own project" section');
  const end = readme.indexOf('\n## ', start + 5);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w+)(?: file=(\S+))?\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1]!,
    ...(m[2] ? { file: m[2] } : {}),
    body: m[3]!,
  }));
}

function substitute(text: string, tarballs: Record<string, string>): string {
  let out = text
    .replaceAll('postgres://postgres@localhost:5432/postgres', superuserUrl!)
    .replaceAll('localhost:5432', `${server.hostname}:${server.port || '5432'}`)
    .replace(/\bmyapp(?=\b|_)/g, name);
  out = out
    .split('\n')
    .map((line) =>
      /^npm install\b/.test(line)
        ? line.replace(
            /(^|\s)(@tenantry\/(?:prisma|testing))(?=\s|$)/g,
            (_, sp: string, pkg: string) => `${sp}${tarballs[pkg]}`,
          )
        : line,
    )
    .join('\n');
  return out;
}

const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? os.homedir(), LANG: 'C.UTF-8' };

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function sh(script: string, cwd: string): Ran & { cwd: string } {
  const marker = path.join(os.tmpdir(), `outside-cwd-${suffix}`);
  const r = spawnSync('bash', ['-eo', 'pipefail', '-c', `${script}\npwd > ${marker}`], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const after = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : cwd;
  rmSync(marker, { force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cwd: after };
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'tenantry-outside-'));
let cwd = scratch;
const tarballs: Record<string, string> = {};
const outputs: Array<{ command: string; ran: Ran }> = [];
const blocks = readmeSteps();

/** Runs the README's blocks up to and including the first shell block whose text matches `until`. */
let next = 0;
function runStepsThrough(until: RegExp): Ran {
  for (; next < blocks.length; next++) {
    const block = blocks[next]!;
    const body = substitute(block.body, tarballs);
    if (block.file) {
      const file = path.join(cwd, block.file);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
      continue;
    }
    if (block.lang !== 'sh')
      throw new Error(
        `README block ${next} is \`\`\`${block.lang} without file=: the test does not know what to do with it`,
      );
    const ran = sh(body, cwd);
    outputs.push({ command: body.trim(), ran });
    if (ran.status !== 0) {
      throw new Error(
        `README step failed (exit ${ran.status}) in ${cwd}:\n${body}\n--- stdout\n${ran.stdout.slice(-4000)}\n--- stderr\n${ran.stderr.slice(-4000)}`,
      );
    }
    cwd = ran.cwd;
    if (until.test(block.body)) {
      next++;
      return ran;
    }
  }
  throw new Error(`README has no step matching ${until}`);
}

beforeAll(() => {
  expect(path.relative(repoRoot, scratch).startsWith('..'), 'the scratch project must be outside the workspace').toBe(
    true,
  );
  const packs = path.join(scratch, 'packs');
  const packed = spawnSync(
    'pnpm',
    ['--filter', '@tenantry/prisma', '--filter', '@tenantry/testing', 'pack', '--pack-destination', packs],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  if (packed.status !== 0) throw new Error(`pnpm pack failed:\n${packed.stdout}\n${packed.stderr}`);
  for (const file of readdirSync(packs)) {
    if (file.startsWith('tenantry-prisma-')) tarballs['@tenantry/prisma'] = path.join(packs, file);
    if (file.startsWith('tenantry-testing-')) tarballs['@tenantry/testing'] = path.join(packs, file);
  }
  expect(Object.keys(tarballs).sort()).toEqual(['@tenantry/prisma', '@tenantry/testing']);
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    for (const db of [name, `${name}_shadow`])
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(db)} WITH (FORCE)`);
    for (const role of ['owner', 'app', 'admin'])
      await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(`${name}_${role}`)}`);
  } finally {
    await client.end();
  }
  if (outputs.every((o) => o.ran.status === 0)) rmSync(scratch, { recursive: true, force: true });
  else console.error(`outside-project: the scratch project is kept for a look: ${scratch}`);
});

describe('the README "Use it in your own project" steps, outside the workspace, on the packed tarballs', () => {
  it('the section is the steps the issue names, in order', () => {
    const text = blocks.map((b) => b.body).join('\n');
    for (const step of [
      /npm install @tenantry\/prisma/,
      /tenantry generate/,
      /tenantry migrate dev/,
      /tenantry check/,
      /tsx src\/main\.ts/,
      /tenantry fuzz/,
    ]) {
      expect(text).toMatch(step);
    }
    expect(blocks.find((b) => b.file === 'prisma/schema.prisma')?.body).toMatch(/organizationId/);
  });

  it('installs the tarballs in a fresh npm project', () => {
    runStepsThrough(/npm install -D/);
    const pkg = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@tenantry/prisma']).toMatch(/^file:.*tenantry-prisma-.*\.tgz$/);
    expect(pkg.devDependencies['@tenantry/testing']).toMatch(/^file:.*tenantry-testing-.*\.tgz$/);
    // What was installed is the built package (dist with declarations), not the workspace's sources.
    const installed = JSON.parse(readFileSync(path.join(cwd, 'node_modules/@tenantry/prisma/package.json'), 'utf8'));
    expect(JSON.stringify(installed.exports)).toMatch(/dist\//);
    expect(existsSync(path.join(cwd, 'node_modules/@tenantry/prisma/src'))).toBe(false);
  });

  it('creates the roles and databases', () => {
    runStepsThrough(/psql .* -f setup\.sql/);
  });

  it('generates the client and a migration with the RLS of every organizationId table, and tenantry check passes', () => {
    // One README block: generate, migrate dev, check.
    const ran = runStepsThrough(/tenantry check/);
    const migrations = path.join(cwd, 'prisma/migrations');
    const dir = readdirSync(migrations).find((d) => d.endsWith('_init'));
    expect(dir, 'the init migration').toBeDefined();
    const sql = readFileSync(path.join(migrations, dir!, 'migration.sql'), 'utf8');
    for (const table of ['teams', 'notes']) {
      expect(sql).toMatch(new RegExp(`ALTER TABLE "?${table}"? FORCE ROW LEVEL SECURITY`));
      expect(sql).toMatch(new RegExp(`CREATE POLICY "[^"]+" ON "?${table}"?[\\s\\S]*?organization_id`));
    }
    expect(sql).not.toMatch(/ALTER TABLE "?organizations"? ENABLE ROW LEVEL SECURITY/);
    expect(sql).toContain(`${name}_app`);
    expect(ran.stdout).toMatch(/All \d+ checks passed/);
  });

  it('tenantry check fails on the same project once a table stops forcing RLS', async () => {
    const client = new pg.Client({ connectionString: new URL(`/${name}`, superuserUrl).toString() });
    await client.connect();
    try {
      await client.query('ALTER TABLE notes NO FORCE ROW LEVEL SECURITY');
      const broken = sh('npx tenantry check', cwd);
      expect(broken.status).toBe(1);
      expect(broken.stdout + broken.stderr).toMatch(/notes/);
    } finally {
      await client.query('ALTER TABLE notes FORCE ROW LEVEL SECURITY');
      await client.end();
    }
  });

  it('the tenant client is scoped, another organization sees nothing, no context fails closed; the types come from dist', () => {
    const ran = runStepsThrough(/tsx src\/main\.ts/);
    const line = ran.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(line)).toEqual({
      acmeNotes: 2,
      globexNotes: 0,
      globexRawCount: 0,
      noContext: 'MissingTenantContextError',
    });
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(readme, 'the README quotes what main.ts prints').toContain(line);
    const tsc = sh(
      'npx tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck false src/main.ts src/db.ts',
      cwd,
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('the fuzzer kit finds zero cross-tenant, no-context, lost and phantom rows on this schema', () => {
    const ran = runStepsThrough(/tenantry fuzz/);
    const line = ran.stdout.split('\n').findLast((l) => l.startsWith('isolation: ')); // the totals: each route prints its own first
    expect(line, `the isolation line in:\n${ran.stdout.slice(-3000)}`).toBeDefined();
    console.log(`outside-project fuzz: ${line}`);
    const counters = Object.fromEntries([...line!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    for (const counter of ['crossTenantRows', 'noContextRows', 'lostWrites', 'phantomWrites'])
      expect(counters[counter], counter).toBe(0);
    expect(counters.ops).toBeGreaterThanOrEqual(3000);
    // Writes happened and were reconciled, so lostWrites and phantomWrites had something to count.
    const total = ran.stdout.split('\n').find((l) => l.startsWith('total: '));
    console.log(`outside-project fuzz: ${total}`);
    expect(Number(/(\d+) writes acknowledged/.exec(total ?? '')?.[1])).toBeGreaterThan(50);
  });
});
