/**
 * `pnpm bench:profile` options: which strategies (each profiled in turn, in its own window), which
 * workload, at which concurrency, for how long.
 */
import { LAYER_STRATEGIES, STRATEGIES, type StrategyName } from '../strategies/index.js';
import { WORKLOADS, type WorkloadName } from '../workloads.js';

export interface ProfileOptions {
  strategies: StrategyName[];
  workload: WorkloadName;
  concurrency: number;
  /** Length of the profiled window, after a 1 s warm-up. */
  seconds: number;
  warmupMs: number;
  /** Sampling interval, µs. */
  intervalUs: number;
  outDir: string;
}

const USAGE =
  'Usage: pnpm bench:profile [--strategy tenantry-direct,baseline] [--workload findMany] [--concurrency 32] [--seconds 5] [--out DIR]';
const NAMES: readonly string[] = [...STRATEGIES, ...LAYER_STRATEGIES];

export function parseProfileOptions(argv: string[], defaultOutDir: string): ProfileOptions {
  const args = argv.filter((a) => a !== '--');
  const known = new Set(['--strategy', '--workload', '--concurrency', '--seconds', '--out']);
  for (const [i, a] of args.entries()) {
    if (a.startsWith('--') && !known.has(a)) throw new Error(`Cannot profile because ${a} is not an option. ${USAGE}`);
    if (!a.startsWith('--') && !known.has(args[i - 1] ?? ''))
      throw new Error(`Cannot profile because "${a}" is not an option. ${USAGE}`);
  }
  const raw = (flag: string) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--'))
      throw new Error(`Cannot parse ${flag} because it has no value. ${USAGE}`);
    return v;
  };
  const positive = (flag: string, fallback: number) => {
    const v = raw(flag);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`Cannot parse ${flag} because "${v}" is not a positive number. ${USAGE}`);
    return n;
  };
  const strategies = (raw('--strategy') ?? 'tenantry-direct,baseline').split(',').map((s) => s.trim());
  for (const s of strategies)
    if (!NAMES.includes(s))
      throw new Error(`Cannot profile because "${s}" is not a strategy. Pick from: ${NAMES.join(', ')}.`);
  const workload = raw('--workload') ?? 'findMany';
  if (!(WORKLOADS as readonly string[]).includes(workload))
    throw new Error(`Cannot profile because "${workload}" is not a workload. Pick from: ${WORKLOADS.join(', ')}.`);
  const concurrency = positive('--concurrency', 32);
  if (!Number.isInteger(concurrency))
    throw new Error(`Cannot parse --concurrency because ${concurrency} is not a whole number. ${USAGE}`);
  return {
    strategies: [...new Set(strategies)] as StrategyName[],
    workload: workload as WorkloadName,
    concurrency,
    seconds: positive('--seconds', 5),
    warmupMs: 1_000,
    intervalUs: 500,
    outDir: raw('--out') ?? defaultOutDir,
  };
}
