/**
 * The isolation fuzzer's runner: draws a seeded stream of operations (each op's choices come from
 * its own stream, so the plan replays whatever the interleaving), runs them `concurrency` at a time
 * inside random tenants' contexts (some with a workspace, some with no context at all), injects
 * faults while they run, and reconciles the oracle with the database at the end. Some operations
 * leave session state behind (temp tables, cursors, SETs, ...) and others probe for what they
 * inherit (session-state-operations.ts): what they find, and every error that only an earlier
 * operation's state explains, counts in `inheritedSessionState`.
 */
import { tenantContext, type TenantContext } from '@tenantry/prisma';
import { existsSync } from 'node:fs';
import { migrationSourceFromEnv } from '../databases.js';
import { schemaModelOf, type SchemaModel } from '../schema-model.js';
import { genericReadOperations, tenantModelsOf, type ModelInfo } from './generic-operations.js';
import { genericWriteOperations } from './generic-writes.js';
import { Oracle, type Violation } from './oracle.js';
import { inheritedStateError, isConclusiveFailure } from './outcomes.js';
import { createRandom, type Random } from './random.js';
import { sessionStateOperations } from './session-state-operations.js';
import type { AnyPrismaClient, FuzzOperation, FuzzTenant } from './types.js';

export interface FaultInjectors {
  /** Terminates some of the runtime role's backends; returns how many. */
  terminateBackends?: (rng: Random) => Promise<number>;
  /** Restarts the pooler in front of the database. */
  restartPooler?: () => Promise<void>;
  /** Milliseconds between injected faults. Default 250. */
  intervalMs?: number;
}

export interface IsolationFuzzOptions {
  /** The tenant-scoped client under test. */
  client: AnyPrismaClient;
  /** An RLS-bypassing client on the same database, for the final reconciliation. */
  admin: AnyPrismaClient;
  /** The tenants to fuzz, with their workspaces and known rows (see seedTenantryFuzzData). */
  tenants: FuzzTenant[];
  ops: number;
  seed: number;
  concurrency?: number;
  /**
   * Operations to draw from. Default: generic reads for every tenant-scoped model, generic writes
   * derived from the schema (unless `writes: false`), the session-state writers and probes (unless
   * `sessionState: false`) + `extraOperations`.
   */
  operations?: FuzzOperation[];
  /** Added to the default operations, e.g. a schema-specific write set. */
  extraOperations?: FuzzOperation[];
  /** The model field that holds the tenant, as given to createTenantPrismaClient. Default 'tenantId'. */
  tenantField?: string;
  /** The model field that holds the workspace. Default 'workspaceId'. */
  workspaceField?: string;
  /**
   * The soft-delete field, as given to createTenantPrismaClient. Default 'deletedAt'; false: none.
   * Models with it get soft-delete and restore operations, checked by the oracle.
   */
  softDeleteField?: string | false;
  /**
   * The schema.prisma the client was generated from, for the generic writes (or a schema model read
   * with schemaModelOf). Default: TENANTRY_SCHEMA_PATH, else prisma/schema.prisma in the current
   * directory; without one, say `writes: false`.
   */
  schema?: string | SchemaModel;
  /** Include the generic writes in the default operations. Default true. */
  writes?: boolean;
  faults?: FaultInjectors;
  /** Share of operations the caller stops waiting for after a few ms. Default 0.02. */
  abandonRate?: number;
  /** Share of operations that run inside a workspace. Default 0.4. */
  workspaceRate?: number;
  /** Include the session-state writers and probes in the default operations. Default true. */
  sessionState?: boolean;
}

export interface IsolationReport {
  ops: number;
  opsSucceeded: number;
  opsByKind: Record<string, number>;
  tenants: number;
  faults: number;
  faultsByKind: Record<string, number>;
  crossTenantRows: number;
  noContextRows: number;
  lostWrites: number;
  phantomWrites: number;
  /** Session state found left by an earlier operation, plus errors only such state explains. */
  inheritedSessionState: number;
  inheritedByKind: Record<string, number>;
  /** Session-state statements refused as designed (privileges, the connection layer). */
  refusedByKind: Record<string, number>;
  writes: Record<string, number>;
  errorsByKind: Record<string, number>;
  violations: Violation[];
  seed: number;
  durationMs: number;
}

