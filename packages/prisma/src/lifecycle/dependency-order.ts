/**
 * The order of tables along their foreign keys: parents before children (the export's order, so a
 * re-import never meets a dangling reference) and its reverse for deletes. Pure, so the rule is
 * easy to read: Kahn's algorithm, ties broken by name so the order never depends on catalog order.
 */

/** A foreign key from `child` to `parent` (table labels). Self-references are ignored. */
export interface ForeignKeyEdge {
  readonly child: string;
  readonly parent: string;
}

export interface DependencyOrder {
  /** Every table, parents first. Tables on a cycle come last, by name. */
  readonly parentsFirst: readonly string[];
  /** One cycle (its tables in order, the first repeated at the end), or undefined. */
  readonly cycle?: readonly string[];
}

export function dependencyOrder(tables: readonly string[], edges: readonly ForeignKeyEdge[]): DependencyOrder {
  const nodes = [...new Set(tables)].sort();
  const parents = new Map(nodes.map((t) => [t, new Set<string>()]));
  for (const { child, parent } of edges) {
    // A row referencing a row of its own table goes with the same DELETE: no order is needed.
    if (child !== parent && parents.has(child) && parents.has(parent)) parents.get(child)!.add(parent);
  }
  const placed = new Set<string>();
  const order: string[] = [];
  for (;;) {
    const ready = nodes.filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)));
    if (ready.length === 0) break;
    for (const t of ready) {
      placed.add(t);
      order.push(t);
    }
  }
  const rest = nodes.filter((t) => !placed.has(t));
  if (rest.length === 0) return { parentsFirst: order };
  return { parentsFirst: [...order, ...rest], cycle: findCycle(rest, parents) };
}

/** A cycle among `rest` (every one of which has an unplaced parent in `rest`). */
function findCycle(rest: readonly string[], parents: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const inRest = new Set(rest);
  const path: string[] = [];
  let current = rest[0]!;
  while (!path.includes(current)) {
    path.push(current);
    current = [...parents.get(current)!].filter((p) => inRest.has(p)).sort()[0]!;
  }
  const cycle = path.slice(path.indexOf(current));
  // As the references run: child -> parent -> ... -> child.
  return [...cycle, current];
}
