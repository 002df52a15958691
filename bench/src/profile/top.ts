/**
 * The text beside each flame graph (`<name>.top.txt`, also printed): the share of CPU time per group
 * (Prisma's client runtime, adapter-pg, pg, the tenantry engine, node internals and GC, ...), then
 * the top functions by self time and by total time, each with its group.
 */
import type { ProfileSummary } from './cpuprofile.js';

export function topReport(summary: ProfileSummary, heading: string, count = 25): string {
  const cpu = summary.cpuUs || 1;
  const ms = (us: number) => (us / 1000).toFixed(1).padStart(8);
  const pct = (us: number) => `${((us / cpu) * 100).toFixed(1).padStart(5)} %`;
  const idle = summary.wallUs ? (summary.idleUs / summary.wallUs) * 100 : 0;
  const width = Math.max(5, ...summary.functions.map((f) => f.group.length));
  const lines = [
    heading,
    `${summary.samples} samples; CPU ${(summary.cpuUs / 1000).toFixed(0)} ms of ${(summary.wallUs / 1000).toFixed(0)} ms wall (main thread idle ${idle.toFixed(1)} %: waiting on Postgres, mostly). Shares are of CPU time.`,
    '',
    'Self time by group (a native frame, such as JSON.parse, counts toward the group of the JS that called it):',
    ...summary.groups.map((g) => `  ${g.group.padEnd(40)} ${ms(g.selfUs)} ms ${pct(g.selfUs)}`),
    '',
    `Top ${count} by self time:`,
    `  ${'self ms'.padStart(8)} ${'self'.padStart(7)} ${'total'.padStart(7)}  ${'group'.padEnd(width)}  function (file:line)`,
    ...[...summary.functions]
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, count)
      .map((f) => `  ${ms(f.selfUs)} ${pct(f.selfUs)} ${pct(f.totalUs)}  ${f.group.padEnd(width)}  ${f.label}`),
    '',
    `Top ${count} by total time (self + callees; recursion counted once):`,
    `  ${'total ms'.padStart(8)} ${'total'.padStart(7)} ${'self'.padStart(7)}  ${'group'.padEnd(width)}  function (file:line)`,
    ...[...summary.functions]
      .sort((a, b) => b.totalUs - a.totalUs)
      .slice(0, count)
      .map((f) => `  ${ms(f.totalUs)} ${pct(f.totalUs)} ${pct(f.selfUs)}  ${f.group.padEnd(width)}  ${f.label}`),
  ];
  return `${lines.join('\n')}\n`;
}