const bump = (record: Record<string, number>, key: string, by = 1) => void (record[key] = (record[key] ?? 0) + by);

export async function runIsolationFuzz(options: IsolationFuzzOptions): Promise<IsolationReport> {
  const started = Date.now();
  const { client, admin, tenants, ops, seed } = options;
  if (tenants.length < 2)
    throw new Error('Cannot fuzz isolation because fewer than 2 tenants were given. Seed at least 2.');
  const fields = {
    tenantField: options.tenantField ?? 'tenantId',
    workspaceField: options.workspaceField ?? 'workspaceId',
  };
  const softDelete = options.softDeleteField === undefined ? {} : { softDeleteField: options.softDeleteField };
  const models = options.operations ? [] : tenantModelsOf(client, { ...fields, ...softDelete });
  const operations = options.operations ?? [
    ...genericReadOperations(models),
    ...(options.writes === false ? [] : genericWriteOperations(await writesSchema(admin, options, fields), softDelete)),
    ...(options.sessionState === false ? [] : sessionStateOperations(models)),
    ...(options.extraOperations ?? []),
  ];
  const totalWeight = operations.reduce((sum, op) => sum + op.weight, 0);
  const oracle = new Oracle(fields);
  const report: IsolationReport = {
    ops: 0,
    opsSucceeded: 0,
    opsByKind: {},
    tenants: tenants.length,
    faults: 0,
    faultsByKind: {},
    crossTenantRows: 0,
    noContextRows: 0,
    lostWrites: 0,
    phantomWrites: 0,
    inheritedSessionState: 0,
    inheritedByKind: {},
    refusedByKind: {},
    writes: {},
    errorsByKind: {},
    violations: [],
    seed,
    durationMs: 0,
  };
  const firstContext: TenantContext = { tenantId: tenants[0]!.tenantId };
  for (const op of new Set(operations)) {
    await op.before?.({ client, oracle, tenants, runInContext: (fn) => tenantContext.run(firstContext, fn) });
  }
  const abandoned: Promise<unknown>[] = [];
  let next = 0;
  let done = false;

  const pickOperation = (rng: Random) => {
    let roll = rng.next() * totalWeight;
    for (const op of operations) if ((roll -= op.weight) < 0) return op;
    return operations[operations.length - 1]!;
  };

  const runOne = async (index: number) => {
    const rng = createRandom((seed * 1_000_003 + index) >>> 0);
    const op = pickOperation(rng);
    const tenant = rng.pick(tenants);
    let other = rng.pick(tenants);
    if (other === tenant) other = tenants[(tenants.indexOf(tenant) + 1) % tenants.length]!;
    const ctx: TenantContext = rng.chance(options.workspaceRate ?? 0.4)
      ? { tenantId: tenant.tenantId, workspaceId: rng.pick(tenant.workspaceIds) }
      : { tenantId: tenant.tenantId };
    const env = { client, rng, oracle, tenant, other, ctx };
    bump(report.opsByKind, op.name);
    const work = op.noContext ? op.run(env) : tenantContext.run(ctx, () => op.run(env));
    const settled = work.then(
      () => void report.opsSucceeded++,
      (error: unknown) => {
        const inherited = inheritedStateError(error, op.expectedSqlstates);
        if (inherited)
          oracle.inheritedError(op.name, op.noContext ? 'no-context operation' : `tenant ${ctx.tenantId}`, inherited);
        bump(
          report.errorsByKind,
          `${op.name} ${inherited ? `inherited session state: ${inherited}` : errorKind(error)}`,
        );
      },
    );
    if (rng.chance(options.abandonRate ?? 0.02)) {
      // The caller stops waiting; the operation still runs to its end and the oracle still judges it.
      bump(report.faultsByKind, 'abandoned');
      abandoned.push(settled);
      await new Promise((resolve) => setTimeout(resolve, rng.int(5)));
      return;
    }
    await settled;
  };

  const worker = async () => {
    while (next < ops) await runOne(next++);
  };

  const faultLoop = async () => {
    const faults = options.faults;
    if (!faults?.terminateBackends && !faults?.restartPooler) return;
    const rng = createRandom((seed ^ 0x5eed) >>> 0);
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, faults.intervalMs ?? 250));
      if (done) break;
      const kinds = [
        ...(faults.terminateBackends ? ['terminateBackends'] : []),
        ...(faults.restartPooler ? ['restartPooler'] : []),
      ];
      const kind = rng.chance(0.85) || kinds.length === 1 ? kinds[0]! : kinds[1]!;
      try {
        if (kind === 'terminateBackends')
          bump(report.faultsByKind, 'terminateBackends', await faults.terminateBackends!(rng));
        else {
          await faults.restartPooler!();
          bump(report.faultsByKind, 'restartPooler');
        }
      } catch {
        bump(report.errorsByKind, `fault injector ${kind} failed`);
      }
    }
  };

  const faulting = faultLoop();
  await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
  await Promise.all(abandoned);
  done = true;
  await faulting;

  report.ops = next;
  bump(report.faultsByKind, 'statementTimeout', report.opsByKind['tx.statementTimeout'] ?? 0);
  bump(report.faultsByKind, 'errorInTransaction', report.opsByKind['tx.interactiveRollback'] ?? 0);
  await reconcile(admin, oracle, fields.tenantField, tenantModelsOf(admin, { ...fields, ...softDelete }));
  Object.assign(report, {
    crossTenantRows: oracle.crossTenantRows,
    noContextRows: oracle.noContextRows,
    lostWrites: oracle.lostWrites,
    phantomWrites: oracle.phantomWrites,
    inheritedSessionState: oracle.inheritedSessionState,
    inheritedByKind: oracle.inheritedByKind,
    refusedByKind: oracle.refusedByKind,
    writes: oracle.counts(),
    violations: oracle.violations,
  });
  report.faults = Object.values(report.faultsByKind).reduce((a, b) => a + b, 0);
  report.durationMs = Date.now() - started;
  return report;
}

