/**
 * The isolation fuzzer on every route of a test rig: directly, through PgBouncer in session mode and
 * in transaction mode (those the rig has), a share of the operations each, with the runtime role's
 * backends terminated and PgBouncer restarted while it runs. Prints the figure block per route, the
 * totals and, last, the one line tools read; `tenantry fuzz` and an app's own fuzz script both run
 * this, so there is one loop and one verdict.
 *
 * @example
 * const { exitCode } = await fuzzAllRoutes({
 *   rig, admin, tenants, ops: 3000, seed,
 *   makeClient: ({ url, pooler }) => createTenantPrismaClient({ connectionString: url, pooler, poolSize: 4 }),
 * });
 */
import pg from 'pg';
import { ROLES } from '../databases.js';
import type { SchemaModel } from '../schema-model.js';
import type { Route, TestRig } from '../test-rig.js';
import { formatIsolationReport, isolationLine, runIsolationFuzz, type IsolationReport } from './run.js';
import type { AnyPrismaClient, FuzzOperation, FuzzTenant } from './types.js';

export interface FuzzRoute {
  name: Route;
  /** The rig's URL of the route, logging in as the runtime role. */
  url: string;
  /** What the route puts between the client and Postgres (createTenantPrismaClient's `pooler`). */
  pooler: 'none' | 'session' | 'transaction';
}

export interface FuzzAllRoutesOptions {
  rig: TestRig;
  /** The tenant-scoped client under test on a route; disconnected after the route's run. */
  makeClient: (route: FuzzRoute) => AnyPrismaClient;
  /** An RLS-bypassing client on the rig's database, for the reconciliation. */
  admin: AnyPrismaClient;
  tenants: FuzzTenant[];
  /** Operations in all, split evenly over the routes. */
  ops: number;
  seed: number;
  concurrency: number;
  /** Default: every route the rig has (fuzzRoutesOf). */
  routes?: readonly Route[];
  /**
   * The role the client logs in as and whose backends the faults terminate: the project's runtime
   * role. Default the kit's (ROLES.app), with the rig's URLs as they are.
   */
  runtimeRole?: { role: string; password: string };
  tenantField?: string;
  workspaceField?: string;
  /** The schema.prisma for the generic writes (see IsolationFuzzOptions.schema). */
  schema?: string | SchemaModel;
  /** Schema-specific operations added to the generic ones. */
  extraOperations?: FuzzOperation[];
  /** Milliseconds between injected faults. Default 300. */
  faultIntervalMs?: number;
  /** When the run began, for the duration in the totals. Default: when this call began. */
  startedAt?: number;
  /** Where the reports and the totals go. Default stdout. */
  out?: (line: string) => void;
}

export interface FuzzAllRoutesResult {
  reports: Array<{ route: Route; report: IsolationReport }>;
  /** 1 when anything crossed over or fewer than half of the operations succeeded, else 0. */
  exitCode: 0 | 1;
}

const ROUTE_POOLER = {
  direct: 'none',
  'pgbouncer-session': 'session',
  'pgbouncer-transaction': 'transaction',
} as const;

/** The routes a rig has, in the order they are fuzzed. */
export function fuzzRoutesOf(rig: Pick<TestRig, 'hasRoute'>): Route[] {
  return (['direct', 'pgbouncer-session', 'pgbouncer-transaction'] as const).filter((r) => rig.hasRoute(r));
}

