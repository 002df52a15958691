// Scale-out on Citus (docs/citus.md): turns a database that Prisma Migrate built on a Citus
// coordinator into a distributed one, from the live catalog, never from a list:
//   - every table with the tenant column becomes a distributed table by that column, all colocated
//     (tenant-keyed composite keys and foreign keys already lead with it, so a tenant's rows and
//     joins stay on one node);
//   - every other table of the schemas (the global ones: tenants, users, ...) becomes a reference
//     table, copied to every node, so foreign keys from tenant tables to them keep working;
//   - every policy is rewritten into a form Citus accepts on distributed tables: Citus refuses
//     subqueries in policies, and the engine's fail-closed InitPlan form
//     `(SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)` is one. The plain
//     `NULLIF(current_setting(...), '')::uuid` means the same (current_setting is STABLE: evaluated
//     once per statement, on each node, from the SET LOCAL the engine's Citus mode sends). Any other
//     subquery (EXISTS over another table, ...) is refused before anything changes, naming the
//     policy: move it into a STABLE function (docs/citus.md shows how).
// Prisma reads enum columns back as `"col"::text` in RETURNING, which Citus refuses for a
// parameterized statement ("non-IMMUTABLE functions are not allowed in the RETURNING clause": the
// enum's output function is STABLE). Each enum type of the tables gets an explicit IMMUTABLE cast to
// text (the same enum_out), which Postgres then prefers over the I/O conversion.
// Foreign keys are dropped and added again around the distribution (Citus cannot distribute a table
// that references a local one); triggers are allowed (`citus.enable_unsafe_triggers`) and listed:
// on Citus a trigger runs on the shard, so it may only touch rows of the same tenant.
//
// Run it once, as the owner (DIRECT_URL) on the coordinator, after `migrate deploy`. Later
// migrations on a distributed schema are ordinary DDL, which Citus propagates; a migration that
// creates a new tenant table must distribute it (`distributeForCitus` again: it skips what is done).
import type pg from 'pg';
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from './columns.js';

export class CitusSetupError extends Error {
  override name = 'CitusSetupError';
}

export interface DistributeOptions {
  /** Schemas whose tables are distributed (default ['public']). */
  schemas?: string[];
  /** The tenant column (default tenant_id). */
  columns?: TenantColumns;
  /** The runtime role, which gets `citus.propagate_set_commands = 'local'` as its default (default tenantry_app). */
  runtimeRole?: string;
  /** Tables left alone (local to the coordinator). Default: Prisma's `_prisma_migrations`. */
  keepLocal?: string[];
  /** Nodes with shards a cluster must have (default 1; the test lane asks for 2). */
  minWorkers?: number;
  log?: (line: string) => void;
}

export interface DistributionResult {
  distributed: string[];
  reference: string[];
  /** `table: policy` for each policy rewritten into the Citus form. */
  policiesRewritten: string[];
  foreignKeys: number;
  /** `table: trigger` for each trigger now running on shards. */
  triggers: string[];
  /** Enum types that got an IMMUTABLE cast to text (see above). */
  enumCasts: string[];
  workers: number;
}

/** The InitPlan form of a setting as Postgres deparses it (pg_policies), and its plain equivalent. */
const INITPLAN_SETTING =
  /\( SELECT \(NULLIF\(current_setting\('([a-z_][a-z0-9_.]*)'::text, true\), ''::text\)\)::uuid AS "nullif"\)/g;
const PLAIN_SETTING = "(NULLIF(current_setting('$1'::text, true), ''::text))::uuid";

/** The expression with every InitPlan setting made plain; null stays null. */
export function citusPolicyExpression(expression: string | null): string | null {
  return expression === null ? null : expression.replace(INITPLAN_SETTING, PLAIN_SETTING);
}