/** The schema the generic writes are derived from: the option, else the project's schema.prisma. */
async function writesSchema(
  admin: AnyPrismaClient,
  options: IsolationFuzzOptions,
  fields: { tenantField: string; workspaceField: string },
): Promise<SchemaModel> {
  if (options.schema && typeof options.schema !== 'string') return options.schema;
  const schema = options.schema ?? migrationSourceFromEnv().schemaPath;
  if (!existsSync(schema)) {
    throw new Error(
      `Cannot derive the fuzzer's writes because the schema ${schema} does not exist. Pass \`schema\` (the schema.prisma your client was generated from), set TENANTRY_SCHEMA_PATH, or pass \`writes: false\`.`,
    );
  }
  return schemaModelOf(admin, { schema, ...fields });
}

function errorKind(error: unknown): string {
  if (isConclusiveFailure(error)) return `rejected: ${(error as { code?: string }).code ?? (error as Error).name}`;
  // Prisma's messages open with a code frame; the last line says what happened.
  const lines = ((error as Error)?.message ?? String(error))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return `fault: ${(lines.at(-1) ?? 'unknown').replace(/127\.0\.0\.1:\d+/g, 'the server').slice(0, 90)}`;
}

/** Reads every tracked id back through the admin client and lets the oracle judge. */
async function reconcile(
  admin: AnyPrismaClient,
  oracle: Oracle,
  tenantField: string,
  models: readonly ModelInfo[],
): Promise<void> {
  const byModel = new Map<string, string[]>();
  for (const [id, row] of oracle.rows) byModel.set(row.model, [...(byModel.get(row.model) ?? []), id]);
  const found = new Map<string, { tenantId: string; count: number; deleted?: boolean }>();
  for (const [model, ids] of byModel) {
    const delegate = (admin as Record<string, AnyPrismaClient>)[model[0]!.toLowerCase() + model.slice(1)];
    const softDeleteField = models.find((m) => m.name === model)?.softDeleteField;
    for (let i = 0; i < ids.length; i += 5000) {
      const page = (await delegate.findMany({
        where: { id: { in: ids.slice(i, i + 5000) } },
        select: { id: true, [tenantField]: true, ...(softDeleteField ? { [softDeleteField]: true } : {}) },
      })) as Array<Record<string, unknown>>;
      const rows = page.map((r) => ({
        id: String(r.id),
        tenantId: String(r[tenantField]),
        deleted: softDeleteField ? r[softDeleteField] !== null : undefined,
      }));
      for (const r of rows) {
        const seen = found.get(r.id);
        found.set(r.id, {
          tenantId: seen && seen.tenantId !== r.tenantId ? `${seen.tenantId}+${r.tenantId}` : r.tenantId,
          count: (seen?.count ?? 0) + 1,
          ...(r.deleted === undefined ? {} : { deleted: r.deleted }),
        });
      }
    }
  }
  oracle.reconcile(found);
}

