/**
 * A 100,000-row tenant is exported and erased in bounded memory. The CLI runs as its own process
 * (so its memory is its own, not the test runner's), and the test samples its resident set from
 * /proc every 20 ms, besides the peak the process reports itself (getrusage maxRSS). Two bounds:
 *
 * - a hard one: every run gets a V8 heap of HEAP_CAP_MB (--max-old-space-size), less than the
 *   export's own size (~50 MB of JSON) plus what the process holds at rest, so a process that held
 *   the tenant in memory would die of "heap out of memory" and the test would fail on its exit code;
 * - a relative one: the 100,000-row export and erase may reach at most RSS_BUDGET_MB more peak RSS
 *   than exporting a 12-row tenant the same way.
 *
 * (Without the cap V8 lets garbage grow the heap to ~70 MB before it collects, which is GC policy,
 * not what the export holds: after a forced GC its heap is back at ~21 MB.)
 * Admin-role work only (no pooled route to vary), so it runs once, in the unit project (test/rig).
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenants, type SeededTenant } from '../support/fixtures.js';
import { useTestDatabase, type TestDatabase } from '../support/test-database.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROWS = 100_000;
const HEAP_CAP_MB = 64;
// Beyond the tiny tenant's peak. The export is ~145 MB (100,000 tasks and their 100,000 audit
// events), so a process within the budget did not hold it; the heap cap would kill one that tried.
const RSS_BUDGET_MB = 64;

let db: TestDatabase;
let big: SeededTenant;
let small: SeededTenant;
let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The largest VmRSS seen in /proc while it ran. */
  sampledPeakRssMb: number;
  /** What the process reported (maxRSS) in its --json output. */
  reported: { peakRssMb: number; heapUsedMb: number };
  result: Record<string, any>;
  seconds: number;
}

function rssMbOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined; // exited
  }
}

/** The CLI as `pnpm tenant:*` runs it (node + tsx, in packages/db), measured. */
function cli(args: string[]): Promise<Run> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_CAP_MB}`, '--import', 'tsx', 'scripts/tenant-lifecycle.ts', ...args, '--json'],
    {
      cwd: packageDir,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_ADMIN_URL: db.adminUrl,
        TENANTRY_DOTENV: 'off',
      },
    },
  );
  let stdout = '';
  let stderr = '';
  let peak = 0;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMbOf(child.pid!) ?? 0);
  }, 20);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const last = stdout.trimEnd().split('\n').at(-1) ?? '';
      let result: Record<string, any> = {};
      try {
        result = JSON.parse(last);
      } catch {
        // reported below through the exit code and stderr
      }
      resolve({
        code,
        stdout,
        stderr,
        sampledPeakRssMb: Math.round(peak * 10) / 10,
        reported: result.memory ?? { peakRssMb: Number.NaN, heapUsedMb: Number.NaN },
        result,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
}

describe('a 100,000-row tenant', () => {
  beforeAll(async () => {
    db = await useTestDatabase();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-large-tenant-'));
    [big, small] = await seedTenants(db.admin(), ['big', 'small'], 3);
    // 100 projects of 1,000 tasks each, with ~200-character titles, written by Postgres itself.
    const pool = db.pgPool('superuser');
    await pool.query(
      `insert into projects (tenant_id, workspace_id, id, name, updated_at)
       select $1, $2, gen_random_uuid(), 'big bulk project ' || g, now() from generate_series(1, 100) g`,
      [big.tenantId, big.workspaceIds[0]],
    );
    await pool.query(
      `insert into tasks (tenant_id, workspace_id, id, project_id, title, updated_at)
       select p.tenant_id, p.workspace_id, gen_random_uuid(), p.id, 'big bulk task ' || g || ' ' || repeat('x', 200), now()
       from projects p cross join generate_series(1, $2::int / 100) g
       where p.tenant_id = $1 and p.name like 'big bulk project %'`,
      [big.tenantId, ROWS],
    );
    await pool.query('analyze');
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('is exported and erased in bounded memory', async () => {
    const pool = db.pgPool('superuser');
    const { rows } = await pool.query('select count(*)::int as n from tasks where tenant_id = $1', [big.tenantId]);
    expect(rows[0].n).toBeGreaterThanOrEqual(ROWS);

    // The baseline is the higher of two tiny-tenant runs: a process's ordinary peak moves by ~30 MB
    // between runs here (202 and 233 MB seen), which alone can eat the budget.
    const tiny = [];
    for (let i = 0; i < 2; i++) {
      const run = await cli(['export', '--tenant', small.tenantId, '--out', path.join(dir, `small-${i}.jsonl`)]);
      expect(run.code, run.stderr).toBe(0);
      tiny.push(run);
    }
    const baseline = tiny[0]!.reported.peakRssMb >= tiny[1]!.reported.peakRssMb ? tiny[0]! : tiny[1]!;
    const exported = await cli(['export', '--tenant', big.tenantId, '--out', path.join(dir, 'big.jsonl')]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.result.counts.tasks).toBe(rows[0].n);
    const bytes = statSync(path.join(dir, 'big.jsonl')).size;
    const lines = readFileSync(path.join(dir, 'big.jsonl'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBe(exported.result.totalRows + 2);

    const erased = await cli(['erase', '--tenant', big.tenantId, '--confirm', big.tenantId]);
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.result.deleted.tasks).toBe(rows[0].n);
    expect(Object.values(erased.result.remaining as Record<string, number>).every((n) => n === 0)).toBe(true);
    const left = await pool.query(
      `select (select count(*) from tasks where tenant_id = $1) + (select count(*) from projects where tenant_id = $1)
            + (select count(*) from workspaces where tenant_id = $1) + (select count(*) from tenants where id = $1) as n`,
      [big.tenantId],
    );
    expect(Number(left.rows[0].n)).toBe(0);

    const figures = {
      exportBytesMb: Math.round((bytes / 1024 / 1024) * 10) / 10,
      baseline: { sampledPeakRssMb: baseline.sampledPeakRssMb, ...baseline.reported, seconds: baseline.seconds },
      export100k: { sampledPeakRssMb: exported.sampledPeakRssMb, ...exported.reported, seconds: exported.seconds },
      erase100k: { sampledPeakRssMb: erased.sampledPeakRssMb, ...erased.reported, seconds: erased.seconds },
    };
    console.log(
      `[large-tenant] ${rows[0].n} tasks, heap cap ${HEAP_CAP_MB} MB; RSS figures (MB):\n${JSON.stringify(figures, null, 2)}`,
    );
    // The bound: what the big tenant costs beyond a tiny one, on the process's own peak.
    for (const run of [exported, erased]) {
      expect(run.reported.peakRssMb - baseline.reported.peakRssMb).toBeLessThan(RSS_BUDGET_MB);
      expect(run.sampledPeakRssMb - baseline.sampledPeakRssMb).toBeLessThan(RSS_BUDGET_MB);
    }
    // The cap is meaningful: the export alone, on top of what the process holds at rest, exceeds it.
    expect(bytes / 1024 / 1024 + 20).toBeGreaterThan(HEAP_CAP_MB);
    // The small tenant is untouched.
    const smallLeft = await pool.query('select count(*)::int as n from tasks where tenant_id = $1', [small.tenantId]);
    expect(smallLeft.rows[0].n).toBe(small.taskIds.length);
  }, 900_000);
});