export async function fuzzAllRoutes(options: FuzzAllRoutesOptions): Promise<FuzzAllRoutesResult> {
  const { rig, tenants, seed } = options;
  const startedAt = options.startedAt ?? Date.now();
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const routes = options.routes ?? fuzzRoutesOf(rig);
  const role = options.runtimeRole?.role ?? ROLES.app;
  const fields = {
    ...(options.tenantField ? { tenantField: options.tenantField } : {}),
    ...(options.workspaceField ? { workspaceField: options.workspaceField } : {}),
  };
  // The faults' connection: a superuser may terminate any backend.
  const superuser = new pg.Pool({ connectionString: rig.url('superuser'), max: 2 });
  superuser.on('error', () => {});
  const reports: FuzzAllRoutesResult['reports'] = [];
  try {
    for (const [i, name] of routes.entries()) {
      const route: FuzzRoute = {
        name,
        url: runtimeUrl(rig.url('app', name), options.runtimeRole),
        pooler: ROUTE_POOLER[name],
      };
      const bouncer = route.pooler === 'none' ? undefined : rig.bouncer(route.pooler);
      const client = options.makeClient(route);
      try {
        const report = await runIsolationFuzz({
          client,
          admin: options.admin,
          tenants,
          ops: Math.ceil(options.ops / routes.length),
          seed: (seed + i) >>> 0,
          concurrency: options.concurrency,
          ...fields,
          ...(options.schema ? { schema: options.schema } : {}),
          ...(options.extraOperations ? { extraOperations: options.extraOperations } : {}),
          faults: {
            terminateBackends: async (rng) => {
              const { rowCount } = await superuser.query(
                `select pg_terminate_backend(pid) from pg_stat_activity
                  where datname = current_database() and usename = $1 and pid <> pg_backend_pid()
                  order by random() limit $2`,
                [role, 1 + rng.int(2)],
              );
              return rowCount ?? 0;
            },
            ...(bouncer ? { restartPooler: () => bouncer.restart() } : {}),
            intervalMs: options.faultIntervalMs ?? 300,
          },
        });
        out(formatIsolationReport(report, name));
        reports.push({ route: name, report });
      } finally {
        await client.$disconnect();
      }
    }
  } finally {
    await superuser.end().catch(() => {});
  }
  const exitCode = summarize(
    reports.map((r) => r.report),
    { tenants: tenants.length, seed, durationMs: Date.now() - startedAt },
    out,
  );
  return { reports, exitCode };
}

/** The rig's URL with the runtime role's name and password (the kit's own role: as it is). */
function runtimeUrl(rigUrl: string, runtime: FuzzAllRoutesOptions['runtimeRole']): string {
  if (!runtime) return rigUrl;
  const url = new URL(rigUrl);
  url.username = encodeURIComponent(runtime.role);
  url.password = encodeURIComponent(runtime.password);
  return url.toString();
}

/** Prints the totals and the one line; 1 when anything crossed over or the run proved too little. */
function summarize(
  reports: readonly IsolationReport[],
  run: { tenants: number; seed: number; durationMs: number },
  out: (line: string) => void,
): 0 | 1 {
  const sum = (key: keyof IsolationReport) => reports.reduce((n, r) => n + (r[key] as number), 0);
  const total = {
    ops: sum('ops'),
    faults: sum('faults'),
    crossTenantRows: sum('crossTenantRows'),
    noContextRows: sum('noContextRows'),
    lostWrites: sum('lostWrites'),
    phantomWrites: sum('phantomWrites'),
    inheritedSessionState: sum('inheritedSessionState'),
  };
  const successRate = sum('opsSucceeded') / Math.max(1, total.ops);
  const acked = reports.reduce((n, r) => n + (r.writes.acked ?? 0), 0);
  out(
    `\ntotal: ${total.ops} operations (${(successRate * 100).toFixed(1)}% succeeded, the rest rejected as designed or cut by faults) ` +
      `in ${(run.durationMs / 1000).toFixed(1)} s, ${acked} writes acknowledged`,
  );
  const leaked =
    total.crossTenantRows + total.noContextRows + total.lostWrites + total.phantomWrites + total.inheritedSessionState >
    0;
  if (successRate < 0.5) out('FAILED: fewer than half of the operations succeeded, so the run proves too little.');
  out(isolationLine({ ...total, tenants: run.tenants, seed: run.seed }));
  return leaked || successRate < 0.5 ? 1 : 0;
}