/** True when a deparsed expression still holds a subquery, which Citus refuses in a policy. */
export function hasSubquery(expression: string | null): boolean {
  return expression !== null && /\(\s*SELECT\b/i.test(expression);
}

const addForeignKey = (fk: { table: string; name: string; definition: string }, tenantColumn: string) =>
  `ALTER TABLE ${fk.table} ADD CONSTRAINT ${ident(fk.name)} ${citusForeignKey(fk.definition, tenantColumn)}`;

/**
 * A foreign key as Citus takes it: Citus refuses ON UPDATE CASCADE / SET NULL / SET DEFAULT on a key
 * that includes the distribution column (a shard cannot move a row to another shard), and a
 * distribution column is never updated on Citus anyway, so such a key gets ON UPDATE NO ACTION.
 * ON DELETE actions stay.
 */
export function citusForeignKey(definition: string, tenantColumn = DEFAULT_TENANT_COLUMNS.tenant): string {
  const columns = /^FOREIGN KEY \(([^)]*)\)/
    .exec(definition)?.[1]
    ?.split(',')
    .map((c) => c.trim().replaceAll('"', ''));
  if (!columns?.includes(tenantColumn)) return definition;
  return definition.replace(/ ON UPDATE (CASCADE|SET NULL|SET DEFAULT)(?: \([^)]*\))?/, '');
}
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const qualified = (schema: string, table: string) => `${ident(schema)}.${ident(table)}`;

/** A table by schema and name. */
export interface CitusTable {
  schema: string;
  name: string;
}

/**
 * What it takes to distribute a schema, read from its catalog (planCitusDistribution): the same plan
 * is run by distributeForCitus on a live coordinator, or written into a migration by
 * renderCitusMigration, where it runs on a coordinator and does nothing on a single PostgreSQL.
 */
export interface CitusPlan {
  tenantColumn: string;
  runtimeRole: string;
  /** Policies whose tenant settings go into the plain form (qual/check already rewritten). */
  policies: { schema: string; table: string; name: string; qual: string | null; check: string | null }[];
  /** Enum types that get an IMMUTABLE cast to text (see the header). */
  enums: CitusTable[];
  /** Foreign keys from or to the tables, set aside and added back in the Citus form. */
  foreignKeys: { table: string; name: string; definition: string }[];
  /** In this order: first the reference tables, then the distributed ones. */
  reference: CitusTable[];
  distributed: CitusTable[];
  /** The table every distributed one is colocated with (an already distributed one, or the first). */
  colocateWith?: CitusTable;
  triggers: { table: string; name: string }[];
}

export interface PlanOptions {
  schemas?: string[];
  columns?: TenantColumns;
  runtimeRole?: string;
  keepLocal?: string[];
}

/**
 * Plans the distribution of the schemas' tables from the live catalog. Works on a plain PostgreSQL
 * too (every table is then still to do), which is how a migration is generated from a development
 * database. A policy with a subquery other than the tenant settings stops it before anything
 * changes (CitusSetupError, naming the policies).
 */
