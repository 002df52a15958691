/**
 * A hand-written flame graph SVG from a merged call tree (profile/cpuprofile.ts): the root at the
 * bottom, each frame a rect as wide as its total time (self + callees), children left to right from
 * the widest, colored by group. Labels are truncated to fit; every frame's <title> has the full label
 * with self and total time. No library: the file is committed under bench/results/profiles/ and has
 * to open in a browser as it is. Frames narrower than a fraction of a pixel are left out (and so
 * their callees), which keeps the file small without changing what can be seen.
 */
import { GROUPS, type FlameNode, type Group } from '../profile/cpuprofile.js';

const WIDTH = 1200;
const FRAME = 17;
const FONT = 11;
/** Monospace at 11 px: 0.6 em per character. */
const CHAR = FONT * 0.6;
const MIN_PX = 0.3;
const MARGIN = 10;
const HEADER = 56;
/** Two rows of legend. */
const LEGEND = 52;

/** Hue and saturation per group; lightness varies per function so that neighbours stay apart. */
const HUES: Record<Group, [number, number]> = {
  'prisma client runtime': [265, 70],
  '@prisma/adapter-pg': [320, 65],
  'pg/pg-protocol': [28, 85],
  'tenantry engine (packages/prisma/src)': [212, 80],
  'tenantry db (packages/db/src)': [190, 70],
  'bench harness': [150, 55],
  'other packages': [48, 85],
  'node internals/GC': [220, 8],
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function colorOf(group: Group, label: string): string {
  const [h, s] = HUES[group];
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h}, ${s}%, ${62 + (hash % 16)}%)`;
}

/** The label cut to `px` wide (with an ellipsis), or empty when not even three characters fit. */
export function fitLabel(label: string, px: number): string {
  const chars = Math.floor((px - 6) / CHAR);
  if (chars < 3) return '';
  return label.length <= chars ? label : `${label.slice(0, chars - 1)}…`;
}

export interface FlameGraphText {
  title: string;
  subtitle: string;
}

export function renderFlameGraph(root: FlameNode, text: FlameGraphText): string {
  const plot = WIDTH - 2 * MARGIN;
  const scale = root.totalUs > 0 ? plot / root.totalUs : 0;
  const frames: Array<{ node: FlameNode; x: number; w: number; depth: number }> = [];
  const place = (node: FlameNode, x: number, depth: number) => {
    const w = node.totalUs * scale;
    if (w < MIN_PX) return;
    frames.push({ node, x, w, depth });
    let cx = x;
    for (const child of [...node.children].sort((a, b) => b.totalUs - a.totalUs)) {
      place(child, cx, depth + 1);
      cx += child.totalUs * scale;
    }
  };
  place(root, MARGIN, 0);
  const depth = Math.max(0, ...frames.map((f) => f.depth)) + 1;
  const height = HEADER + depth * FRAME + LEGEND;
  const base = HEADER + (depth - 1) * FRAME;
  const pct = (us: number) => (root.totalUs ? ((us / root.totalUs) * 100).toFixed(1) : '0.0');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="ui-monospace, SFMono-Regular, Menlo, monospace" font-size="${FONT}">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="${MARGIN}" y="22" font-size="16" font-weight="600" font-family="system-ui, sans-serif">${esc(text.title)}</text>`,
    `<text x="${MARGIN}" y="42" fill="#4b5563" font-family="system-ui, sans-serif">${esc(text.subtitle)}</text>`,
  ];
  for (const { node, x, w, depth: d } of frames) {
    const y = base - d * FRAME;
    const tip = `${node.label} — total ${(node.totalUs / 1000).toFixed(1)} ms (${pct(node.totalUs)} %), self ${(node.selfUs / 1000).toFixed(1)} ms (${pct(node.selfUs)} %), ${node.group}`;
    const label = fitLabel(node.label, w);
    out.push(
      `<g><title>${esc(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.1, w - 0.4).toFixed(2)}" height="${FRAME - 1}" fill="${colorOf(node.group, node.label)}" rx="1"/>` +
        (label ? `<text x="${(x + 3).toFixed(2)}" y="${y + FRAME - 5}">${esc(label)}</text>` : '') +
        '</g>',
    );
  }
  let lx = MARGIN;
  let ly = height - LEGEND + 20;
  for (const group of GROUPS) {
    const room = 16 + group.length * 6 + 16;
    if (lx + room > WIDTH - MARGIN) {
      lx = MARGIN;
      ly += 18;
    }
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${colorOf(group, '')}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly}" font-family="system-ui, sans-serif">${esc(group)}</text>`);
    lx += room;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
