/**
 * Seeded tenants for ANY Prisma 7 schema, written through the admin (RLS-bypassing) client: seeding
 * crosses tenants, so it is the legitimate bypass. From the schema (schema-model.ts) it creates, per
 * tenant, the tenant root row (the model the tenant field points to, e.g. Organization), the
 * workspaces, and rows of every tenant-scoped model, plus rows of the global models those require
 * (users for memberships): in dependency order, one `createManyAndReturn` per model for all tenants.
 *
 * Every required relation points at a row of the SAME tenant (and, through a composite key that
 * carries the workspace field, the same workspace), so the seed itself never crosses tenants.
 * Strings start with the tenant's label (`alpha team 0`): a foreign row in an assertion names whose
 * it is.
 *
 * @example
 * const [alpha, beta] = await seedTenants(admin, ['alpha', 'beta'], { tenantField: 'organizationId', workspaceField: 'teamId' });
 * alpha.known.get('Note'); // ids of alpha's notes, targets for the fuzzer
 */
import { randomInt } from 'node:crypto';
import { createRandom, type Random } from './fuzz/random.js';
import type { AnyPrismaClient, FuzzTenant } from './fuzz/types.js';
import { idValue, scalarValue } from './row-values.js';
import { schemaModelOf, type ModelDef, type SchemaModel, type SchemaModelOptions } from './schema-model.js';

export type Row = Record<string, unknown>;

export interface SeededTenant extends FuzzTenant {
  label: string;
  /** The rows written for this tenant, per model (what the database returned). */
  rows: Map<string, Row[]>;
}

export interface TenantSeedInfo {
  label: string;
  tenantId: string;
  workspaceIds: readonly string[];
  /** The rows already written for this tenant, per model (dependencies are seeded first). */
  rows: ReadonlyMap<string, readonly Row[]>;
}

export interface SeedTenantsOptions extends SchemaModelOptions {
  /** Rows of every model per tenant (global models a tenant model requires too). Default 2. */
  rowsPerModel?: number;
  /** Rows per tenant of some models, overriding rowsPerModel; 0 skips a model nothing requires. */
  counts?: Record<string, number>;
  /** Workspaces per tenant (rows of the workspace model). Default 2. */
  workspaces?: number;
  /** Seed of the ids and unique values (replayable); default random. */
  seed?: number;
  /**
   * Values of a row before the seeder fills the rest (names, a foreign key to pick a particular
   * row); the seeder then only picks relation targets that agree with them.
   */
  values?: (model: string, index: number, tenant: TenantSeedInfo) => Row | undefined;
  /**
   * Models whose rows may exist already, e.g. a global user the caller names by its id in `values`:
   * written with ON CONFLICT DO NOTHING and read back by their primary key, so an existing row is
   * used as it is (not updated), and tenants that name the same row share it.
   */
  reuseExisting?: readonly string[];
  /** An already-read schema model (skips reading the schema file). */
  schemaModel?: SchemaModel;
}

/**
 * One seeded tenant per label, in order (or `count` of them, labelled t0, t1, ...).
 * @returns per tenant its label, tenantId, workspaceIds, the ids per model (`known`, with
 * `Model@<workspaceId>` lists for workspace-scoped models) and the rows.
 */
