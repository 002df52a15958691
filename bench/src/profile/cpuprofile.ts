/**
 * Reads a V8 `.cpuprofile` (what `--cpu-prof` and the inspector's Profiler.stop give) into what the
 * flame graph and the top lists need: the call tree merged by call path (one frame per function
 * along a path, however many nodes V8 split it into), self and total time per function,
 * and the share of CPU time per group (Prisma's client runtime, adapter-pg, pg, the tenantry engine,
 * node internals and GC, ...).
 *
 * Time per sample is the delta to the next sample (DevTools' convention); `(idle)` is time the main
 * thread waited (on Postgres, mostly) and is kept out of the CPU total and the flame graph.
 */

/** The subset of the DevTools protocol's Profiler.Profile this reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export const GROUPS = [
  'prisma client runtime',
  '@prisma/adapter-pg',
  'pg/pg-protocol',
  'tenantry engine (packages/prisma/src)',
  'tenantry db (packages/db/src)',
  'bench harness',
  'other packages',
  'node internals/GC',
] as const;
export type Group = (typeof GROUPS)[number];

/** One frame of the merged call tree. Times in microseconds. */
export interface FlameNode {
  key: string;
  label: string;
  group: Group;
  selfUs: number;
  totalUs: number;
  children: FlameNode[];
}

export interface FunctionStat {
  key: string;
  label: string;
  /** The function's own group, or `native` for V8 builtins (no script). */
  group: Group | 'native';
  selfUs: number;
  /** Time with the function anywhere on the stack, counted once per sample under recursion. */
  totalUs: number;
}

export interface ProfileSummary {
  samples: number;
  wallUs: number;
  idleUs: number;
  /** Non-idle time: the flame graph's root. */
  cpuUs: number;
  root: FlameNode;
  functions: FunctionStat[];
  /** Self time per group; a native frame counts toward the group of the JS that called it. */
  groups: Array<{ group: Group; selfUs: number }>;
}

const PG_PACKAGES = new Set([
  'pg',
  'pg-protocol',
  'pg-pool',
  'pg-types',
  'pg-connection-string',
  'pgpass',
  'pg-int8',
  'postgres-array',
  'postgres-bytea',
  'postgres-date',
  'postgres-interval',
]);

