/**
 * A hand-written SVG bar chart: throughput relative to the baseline, per workload (groups) and
 * strategy (bars), one panel per concurrency. Dashed lines mark 1.0 (the baseline) and 0.90 (the
 * target). No chart library: the file is committed and embedded in the README.
 */
import type { ResultRecord } from '../results.js';
import { STRATEGIES, type MainStrategyName } from '../strategies/index.js';
import { WORKLOADS } from '../workloads.js';

const COLORS: Record<MainStrategyName, string> = {
  baseline: '#9ca3af',
  'prisma-example': '#ef4444',
  'tenantry-direct': '#2563eb',
  'tenantry-pgbouncer-session': '#60a5fa',
  'tenantry-pgbouncer-transaction': '#93c5fd',
  'raw-pg': '#10b981',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSvg(results: ResultRecord[], subtitle: string): string {
  const concurrencies = [...new Set(results.map((r) => r.concurrency))].sort((a, b) => a - b);
  const width = 960;
  const panelHeight = 250;
  const top = 70;
  const left = 60;
  const right = 20;
  const gap = 60;
  const legendHeight = 40;
  const height = top + concurrencies.length * (panelHeight + gap) + legendHeight;
  const maxRatio = Math.max(1.2, ...results.map((r) => r.throughputVsBaseline).filter(Number.isFinite));
  const yMax = Math.ceil(maxRatio * 5) / 5;
  const plotWidth = width - left - right;
  const groupWidth = plotWidth / WORKLOADS.length;
  const barWidth = (groupWidth - 24) / STRATEGIES.length;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<text x="${left}" y="28" font-size="18" font-weight="600">Throughput relative to unscoped Prisma (baseline = 1.0; higher is better)</text>`,
  );
  out.push(`<text x="${left}" y="50" fill="#4b5563">${esc(subtitle)}</text>`);
  concurrencies.forEach((c, panel) => {
    const y0 = top + panel * (panelHeight + gap) + 20;
    const yOf = (v: number) => y0 + panelHeight - (v / yMax) * panelHeight;
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="600">concurrency ${c}</text>`);
    for (let v = 0; v <= yMax + 1e-9; v += 0.2) {
      const y = yOf(v).toFixed(1);
      out.push(`<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
      out.push(
        `<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#6b7280">${v.toFixed(1)}</text>`,
      );
    }
    for (const [value, label] of [
      [1, 'baseline'],
      [0.9, 'target 0.90'],
    ] as const) {
      const y = yOf(value).toFixed(1);
      out.push(
        `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#111827" stroke-dasharray="${value === 1 ? '6 3' : '2 3'}"/>`,
      );
      out.push(
        `<text x="${width - right}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end" fill="#111827" font-size="10">${label}</text>`,
      );
    }
    WORKLOADS.forEach((workload, g) => {
      const gx = left + g * groupWidth + 12;
      STRATEGIES.forEach((strategy, i) => {
        const r = results.find((x) => x.workload === workload && x.concurrency === c && x.strategy === strategy);
        if (!r || !Number.isFinite(r.throughputVsBaseline)) return;
        const x = gx + i * barWidth;
        const y = yOf(r.throughputVsBaseline);
        out.push(
          `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(y0 + panelHeight - y).toFixed(1)}" fill="${COLORS[strategy]}"><title>${strategy} ${workload} c=${c}: ${r.throughputVsBaseline.toFixed(2)}× baseline, ${Math.round(r.rps)} req/s</title></rect>`,
        );
        out.push(
          `<text x="${(x + (barWidth - 2) / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="9" fill="#374151">${r.throughputVsBaseline.toFixed(2)}</text>`,
        );
      });
      out.push(
        `<text x="${(gx + (groupWidth - 24) / 2).toFixed(1)}" y="${y0 + panelHeight + 16}" text-anchor="middle">${workload}</text>`,
      );
    });
  });
  const ly = height - legendHeight + 14;
  let lx = left;
  for (const strategy of STRATEGIES) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[strategy]}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly}">${strategy}</text>`);
    lx += 16 + strategy.length * 6.6 + 18;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