export async function seedTenants(
  admin: AnyPrismaClient,
  labelsOrCount: readonly string[] | number,
  options: SeedTenantsOptions = {},
): Promise<SeededTenant[]> {
  const schema = options.schemaModel ?? (await schemaModelOf(admin, options));
  const labels =
    typeof labelsOrCount === 'number' ? Array.from({ length: labelsOrCount }, (_, i) => `t${i}`) : [...labelsOrCount];
  const rng = createRandom(options.seed ?? randomInt(1, 2 ** 31));
  const { workspaceField } = schema.fields;
  const workspaceCount =
    schema.workspaceModel || [...schema.models.values()].some((m) => m.workspace) ? (options.workspaces ?? 2) : 0;

  const tenants: SeededTenant[] = labels.map((label) => ({
    label,
    tenantId: rng.uuid(),
    workspaceIds: Array.from({ length: workspaceCount }, () => rng.uuid()),
    known: new Map(),
    rows: new Map(),
  }));

  const order = seedOrder(schema);
  for (const model of order) {
    const count =
      model.name === schema.root?.model
        ? 1
        : model.name === schema.workspaceModel?.model
          ? workspaceCount
          : (options.counts?.[model.name] ?? options.rowsPerModel ?? 2);
    if (count === 0) continue;
    const planned: Array<{ tenant: SeededTenant; row: Row }> = [];
    for (const tenant of tenants) {
      for (let i = 0; i < count; i++) planned.push({ tenant, row: planRow(schema, model, tenant, i, rng, options) });
    }
    const reuse = options.reuseExisting?.includes(model.name) ?? false;
    // Rows that may exist are not deduplicated: a repeated one is the same row, shared.
    const kept = reuse ? planned : dedupe(model, planned);
    const delegate = admin[model.delegate];
    for (let start = 0; start < kept.length; start += 1000) {
      const chunk = kept.slice(start, start + 1000);
      const data = chunk.map((p) => p.row);
      // Postgres returns an INSERT's rows in the order of its VALUES, but Citus does not (each shard
      // answers for its own rows): each planned row is paired with the returned row that has its values.
      const created = reuse
        ? await createOrFind(delegate, model, data)
        : inPlannedOrder(data, (await delegate.createManyAndReturn({ data })) as Row[]);
      created.forEach((row, i) => {
        const { tenant } = chunk[i]!;
        tenant.rows.set(model.name, [...(tenant.rows.get(model.name) ?? []), row]);
        const id = idOf(model, row);
        if (id === undefined) return;
        tenant.known.set(model.name, [...(tenant.known.get(model.name) ?? []), id]);
        if (model.workspace && typeof row[workspaceField] === 'string') {
          const key = `${model.name}@${row[workspaceField]}`;
          tenant.known.set(key, [...(tenant.known.get(key) ?? []), id]);
        }
      });
    }
  }
  if (schema.workspaceModel) for (const t of tenants) t.known.set(schema.workspaceModel.model, [...t.workspaceIds]);
  return tenants;
}

const sameReturned = (a: unknown, b: unknown): boolean =>
  a instanceof Date || b instanceof Date
    ? new Date(a as string).getTime() === new Date(b as string).getTime()
    : a === b || (a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b));

/** `returned` reordered so that row i carries planned[i]'s values (Citus returns rows shard by shard). */
export function inPlannedOrder(planned: Row[], returned: Row[]): Row[] {
  if (planned.length !== returned.length) return returned;
  const left = new Set(returned.keys());
  const ordered: Row[] = [];
  for (const want of planned) {
    const keys = Object.keys(want).filter((k) => want[k] !== undefined && typeof want[k] !== 'object');
    const match = [...left].find((i) => keys.every((k) => sameReturned(want[k], returned[i]![k])));
    if (match === undefined) return returned; // nothing to pair by: keep Postgres's order
    left.delete(match);
    ordered.push(returned[match]!);
  }
  return ordered;
}

/** The id the fuzzer targets a row by: its `id` field, else a single-field primary key. */
export function idOf(model: ModelDef, row: Row): string | undefined {
  const key = model.scalars.some((f) => f.name === 'id')
    ? 'id'
    : model.primaryKey.length === 1
      ? model.primaryKey[0]!
      : undefined;
  const value = key === undefined ? undefined : row[key];
  return value === undefined || value === null ? undefined : String(value);
}

/** The models to seed (root, workspaces, tenant models, and the global models they require), dependencies first. */
export function seedOrder(schema: SchemaModel): ModelDef[] {
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const r of schema.models.get(name)!.relations) if (requires(r) && r.target !== name) visit(r.target);
  };
  if (schema.root) visit(schema.root.model);
  for (const m of schema.models.values()) if (m.tenant) visit(m.name);

  const ordered: ModelDef[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const place = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new Error(
        `Cannot seed the schema because its required relations form a cycle (${[...path, name].join(' -> ')}). Make one of them optional.`,
      );
    }
    state.set(name, 'visiting');
    const model = schema.models.get(name)!;
    for (const r of model.relations) if (requires(r) && r.target !== name) place(r.target, [...path, name]);
    state.set(name, 'done');
    ordered.push(model);
  };
  for (const name of wanted) place(name, []);
  return ordered;
}

/** A relation this model's rows must set: it holds the foreign key and a row cannot exist without it. */
export function requires(r: ModelDef['relations'][number]): boolean {
  return r.fromFields.length > 0 && !r.isList && r.isRequired;
}

