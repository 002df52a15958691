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

export async function distributeForCitus(
  client: pg.ClientBase,
  options: DistributeOptions = {},
): Promise<DistributionResult> {
  const schemas = options.schemas ?? ['public'];
  const tenantColumn = (options.columns ?? DEFAULT_TENANT_COLUMNS).tenant;
  const runtimeRole = options.runtimeRole ?? 'tenantry_app';
  const keepLocal = new Set(options.keepLocal ?? ['_prisma_migrations']);
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

  const { rows: tables } = await client.query<{
    schema: string;
    name: string;
    tenant: boolean;
    done: boolean;
  }>(
    `select n.nspname as schema, c.relname as name,
            exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = $2 and not a.attisdropped) as tenant,
            exists (select 1 from pg_dist_partition p where p.logicalrelid = c.oid) as done
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname = any($1) and not c.relispartition
      order by n.nspname, c.relname`,
    [schemas, tenantColumn],
  );
  const todo = tables.filter((t) => !keepLocal.has(t.name) && !t.done);
  const inScope = tables.filter((t) => !keepLocal.has(t.name));
  if (todo.length === 0) {
    log('citus: every table is distributed already; nothing to do');
    return {
      distributed: [],
      reference: [],
      policiesRewritten: [],
      foreignKeys: 0,
      triggers: [],
      enumCasts: [],
      workers,
    };
  }
  const names = todo.map((t) => qualified(t.schema, t.name));

  // Plan first: a policy Citus cannot take stops everything before the first change.
  const { rows: policies } = await client.query<{
    schema: string;
    table: string;
    name: string;
    qual: string | null;
    check: string | null;
  }>(
    `select schemaname as schema, tablename as table, policyname as name, qual, with_check as check
       from pg_policies where schemaname = any($1) order by 1, 2, 3`,
    [schemas],
  );
  const todoKeys = new Set(todo.map((t) => `${t.schema}.${t.name}`));
  const rewrites: { policy: (typeof policies)[number]; qual: string | null; check: string | null }[] = [];
  const refused: string[] = [];
  for (const policy of policies) {
    if (!todoKeys.has(`${policy.schema}.${policy.table}`)) continue;
    const qual = citusPolicyExpression(policy.qual);
    const check = citusPolicyExpression(policy.check);
    if (hasSubquery(qual) || hasSubquery(check)) refused.push(`"${policy.name}" on ${policy.schema}.${policy.table}`);
    else if (qual !== policy.qual || check !== policy.check) rewrites.push({ policy, qual, check });
  }
  if (refused.length > 0) {
    throw new CitusSetupError(
      `Cannot distribute the tables because Citus refuses subqueries in policies, and ${refused.length === 1 ? 'this policy has one' : 'these policies have one'} ` +
        `besides the tenant settings: ${refused.join(', ')}. Move the subquery into a STABLE function and call that in the policy ` +
        '(docs/citus.md, "Policies with subqueries"), then run again. Nothing was changed.',
    );
  }

  const { rows: foreignKeys } = await client.query<{ table: string; name: string; definition: string }>(
    `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition
       from pg_constraint
      where contype = 'f' and (conrelid = any($1::regclass[]) or confrelid = any($1::regclass[]))
      order by conrelid::regclass::text, conname`,
    [names],
  );
  const { rows: triggers } = await client.query<{ table: string; name: string }>(
    `select tgrelid::regclass::text as table, tgname as name from pg_trigger
      where not tgisinternal and tgrelid = any($1::regclass[]) order by 1, 2`,
    [names],
  );

  const { rows: enums } = await client.query<{ schema: string; name: string }>(
    `select distinct tn.nspname as schema, t.typname as name
       from pg_attribute a join pg_type t on t.oid = a.atttypid join pg_namespace tn on tn.oid = t.typnamespace
      where a.attrelid = any($1::regclass[]) and t.typtype = 'e' and not a.attisdropped
        and not exists (select 1 from pg_cast c where c.castsource = t.oid and c.casttarget = 'text'::regtype)
      order by 1, 2`,
    [names],
  );

  const distributed = todo.filter((t) => t.tenant);
  const reference = todo.filter((t) => !t.tenant);
  const colocateWith = inScope.find((t) => t.tenant && t.done) ?? (distributed.length > 0 ? distributed[0] : undefined);

  await client.query('BEGIN');
  try {
    for (const { policy, qual, check } of rewrites) {
      const parts = [qual !== null ? `USING (${qual})` : '', check !== null ? `WITH CHECK (${check})` : ''];
      await client.query(
        `ALTER POLICY ${ident(policy.name)} ON ${qualified(policy.schema, policy.table)} ${parts.join(' ')}`,
      );
    }
    for (const e of enums) {
      const type = qualified(e.schema, e.name);
      const fn = qualified(e.schema, `tenantry_${e.name}_to_text`.slice(0, 63));
      await client.query(
        `CREATE FUNCTION ${fn}(${type}) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ` +
          'AS $$ SELECT pg_catalog.textin(pg_catalog.enum_out($1)) $$',
      );
      await client.query(`CREATE CAST (${type} AS text) WITH FUNCTION ${fn}(${type})`);
    }
    for (const fk of foreignKeys) await client.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${ident(fk.name)}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  log(`citus: ${rewrites.length} policies in the Citus form, ${foreignKeys.length} foreign keys set aside`);

  // Distribution runs outside a transaction block (Citus copies each table's rows into its shards).
  // A failure here leaves foreign keys set aside: the error lists the statements that add them back.
  const pending = new Set(foreignKeys);
  try {
    await client.query('SET citus.enable_unsafe_triggers = on');
    for (const t of reference) {
      await client.query('select create_reference_table($1::regclass)', [qualified(t.schema, t.name)]);
      log(`citus: ${t.schema}.${t.name} is a reference table`);
    }
    for (const t of distributed) {
      const colocate =
        colocateWith && colocateWith !== t ? qualified(colocateWith.schema, colocateWith.name) : 'default';
      await client.query('select create_distributed_table($1::regclass, $2, colocate_with => $3)', [
        qualified(t.schema, t.name),
        tenantColumn,
        colocate,
      ]);
      log(`citus: ${t.schema}.${t.name} is distributed by ${tenantColumn}`);
    }
    for (const fk of foreignKeys) {
      await client.query(addForeignKey(fk, tenantColumn));
      pending.delete(fk);
    }
    await client.query(`ALTER ROLE ${ident(runtimeRole)} SET citus.propagate_set_commands = 'local'`);
  } catch (error) {
    const restore = [...pending].map((fk) => `${addForeignKey(fk, tenantColumn)};`).join(' ');
    throw new CitusSetupError(
      `Cannot finish distributing the tables: ${(error as Error).message}. ` +
        (pending.size > 0
          ? `${pending.size} foreign key(s) are still set aside; after fixing the cause, run again and then add them back: ${restore}`
          : 'Fix the cause and run again: distributed tables are skipped.'),
      { cause: error },
    );
  }
  return {
    distributed: distributed.map((t) => `${t.schema}.${t.name}`),
    reference: reference.map((t) => `${t.schema}.${t.name}`),
    policiesRewritten: rewrites.map((r) => `${r.policy.table}: ${r.policy.name}`),
    foreignKeys: foreignKeys.length,
    triggers: triggers.map((t) => `${t.table}: ${t.name}`),
    enumCasts: enums.map((e) => `${e.schema}.${e.name}`),
    workers,
  };
}
