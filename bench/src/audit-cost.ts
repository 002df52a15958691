/**
 * What the audit log costs a write (docs/audit-log.md): tenantry-direct creating and renaming
 * projects with the audit triggers enabled and with them disabled, on the same database, in the same
 * process, interleaved cell by cell (A B, then B A in the next round, so drift lands on both alike).
 *
 * The triggers are the database's own (`tenantry_audit_capture`, one statement-level trigger per
 * operation and audited table); the unaudited cells run after `ALTER TABLE ... DISABLE TRIGGER` of
 * exactly those, as the superuser, between cells while nothing else runs. Every other trigger (the
 * soft-delete cascade, the live-project check) stays as it is, so the ratio is the audit's alone.
 *
 * An audited cell must leave audit events behind and an unaudited one none: otherwise the toggle
 * did not do what the table says, and the run fails instead of printing a ratio of nothing.
 */
import pg from 'pg';
import { TenantPool, createTenantPrismaClient, tenantContext } from '@tenantry/db';
import { picker, type Pick } from './dataset.js';
import type { BenchDatabase } from './provisioning.js';
import { measureCell, type CellProbe, type CellTiming, type Sample } from './runner.js';
import { median, round } from './stats.js';
import type { Operation } from './workloads.js';

export const AUDIT_WORKLOADS = ['create', 'update'] as const;
export type AuditWorkload = (typeof AUDIT_WORKLOADS)[number];

export interface AuditCostRecord {
  workload: AuditWorkload;
  concurrency: number;
  auditedRps: number;
  unauditedRps: number;
  /** Median of the per-round ratios audited / unaudited throughput. */
  throughputVsUnaudited: number;
  auditedP50Ms: number;
  unauditedP50Ms: number;
  /** Median of the per-round ratios audited / unaudited p50. */
  p50VsUnaudited: number;
  wrongTenantRows: number;
}

export interface AuditCostPlan {
  db: BenchDatabase;
  concurrencies: readonly number[];
  rounds: number;
  tenants: number;
  poolSize: number;
  timing: CellTiming;
  log: (m: string) => void;
  probe?: CellProbe;
}

export const AUDIT_TARGET = { workload: 'create', concurrency: 32, min: 0.85 } as const;

/** The audit triggers of the database, as `table` and `trigger` names (quoted where needed). */
async function auditTriggers(admin: pg.Client): Promise<Array<{ table: string; trigger: string }>> {
  const { rows } = await admin.query<{ table: string; trigger: string }>(
    `select t.tgrelid::regclass::text as table, quote_ident(t.tgname) as trigger
       from pg_trigger t join pg_proc p on p.oid = t.tgfoid
      where p.proname = 'tenantry_audit_capture' and not t.tgisinternal
      order by 1, 2`,
  );
  return rows;
}

async function auditEvents(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ n: string }>('select count(*)::text as n from audit_events');
  return Number(rows[0]!.n);
}

export async function runAuditCost(plan: AuditCostPlan): Promise<AuditCostRecord[]> {
  const admin = new pg.Client({ connectionString: plan.db.superuserUrl });
  await admin.connect();
  const pool = new TenantPool({ connectionString: plan.db.appUrl, max: plan.poolSize, pooler: 'none' });
  const db = createTenantPrismaClient({ pool });
  try {
    const triggers = await auditTriggers(admin);
    if (triggers.length === 0)
      throw new Error(
        'Cannot measure the audit log because no table of the bench database has the audit triggers (tenantry_audit_capture). Mark a model `/// @tenantry.audit` and migrate (docs/audit-log.md).',
      );
    if (!triggers.some((t) => t.table === 'projects'))
      throw new Error(
        'Cannot measure the audit log because projects is not audited: the bench writes projects. Mark Project `/// @tenantry.audit`.',
      );
    const setTriggers = async (enabled: boolean) => {
      for (const t of triggers)
        await admin.query(`alter table ${t.table} ${enabled ? 'enable' : 'disable'} trigger ${t.trigger}`);
    };
    const inWorkspace = <R>(p: Pick, fn: () => Promise<R>) =>
      tenantContext.run({ tenantId: p.tenantId, workspaceId: p.workspaceId }, fn);
    const ops: Record<AuditWorkload, Operation> = {
      create: async (p) => [await inWorkspace(p, () => db.project.create({ data: { name: `audit bench ${p.seq}` } }))],
      update: async (p) => [
        await inWorkspace(p, () =>
          db.project.update({
            where: { tenantId_id: { tenantId: p.tenantId, id: p.projectId } },
            data: { name: `audited ${p.seq}` },
          }),
        ),
      ],
    };
    const pick = picker(plan.tenants);
    const samples = new Map<string, { on: Sample[]; off: Sample[] }>();
    try {
      for (let round = 1; round <= plan.rounds; round++) {
        for (const workload of AUDIT_WORKLOADS) {
          for (const concurrency of plan.concurrencies) {
            const key = `${workload}|${concurrency}`;
            const cell = samples.get(key) ?? { on: [], off: [] };
            samples.set(key, cell);
            const order = round % 2 === 1 ? [true, false] : [false, true];
            const line: string[] = [];
            for (const enabled of order) {
              await setTriggers(enabled);
              const before = await auditEvents(admin);
              // The warm-up's operations are written too: count them apart from the timed ones.
              const sample = await measureCell('create', ops[workload], concurrency, plan.timing, pick, plan.probe);
              const written = (await auditEvents(admin)) - before;
              if (enabled && written < sample.ops)
                throw new Error(
                  `Cannot trust the audit cost because ${workload} c=${concurrency} acknowledged ${sample.ops} writes with the audit triggers enabled and the log grew by ${written}.`,
                );
              if (!enabled && written !== 0)
                throw new Error(
                  `Cannot trust the audit cost because ${workload} c=${concurrency} wrote ${written} audit events with the audit triggers disabled.`,
                );
              (enabled ? cell.on : cell.off).push(sample);
              line.push(`${enabled ? 'audited' : 'unaudited'} ${Math.round(sample.rps)}/s`);
            }
            plan.log(`audit round ${round}/${plan.rounds} ${workload} c=${concurrency}: ${line.join(', ')}`);
          }
        }
      }
    } finally {
      await setTriggers(true);
    }
    const out: AuditCostRecord[] = [];
    for (const workload of AUDIT_WORKLOADS) {
      for (const concurrency of plan.concurrencies) {
        const { on, off } = samples.get(`${workload}|${concurrency}`)!;
        out.push({
          workload,
          concurrency,
          auditedRps: round(median(on.map((s) => s.rps)), 1),
          unauditedRps: round(median(off.map((s) => s.rps)), 1),
          throughputVsUnaudited: round(median(on.map((s, i) => s.rps / off[i]!.rps))),
          auditedP50Ms: round(median(on.map((s) => s.p50Ms))),
          unauditedP50Ms: round(median(off.map((s) => s.p50Ms))),
          p50VsUnaudited: round(median(on.map((s, i) => s.p50Ms / off[i]!.p50Ms))),
          wrongTenantRows: [...on, ...off].reduce((n, s) => n + s.wrongTenantRows, 0),
        });
      }
    }
    return out;
  } finally {
    await db.$disconnect();
    if (!pool.ending) await pool.end();
    await admin.end();
  }
}