function planRow(
  schema: SchemaModel,
  model: ModelDef,
  tenant: SeededTenant,
  index: number,
  rng: Random,
  options: SeedTenantsOptions,
): Row {
  const { tenantField, workspaceField } = schema.fields;
  const info: TenantSeedInfo = {
    label: tenant.label,
    tenantId: tenant.tenantId,
    workspaceIds: tenant.workspaceIds,
    rows: tenant.rows,
  };
  const row: Row = { ...(options.values?.(model.name, index, info) ?? {}) };
  const set = (field: string, value: unknown) => {
    if (row[field] === undefined && value !== undefined) row[field] = value;
  };
  if (model.name === schema.root?.model) set(schema.root.field, tenant.tenantId);
  if (model.name === schema.workspaceModel?.model) set(schema.workspaceModel.field, tenant.workspaceIds[index]);
  if (model.tenant) set(tenantField, tenant.tenantId);
  fillRelations(schema, model, row, index, (target) => tenant.rows.get(target) ?? [], `tenant ${tenant.label}`);
  if (model.workspace && tenant.workspaceIds.length)
    set(workspaceField, tenant.workspaceIds[index % tenant.workspaceIds.length]);
  for (const field of model.scalars) {
    if (row[field.name] !== undefined) continue;
    // Primary keys the database would generate: drawn here, so the ids replay from the seed.
    if (model.primaryKey.includes(field.name) && field.hasDefault) set(field.name, idValue(field, rng));
    else set(field.name, scalarValue(field, { label: tenant.label, index, rng, enums: schema.enums }));
  }
  return row;
}

/**
 * Sets the foreign keys of every required relation of `row` to a row of `candidatesOf(target)`
 * that agrees with what the row already holds (its tenant, its workspace, other keys). The
 * relations with the most key fields pick first: a composite key that carries the workspace decides
 * it, and the shorter keys then follow that choice.
 */
export function fillRelations(
  schema: SchemaModel,
  model: ModelDef,
  row: Row,
  index: number,
  candidatesOf: (target: string) => Row[],
  who: string,
  skip: ReadonlySet<string> = new Set(),
): void {
  const relations = model.relations
    .filter((r) => requires(r) && r.target !== model.name && !skip.has(r.name))
    .sort((a, b) => b.fromFields.length - a.fromFields.length);
  for (const r of relations) {
    const matching = candidatesOf(r.target).filter((c) =>
      r.fromFields.every((f, i) => row[f] === undefined || sameValue(row[f], c[r.toFields[i]!])),
    );
    if (matching.length === 0) {
      if (r.target === schema.root?.model && model.tenant) continue; // the tenant field already names the root row
      throw new Error(
        `Cannot seed ${model.name} for ${who} because no ${r.target} row matches its relation ${r.name} (${r.fromFields.join(', ')}). ` +
          `Seed at least one ${r.target} per tenant${model.workspace ? ' and workspace' : ''} (counts.${r.target}).`,
      );
    }
    const target = matching[index % matching.length]!;
    r.fromFields.forEach((f, i) => {
      if (row[f] === undefined) row[f] = target[r.toFields[i]!];
    });
  }
}

/**
 * Inserts the rows that do not exist yet and returns, per row, the one the database holds under its
 * primary key (the new row or the one that was there). A row skipped for a conflict on another
 * unique key has no such row: that is an error, not a silent reuse of a different row.
 */
async function createOrFind(delegate: AnyPrismaClient, model: ModelDef, rows: Row[]): Promise<Row[]> {
  const key = model.primaryKey;
  if (key.length === 0 || rows.some((r) => key.some((f) => r[f] === undefined))) {
    throw new Error(
      `Cannot reuse existing ${model.name} rows because their primary key (${key.join(', ') || 'none'}) is not known before the insert. Set it in \`values\`, or leave ${model.name} out of reuseExisting.`,
    );
  }
  const keyOf = (r: Row) => JSON.stringify(key.map((f) => String(r[f]).toLowerCase()));
  await delegate.createMany({ data: rows, skipDuplicates: true });
  const found = (await delegate.findMany({
    where: { OR: rows.map((r) => Object.fromEntries(key.map((f) => [f, r[f]]))) },
  })) as Row[];
  const byKey = new Map(found.map((r) => [keyOf(r), r]));
  return rows.map((r) => {
    const row = byKey.get(keyOf(r));
    if (!row) {
      throw new Error(
        `Cannot seed ${model.name} because a row conflicts with an existing one on a unique key other than its primary key (${key.join(', ')}). Give it unique values in \`values\`.`,
      );
    }
    return row;
  });
}

const sameValue = (a: unknown, b: unknown) => String(a).toLowerCase() === String(b).toLowerCase();

/** Drops planned rows whose unique key (all its fields known) repeats an earlier row's. */
function dedupe<T extends { row: Row }>(model: ModelDef, planned: T[]): T[] {
  const seen = model.uniqueKeys.map(() => new Set<string>());
  return planned.filter(({ row }) => {
    const keys = model.uniqueKeys.map((key) =>
      key.every((f) => row[f] !== undefined) ? JSON.stringify(key.map((f) => String(row[f]))) : undefined,
    );
    if (keys.some((k, i) => k !== undefined && seen[i]!.has(k))) return false;
    keys.forEach((k, i) => k !== undefined && seen[i]!.add(k));
    return true;
  });
}