/** `@scope/name` or `name` of the last node_modules segment, or undefined outside node_modules. */
export function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const [first, second] = url.slice(at + '/node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

/** The group of a frame with a script; undefined for natives (no url) and V8's pseudo-frames. */
export function groupOf(url: string, root: string): Group | undefined {
  if (url === '') return undefined;
  const pkg = packageOf(url);
  if (pkg) {
    if (pkg === '@prisma/adapter-pg' || pkg === '@prisma/driver-adapter-utils') return '@prisma/adapter-pg';
    if (pkg.startsWith('@prisma/') || pkg === 'prisma') return 'prisma client runtime';
    if (PG_PACKAGES.has(pkg)) return 'pg/pg-protocol';
    if (pkg === '@tenantry/prisma') return 'tenantry engine (packages/prisma/src)';
    return 'other packages';
  }
  if (url.startsWith('node:') || !url.includes('/')) return 'node internals/GC';
  // Prisma's query compiler runs as WebAssembly; the generated client is Prisma's code, not ours.
  if (url.startsWith('wasm:')) return 'prisma client runtime';
  const file = relativeTo(url, root);
  if (file.includes('/generated/')) return 'prisma client runtime';
  if (file.startsWith('packages/prisma/src/')) return 'tenantry engine (packages/prisma/src)';
  if (file.startsWith('packages/db/src/')) return 'tenantry db (packages/db/src)';
  if (file.startsWith('bench/')) return 'bench harness';
  return 'other packages';
}

function relativeTo(url: string, root: string): string {
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const base = root.endsWith('/') ? root : `${root}/`;
  return file.startsWith(base) ? file.slice(base.length) : file;
}

/**
 * `function (file:line)`: a package name for node_modules, a repository-relative path otherwise.
 * tsx compiles each TypeScript module onto one line, so V8's line is always 1 there and says nothing:
 * such frames show the column instead (of the compiled line), which at least tells functions apart.
 */
export function frameLabel(frame: CpuProfile['nodes'][number]['callFrame'], root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return name.startsWith('(') ? name : `${name} (native)`;
  const where = packageOf(frame.url) ?? relativeTo(frame.url, root);
  if (frame.lineNumber === 0 && /\.[cm]?tsx?$/.test(where)) return `${name} (${where} col ${frame.columnNumber ?? 0})`;
  return `${name} (${where}:${frame.lineNumber + 1})`;
}

const PSEUDO_GC = new Set(['(garbage collector)', '(program)']);

export function summarizeProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let at = profile.startTime;
  const stamps = deltas.map((d) => (at += d));
  samples.forEach((id, i) => {
    const next = i + 1 < stamps.length ? stamps[i + 1]! : profile.endTime;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next - stamps[i]!));
  });

  const functions = new Map<string, FunctionStat>();
  const groups = new Map<Group, number>(GROUPS.map((g) => [g, 0]));
  let idleUs = 0;
  // Line and column: in minified and tsx-compiled code, many functions share a line.
  const keyOf = (f: CpuProfile['nodes'][number]['callFrame']) =>
    `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber ?? 0}`;
  const merged: FlameNode = {
    key: '(root)',
    label: 'all',
    group: 'node internals/GC',
    selfUs: 0,
    totalUs: 0,
    children: [],
  };

  // Depth-first from V8's root; `onPath` holds each function once, so recursion counts once in totals.
  const walk = (id: number, parent: FlameNode, inherited: Group, onPath: Set<string>) => {
    const node = byId.get(id);
    if (!node) return;
    const frame = node.callFrame;
    const own = selfUs.get(id) ?? 0;
    if (frame.functionName === '(idle)' && frame.url === '') {
      idleUs += own;
      return;
    }
    const isRoot = frame.functionName === '(root)' && frame.url === '';
    const scriptGroup = groupOf(frame.url, root);
    const group: Group = scriptGroup ?? (PSEUDO_GC.has(frame.functionName) ? 'node internals/GC' : inherited);
    let here = parent;
    const path = new Set(onPath);
    if (!isRoot) {
      const key = keyOf(frame);
      path.add(key);
      here = parent.children.find((c) => c.key === key) ?? pushChild(parent, key, frameLabel(frame, root), group);
      here.selfUs += own;
      const stat = functions.get(key) ?? {
        key,
        label: here.label,
        group: scriptGroup ?? (PSEUDO_GC.has(frame.functionName) ? 'node internals/GC' : 'native'),
        selfUs: 0,
        totalUs: 0,
      };
      stat.selfUs += own;
      functions.set(key, stat);
      for (const k of path) functions.get(k)!.totalUs += own;
      groups.set(group, groups.get(group)! + own);
    }
    for (const child of node.children ?? []) walk(child, here, group, path);
  };
  const top = profile.nodes.find((n) => n.callFrame.functionName === '(root)') ?? profile.nodes[0];
  if (top) walk(top.id, merged, 'node internals/GC', new Set());
  // Totals bottom-up on the merged tree.
  const total = (n: FlameNode): number => (n.totalUs = n.selfUs + n.children.reduce((s, c) => s + total(c), 0));
  total(merged);
  return {
    samples: samples.length,
    wallUs: profile.endTime - profile.startTime,
    idleUs,
    cpuUs: merged.totalUs,
    root: merged,
    functions: [...functions.values()],
    groups: [...groups].map(([group, us]) => ({ group, selfUs: us })).sort((a, b) => b.selfUs - a.selfUs),
  };
}

function pushChild(parent: FlameNode, key: string, label: string, group: Group): FlameNode {
  const child: FlameNode = { key, label, group, selfUs: 0, totalUs: 0, children: [] };
  parent.children.push(child);
  return child;
}
