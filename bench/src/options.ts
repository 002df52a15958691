/**
 * Command-line options. `pnpm bench` runs the full benchmark (< 15 min on 2 cores), `--quick` a
 * CI smoke run (< 2 min, same matrix, shorter cells; the layer strategies and RTT > 0 on findMany
 * only), `--soak` only the memory soak. `--rtt` lists the round-trip times to inject (default
 * 0,0.5,2; --quick 0,2).
 */
export interface BenchOptions {
  mode: 'full' | 'quick' | 'soak';
  rounds: number;
  warmupMs: number;
  durationMs: number;
  concurrencies: number[];
  /** Round-trip times to inject, ms (0: loopback, no proxy). */
  rtts: number[];
  tenants: number;
  poolSize: number;
  sweep: { tenants: number[]; durationMs: number };
  soakQueries: number;
  outDir: string;
}

const USAGE = `Usage: pnpm bench [--quick | --soak [--soak-queries N]] [--rounds N] [--duration-ms N] [--rtt 0,0.5,2] [--out DIR]`;

export function parseOptions(argv: string[], defaultOutDir: string): BenchOptions {
  const args = argv.filter((a) => a !== '--');
  const has = (flag: string) => args.includes(flag);
  const value = (flag: string): number | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const n = Number(args[i + 1]);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`Cannot parse ${flag} because "${args[i + 1]}" is not a positive number. ${USAGE}`);
    return n;
  };
  const known = new Set(['--quick', '--soak', '--soak-queries', '--rounds', '--duration-ms', '--rtt', '--out']);
  for (const [i, a] of args.entries()) {
    if (a.startsWith('--') && !known.has(a))
      throw new Error(`Cannot run the benchmark because ${a} is not an option. ${USAGE}`);
    if (!a.startsWith('--') && !known.has(args[i - 1] ?? ''))
      throw new Error(`Cannot run the benchmark because "${a}" is not an option. ${USAGE}`);
  }
  const quick = has('--quick');
  const mode = has('--soak') ? 'soak' : quick ? 'quick' : 'full';
  const outIndex = args.indexOf('--out');
  const rttIndex = args.indexOf('--rtt');
  let rtts = quick ? [0, 2] : [0, 0.5, 2];
  if (rttIndex >= 0) {
    const list = (args[rttIndex + 1] ?? '').split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v)));
    if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n < 0 || n > 1_000))
      throw new Error(
        `Cannot parse --rtt because "${args[rttIndex + 1] ?? ''}" is not a comma-separated list of milliseconds. ${USAGE}`,
      );
    rtts = [...new Set(list)].sort((a, b) => a - b);
  }
  return {
    mode,
    rounds: value('--rounds') ?? 3,
    warmupMs: quick ? 100 : 300,
    durationMs: value('--duration-ms') ?? (quick ? 250 : 2_000),
    concurrencies: [1, 32],
    rtts,
    tenants: 200,
    poolSize: 10,
    sweep: quick ? { tenants: [10, 100], durationMs: 250 } : { tenants: [10, 100, 1_000, 10_000], durationMs: 1_500 },
    soakQueries: value('--soak-queries') ?? 1_000_000,
    outDir: outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1]! : defaultOutDir,
  };
}