/** The figure block, ending with the one line tools read. */
export function formatIsolationReport(r: IsolationReport, label = ''): string {
  const kinds = (rec: Record<string, number>) =>
    Object.entries(rec)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `    ${k.padEnd(34)} ${v}`)
      .join('\n');
  return [
    `isolation fuzz${label ? ` (${label})` : ''}: seed ${r.seed}, ${r.ops} operations over ${r.tenants} tenants in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  operations by kind (${r.opsSucceeded} succeeded, the rest rejected as expected or cut by faults):`,
    kinds(r.opsByKind),
    `  faults injected by kind (${r.faults}):`,
    kinds(r.faultsByKind),
    `  outcomes by error kind:`,
    kinds(r.errorsByKind) || '    (none)',
    `  statements refused as designed (session state, policies, keys):`,
    kinds(r.refusedByKind) || '    (none)',
    `  inherited session state by kind (${r.inheritedSessionState}):`,
    kinds(r.inheritedByKind) || '    (none)',
    `  writes tracked by the oracle: ${JSON.stringify(r.writes)}`,
    `  cross-tenant rows ${r.crossTenantRows}, no-context rows ${r.noContextRows}, lost writes ${r.lostWrites}, phantom writes ${r.phantomWrites}, inherited session state ${r.inheritedSessionState}`,
    ...violationSample(r.violations).map((v) => `  VIOLATION ${v.kind}: ${v.detail}`),
    isolationLine(r),
  ].join('\n');
}

/** Up to 20 violations, the first few of each kind. */
function violationSample(violations: readonly Violation[]): Violation[] {
  const kinds = [...new Set(violations.map((v) => v.kind))];
  const per = Math.max(1, Math.floor(20 / Math.max(1, kinds.length)));
  return kinds.flatMap((k) => violations.filter((v) => v.kind === k).slice(0, per)).slice(0, 20);
}

export function isolationLine(
  r: Pick<
    IsolationReport,
    | 'ops'
    | 'tenants'
    | 'faults'
    | 'crossTenantRows'
    | 'noContextRows'
    | 'lostWrites'
    | 'phantomWrites'
    | 'inheritedSessionState'
    | 'seed'
  >,
): string {
  return `isolation: ops=${r.ops} tenants=${r.tenants} faults=${r.faults} crossTenantRows=${r.crossTenantRows} noContextRows=${r.noContextRows} lostWrites=${r.lostWrites} phantomWrites=${r.phantomWrites} inheritedSessionState=${r.inheritedSessionState} seed=${r.seed}`;
}

export { sessionStateOperations };