export async function planCitusDistribution(client: pg.ClientBase, options: PlanOptions = {}): Promise<CitusPlan> {
  const schemas = options.schemas ?? ['public'];
  const tenantColumn = (options.columns ?? DEFAULT_TENANT_COLUMNS).tenant;
  const runtimeRole = options.runtimeRole ?? 'tenantry_app';
  const keepLocal = new Set(options.keepLocal ?? ['_prisma_migrations']);
  const { rowCount: hasCitus } = await client.query("select 1 from pg_extension where extname = 'citus'");
  const { rows: tables } = await client.query<{ schema: string; name: string; tenant: boolean; done: boolean }>(
    `select n.nspname as schema, c.relname as name,
            exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = $2 and not a.attisdropped) as tenant,
            ${hasCitus ? 'exists (select 1 from pg_dist_partition p where p.logicalrelid = c.oid)' : 'false'} as done
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1) and not c.relispartition
      order by n.nspname, c.relname`,
    [schemas, tenantColumn],
  );
  const inScope = tables.filter((t) => !keepLocal.has(t.name));
  const todo = inScope.filter((t) => !t.done);
  const plan: CitusPlan = {
    tenantColumn,
    runtimeRole,
    policies: [],
    enums: [],
    foreignKeys: [],
    reference: todo.filter((t) => !t.tenant).map(({ schema, name }) => ({ schema, name })),
    distributed: todo.filter((t) => t.tenant).map(({ schema, name }) => ({ schema, name })),
    triggers: [],
  };
  const anchor = inScope.find((t) => t.tenant && t.done) ?? plan.distributed[0];
  if (anchor) plan.colocateWith = { schema: anchor.schema, name: anchor.name };
  if (todo.length === 0) return plan;
  const names = todo.map((t) => qualified(t.schema, t.name));

  const { rows: policies } = await client.query<CitusPlan['policies'][number]>(
    `select schemaname as schema, tablename as table, policyname as name, qual, with_check as check
       from pg_policies where schemaname = any($1) order by 1, 2, 3`,
    [schemas],
  );
  const todoKeys = new Set(todo.map((t) => `${t.schema}.${t.name}`));
  const refused: string[] = [];
  for (const policy of policies) {
    if (!todoKeys.has(`${policy.schema}.${policy.table}`)) continue;
    const qual = citusPolicyExpression(policy.qual);
    const check = citusPolicyExpression(policy.check);
    if (hasSubquery(qual) || hasSubquery(check)) refused.push(`"${policy.name}" on ${policy.schema}.${policy.table}`);
    else if (qual !== policy.qual || check !== policy.check) plan.policies.push({ ...policy, qual, check });
  }
  if (refused.length > 0) {
    throw new CitusSetupError(
      `Cannot distribute the tables because Citus refuses subqueries in policies, and ${refused.length === 1 ? 'this policy has one' : 'these policies have one'} ` +
        `besides the tenant settings: ${refused.join(', ')}. Move the subquery into a STABLE function and call that in the policy ` +
        '(docs/citus.md, "Policies with subqueries"), then run again. Nothing was changed.',
    );
  }
  ({ rows: plan.foreignKeys } = await client.query<CitusPlan['foreignKeys'][number]>(
    `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition
       from pg_constraint
      where contype = 'f' and (conrelid = any($1::regclass[]) or confrelid = any($1::regclass[]))
      order by conrelid::regclass::text, conname`,
    [names],
  ));
  ({ rows: plan.triggers } = await client.query<CitusPlan['triggers'][number]>(
    `select tgrelid::regclass::text as table, tgname as name from pg_trigger
      where not tgisinternal and tgrelid = any($1::regclass[]) order by 1, 2`,
    [names],
  ));
  ({ rows: plan.enums } = await client.query<CitusTable>(
    `select distinct tn.nspname as schema, t.typname as name
       from pg_attribute a join pg_type t on t.oid = a.atttypid join pg_namespace tn on tn.oid = t.typnamespace
      where a.attrelid = any($1::regclass[]) and t.typtype = 'e' and not a.attisdropped
        and not exists (select 1 from pg_cast c where c.castsource = t.oid and c.casttarget = 'text'::regtype)
      order by 1, 2`,
    [names],
  ));
  return plan;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The plan as SQL, in three steps: before the distribution, the distribution calls, after it. */
export function citusStatements(plan: CitusPlan): { prepare: string[]; distribute: string[]; finish: string[] } {
  const prepare: string[] = [];
  for (const p of plan.policies) {
    const parts = [p.qual !== null ? `USING (${p.qual})` : '', p.check !== null ? `WITH CHECK (${p.check})` : ''];
    prepare.push(`ALTER POLICY ${ident(p.name)} ON ${qualified(p.schema, p.table)} ${parts.filter(Boolean).join(' ')}`);
  }
  for (const e of plan.enums) {
    const type = qualified(e.schema, e.name);
    const fn = qualified(e.schema, `tenantry_${e.name}_to_text`.slice(0, 63));
    prepare.push(
      `CREATE FUNCTION ${fn}(${type}) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ` +
        'AS $$ SELECT pg_catalog.textin(pg_catalog.enum_out($1)) $$',
      `CREATE CAST (${type} AS text) WITH FUNCTION ${fn}(${type})`,
    );
  }
  for (const fk of plan.foreignKeys) prepare.push(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${ident(fk.name)}`);
  const distribute: string[] = [];
  for (const t of plan.reference) distribute.push(`create_reference_table(${literal(qualified(t.schema, t.name))})`);
  const anchor = plan.colocateWith;
  for (const t of plan.distributed) {
    const first = !anchor || (anchor.schema === t.schema && anchor.name === t.name);
    const colocate = first ? 'default' : qualified(anchor.schema, anchor.name);
    distribute.push(
      `create_distributed_table(${literal(qualified(t.schema, t.name))}, ${literal(plan.tenantColumn)}, colocate_with => ${literal(colocate)})`,
    );
  }
  const finish = plan.foreignKeys.map((fk) => addForeignKey(fk, plan.tenantColumn));
  finish.push(`ALTER ROLE ${ident(plan.runtimeRole)} SET citus.propagate_set_commands = 'local'`);
  return { prepare, distribute, finish };
}

export async function distributeForCitus(
  client: pg.ClientBase,
  options: DistributeOptions = {},
): Promise<DistributionResult> {
  const log = options.log ?? (() => {});
  const citus = await client.query<{ version: string }>(
    "select extversion as version from pg_extension where extname = 'citus'",
  );
  if (citus.rowCount === 0) {
    throw new CitusSetupError(
      'Cannot distribute the tables because this database has no citus extension. Connect DIRECT_URL to a Citus coordinator ' +
        '(CREATE EXTENSION citus in this database, on every node) and run again.',
    );
  }
  const { rows: workerRows } = await client.query<{ n: number }>(
    "select count(*)::int as n from pg_dist_node where noderole = 'primary' and isactive and shouldhaveshards and groupid > 0",
  );
  const workers = workerRows[0]?.n ?? 0;
  if (workers < (options.minWorkers ?? 1)) {
    throw new CitusSetupError(
      `Cannot distribute the tables because the cluster has ${workers} worker node(s) with shards, fewer than ${options.minWorkers ?? 1}. ` +
        "Add workers with SELECT citus_add_node('<host>', <port>) on the coordinator.",
    );
  }
  // Plan first: a policy Citus cannot take stops everything before the first change.
  const plan = await planCitusDistribution(client, options);
  const result: DistributionResult = {
    distributed: plan.distributed.map((t) => `${t.schema}.${t.name}`),
    reference: plan.reference.map((t) => `${t.schema}.${t.name}`),
    policiesRewritten: plan.policies.map((p) => `${p.table}: ${p.name}`),
    foreignKeys: plan.foreignKeys.length,
    triggers: plan.triggers.map((t) => `${t.table}: ${t.name}`),
    enumCasts: plan.enums.map((e) => `${e.schema}.${e.name}`),
    workers,
  };
  if (plan.reference.length + plan.distributed.length === 0) {
    log('citus: every table is distributed already; nothing to do');
    return result;
  }
  const { prepare, distribute, finish } = citusStatements(plan);

  await client.query('BEGIN');
  try {
    for (const statement of prepare) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  log(`citus: ${plan.policies.length} policies in the Citus form, ${plan.foreignKeys.length} foreign keys set aside`);

  // Distribution runs outside a transaction block (Citus copies each table's rows into its shards).
  // A failure here leaves foreign keys set aside: the error lists the statements that add them back.
  const pendingForeignKeys = finish.slice(0, plan.foreignKeys.length);
  try {
    await client.query('SET citus.enable_unsafe_triggers = on');
    for (const call of distribute) await client.query(`select ${call}`);
    log(
      `citus: reference tables ${result.reference.join(', ') || '(none)'}; distributed by ${plan.tenantColumn}: ${result.distributed.join(', ') || '(none)'}`,
    );
    while (finish.length > 0) {
      await client.query(finish[0]!);
      finish.shift();
      if (pendingForeignKeys.length > 0) pendingForeignKeys.shift();
    }
  } catch (error) {
    const restore = pendingForeignKeys.map((sql) => `${sql};`).join(' ');
    throw new CitusSetupError(
      `Cannot finish distributing the tables: ${(error as Error).message}. ` +
        (pendingForeignKeys.length > 0
          ? `${pendingForeignKeys.length} foreign key(s) are still set aside; after fixing the cause, run again and then add them back: ${restore}`
          : 'Fix the cause and run again: distributed tables are skipped.'),
      { cause: error },
    );
  }
  return result;
}

/** The first line of a migration that renderCitusMigration wrote; later migrations look for it. */
export const CITUS_MIGRATION_MARKER = '-- tenantry: citus distribution';

/** The guard every Citus block in a migration starts with: nothing happens without the extension. */
export const CITUS_GUARD = "NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus')";

/**
 * The plan as a migration: one DO block that, on a database with the citus extension (a Citus
 * coordinator with its workers registered), distributes the tables in the plan's order, inside the
 * migration's transaction, and on any other PostgreSQL (a single node, `migrate dev`'s shadow
 * database) does nothing. `before` (SQL, run first on Citus only) is where a schema moves its own
 * subqueries out of its policies. When every table is distributed already (a database set up with
 * `distributeForCitus` before this migration existed) it does nothing either; when only some are,
 * it fails naming them, before changing anything.
 */
export function renderCitusMigration(plan: CitusPlan, options: { before?: string; generatedBy?: string } = {}): string {
  const { prepare, distribute, finish } = citusStatements(plan);
  const tables = [...plan.reference, ...plan.distributed].map((t) => qualified(t.schema, t.name));
  const array = `ARRAY[${tables.map(literal).join(', ')}]::regclass[]`;
  const before = options.before?.trim();
  if (before?.includes('$tenantry_before$')) {
    throw new CitusSetupError(
      'Cannot write the Citus migration because the SQL to run first contains $tenantry_before$.',
    );
  }
  const indent = (sql: string) => `  ${sql.replaceAll('\n', '\n  ')};`;
  const lines = [
    CITUS_MIGRATION_MARKER,
    `-- Generated by ${options.generatedBy ?? '@tenantry/prisma (renderCitusMigration)'} from the schema's catalog. On a Citus`,
    '-- coordinator (this database has the citus extension, the workers are registered) it distributes the',
    `-- schema: ${plan.reference.length} reference table(s), then ${plan.distributed.length} table(s) distributed by ${plan.tenantColumn}, colocated; the`,
    '-- policies in the form Citus accepts; foreign keys set aside and added back. On a single PostgreSQL',
    "-- (and in migrate dev's shadow database) it does nothing. docs/citus.md.",
    'DO $tenantry_citus$',
    'BEGIN',
    `  IF ${CITUS_GUARD} THEN`,
    '    RETURN;',
    '  END IF;',
    `  IF (SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = ANY (${array})) = ${tables.length} THEN`,
    "    RAISE NOTICE 'tenantry: the tables are distributed already; nothing to do';",
    '    RETURN;',
    `  ELSIF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = ANY (${array})) THEN`,
    "    RAISE EXCEPTION 'Cannot distribute the schema because some of its tables are distributed already: %. Run pnpm db:citus (distributeForCitus) to finish, then mark this migration applied (prisma migrate resolve --applied).',",
    `      (SELECT string_agg(logicalrelid::text, ', ') FROM pg_dist_partition WHERE logicalrelid = ANY (${array}));`,
    '  END IF;',
    '  SET LOCAL citus.enable_unsafe_triggers = on;',
    "  SET LOCAL citus.multi_shard_modify_mode = 'sequential';",
    ...(before ? [`  EXECUTE $tenantry_before$\n${before}\n$tenantry_before$;`] : []),
    ...prepare.map(indent),
    ...distribute.map((call) => `  PERFORM ${call};`),
    ...finish.map(indent),
    'END',
    '$tenantry_citus$;',
  ];
  return `${lines.join('\n')}\n`;
}
