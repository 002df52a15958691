/**
 * The pgTAP files in supabase/tests/database: the generated one matches the schema (`pnpm db:pgtap
 * --check`, so CI fails when a model changes and nobody regenerated it), and each hand-written one
 * plans exactly its own assertions, none of which iterates the catalog: a statement with its own FROM
 * returns a row per table or policy, so its count would follow the schema. No database needed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const testsDir = path.resolve(packageRoot, '../../supabase/tests/database');
const GENERATED = '00-schema-policies.generated.test.sql';
const scratch: string[] = [];

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

const pgtap = (args: string[]) =>
  promisify(execFile)('pnpm', ['-s', 'db:pgtap', ...args], {
    cwd: packageRoot,
    env: { ...process.env, TENANTRY_RUNTIME_ROLE: '' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ ...error }),
  );

/** The statements of a SQL file: `;`-separated outside comments, quotes and dollar quotes. */
function statements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length; ) {
    const rest = sql.slice(i);
    const token =
      /^--[^\n]*/.exec(rest)?.[0] ??
      /^'(?:[^']|'')*'/.exec(rest)?.[0] ??
      /^"(?:[^"]|"")*"/.exec(rest)?.[0] ??
      (() => {
        const tag = /^\$[A-Za-z_]*\$/.exec(rest)?.[0];
        if (!tag) return undefined;
        const end = rest.indexOf(tag, tag.length);
        return end === -1 ? rest : rest.slice(0, end + tag.length);
      })() ??
      rest[0]!;
    i += token.length;
    if (token === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else if (!token.startsWith('--')) current += token;
  }
  return out;
}

/** `s` with every parenthesised group (as `_`), string and dollar quote removed: what is left is the statement's top level. */
const topLevel = (s: string) => {
  let text = s.replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, '').replace(/'(?:[^']|'')*'/g, "''");
  for (let before = ''; before !== text; ) [before, text] = [text, text.replace(/\([^()]*\)/g, '_')];
  return text;
};

const ASSERTION = /^select\s+(\w+)\s*\(/i;
const NOT_ASSERTIONS = new Set(['plan', 'set_config']);

describe('the generated pgTAP file', () => {
  it('is up to date with the schema (pnpm db:pgtap --check)', async () => {
    const { code, stdout, stderr } = await pgtap(['--check']);
    expect(`${stdout}${stderr}`).toContain(GENERATED);
    expect(code, stderr).toBe(0);
  });

  it('--check fails when the file is stale or missing, naming it and the fix', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-pgtap-'));
    scratch.push(dir);
    const stale = path.join(dir, 'stale.test.sql');
    await writeFile(stale, (await readFile(path.join(testsDir, GENERATED), 'utf8')).replace('plan(', 'plan(1'));
    const result = await pgtap(['--check', '--out', stale]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/stale\.test\.sql is stale: it differs from what the schema produces/);
    expect(result.stderr).toContain('pnpm db:pgtap');
    const missing = await pgtap(['--check', '--out', path.join(dir, 'missing.test.sql')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/missing\.test\.sql does not exist/);
  });

  it('plans what it asserts: one assertion per statement, counted by the generator', async () => {
    const sql = await readFile(path.join(testsDir, GENERATED), 'utf8');
    const asserted = statements(sql).filter((s) => ASSERTION.test(s) && !NOT_ASSERTIONS.has(ASSERTION.exec(s)![1]!));
    expect(asserted.length).toBeGreaterThan(0);
    expect(sql).toContain(`select plan(${asserted.length});`);
  });
});

describe('the hand-written pgTAP files', async () => {
  const files = (await readdir(testsDir)).filter((f) => f.endsWith('.test.sql') && f !== GENERATED).sort();

  it('exist', () => expect(files.length).toBeGreaterThan(0));

  for (const file of files) {
    it(`${file} plans exactly its own assertions, and none returns a row per catalog entry`, async () => {
      const all = statements(await readFile(path.join(testsDir, file), 'utf8'));
      const plans = all.filter((s) => /^select\s+(plan\s*\(|\*\s+from\s+no_plan)/i.test(s));
      expect(plans, `${file} must call plan(N) once`).toHaveLength(1);
      const assertions = all.filter((s) => {
        const fn = ASSERTION.exec(s)?.[1]?.toLowerCase();
        return fn !== undefined && !NOT_ASSERTIONS.has(fn);
      });
      const iterating = assertions.filter((s) => /\bfrom\b/i.test(topLevel(s)));
      expect(
        iterating,
        `${file}: an assertion with its own FROM repeats per row; move it to the generated file`,
      ).toEqual([]);
      expect(plans[0]).toBe(`select plan(${assertions.length})`);
    });
  }
});
