/**
 * The noise guard: load average and CPU steal around every cell, and core pinning. A benchmark that
 * ran while something else used the CPU (another test run, a noisy VM neighbour: steal) looks like
 * a regression; the JSON keeps what the machine was doing, and the report says when it was busy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface CpuSnapshot {
  loadavg: number[];
  /** Jiffies from /proc/stat's `cpu` line: undefined where there is no /proc. */
  steal?: number;
  total?: number;
}

export interface CellNoise {
  /** os.loadavg() (1, 5, 15 min) before and after the timed window. */
  loadBefore: number[];
  loadAfter: number[];
  /** Share of CPU time stolen by the hypervisor during the window, %; null without /proc/stat. */
  stealPct: number | null;
}

export function cpuSnapshot(): CpuSnapshot {
  const loadavg = os.loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is in user already.
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { loadavg, steal: f[7] ?? 0, total };
  } catch {
    return { loadavg };
  }
}

export function cellNoise(before: CpuSnapshot, after: CpuSnapshot): CellNoise {
  const dt = (after.total ?? 0) - (before.total ?? 0);
  const stealPct =
    before.steal === undefined || after.steal === undefined || dt <= 0
      ? null
      : Math.round(((after.steal - before.steal) / dt) * 1000) / 10;
  return { loadBefore: before.loadavg, loadAfter: after.loadavg, stealPct };
}

export interface BusyVerdict {
  busy: boolean;
  reasons: string[];
  loadAtStart: number[];
  medianLoadBefore: number;
  maxStealPct: number | null;
}

/**
 * Busy when, before the benchmark started, the 1-minute load was already half the cores or more
 * (someone else was running), or the hypervisor stole ≥ 5 % in any cell, or the median 1-minute load
 * before the cells exceeded 1.5 × the cores (the bench itself keeps about one runnable process per
 * core: Node and the Postgres backend it waits on).
 */
export function busyVerdict(loadAtStart: number[], cells: CellNoise[], cpus: number): BusyVerdict {
  const before = cells.map((c) => c.loadBefore[0] ?? 0).sort((a, b) => a - b);
  const medianLoadBefore = before.length ? before[before.length >> 1]! : 0;
  const steals = cells.map((c) => c.stealPct).filter((s): s is number => s !== null);
  const maxStealPct = steals.length ? Math.max(...steals) : null;
  const reasons: string[] = [];
  if ((loadAtStart[0] ?? 0) >= cpus / 2) reasons.push(`1-min load ${loadAtStart[0]} at start on ${cpus} cores`);
  if (maxStealPct !== null && maxStealPct >= 5) reasons.push(`CPU steal up to ${maxStealPct} % in a cell`);
  if (medianLoadBefore > 1.5 * cpus) reasons.push(`median 1-min load ${medianLoadBefore} before the cells`);
  return { busy: reasons.length > 0, reasons, loadAtStart, medianLoadBefore, maxStealPct };
}

export interface Pinning {
  pinned: boolean;
  /** What was pinned where, or why nothing was. */
  note: string;
  /** Pins these processes (the Postgres backends and PgBouncers serving the bench) to the server cores. */
  pinServer(pids: number[]): void;
}

const hasTaskset = () => spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/**
 * With ≥ 2 cores and taskset: Node (this process, all its threads, and the children it starts
 * later, which inherit it) on the upper half of the cores, the server processes on the lower half.
 * Only processes this machine can see are pinned, and only ones named postgres or pgbouncer:
 * Postgres's postmaster is never touched (on a shared server it serves others too), only the
 * backends of the bench's own connections, as they appear.
 */
export function pinCores(): Pinning {
  const cpus = os.cpus().length;
  const none = (note: string): Pinning => ({ pinned: false, note, pinServer: () => {} });
  if (cpus < 2) return none(`not pinned: ${cpus} core`);
  if (!hasTaskset()) return none('not pinned: taskset not found');
  const split = Math.floor(cpus / 2);
  const serverCpus = split === 1 ? '0' : `0-${split - 1}`;
  const nodeCpus = split === cpus - 1 ? String(split) : `${split}-${cpus - 1}`;
  const self = spawnSync('taskset', ['-a', '-c', '-p', nodeCpus, String(process.pid)], { stdio: 'ignore' });
  if (self.status !== 0) return none('not pinned: taskset could not set this process affinity');
  const done = new Set<number>();
  let serverPinned = 0;
  return {
    pinned: true,
    get note() {
      return `Node on cores ${nodeCpus}, ${serverPinned} server processes (backends, PgBouncer) on cores ${serverCpus}`;
    },
    pinServer(pids) {
      for (const pid of pids) {
        if (done.has(pid) || !existsSync(`/proc/${pid}/comm`)) continue;
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        if (!/^(postgres|pgbouncer)/.test(comm)) continue;
        done.add(pid);
        if (spawnSync('taskset', ['-c', '-p', serverCpus, String(pid)], { stdio: 'ignore' }).status === 0)
          serverPinned += 1;
      }
    },
  };
}
