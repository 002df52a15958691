// Citus in later migrations (docs/citus.md, "Migrations"): once a schema has its distribution
// migration (renderCitusMigration, marked CITUS_MIGRATION_MARKER) or DATABASE_DISTRIBUTED=citus is
// set, `tenantry migrate dev` gives every migration that creates tables a block that distributes
// them on a Citus coordinator, in the same migration, and does nothing on a single PostgreSQL.
//
// Why the foreign keys move into the block: on a coordinator, a table the migration has just
// created is local, and Citus refuses a foreign key from a local table to a distributed one, so
// Prisma's `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY` would fail before any block after it ran.
// The block adds them itself: as Prisma wrote them on a single PostgreSQL; on Citus after
// distributing the new tables, without ON UPDATE actions on keys that include the tenant column
// (citusForeignKey). What the block does on Citus, in order: the new tables' policies in the form
// Citus accepts (read from pg_policy when it runs, so the audit log's and hand-written ones are
// covered; any other subquery stops the migration, naming the policy), an IMMUTABLE text cast for
// each enum type of theirs that has none, the new tables without the tenant column as reference
// tables, the ones with it distributed by it and colocated with the schema's tenant tables, then
// the foreign keys.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { CITUS_GUARD, CITUS_MIGRATION_MARKER, citusForeignKey } from './citus.js';
import { DEFAULT_TENANT_COLUMNS, type TenantColumns } from './columns.js';
import { tablesCreatedIn } from './tables.js';

/** The first line of the block that addCitusToMigration appends. */
/** Distinct from CITUS_MIGRATION_MARKER (neither is a prefix of the other): a later migration is never taken for the distribution one. */
export const CITUS_TABLES_MARKER = '-- tenantry: Citus block for the tables created above';

const REF = String.raw`(?:"(?:[^"]|"")+"\.)?"(?:[^"]|"")+"`;
/** Prisma's foreign key statement: ALTER TABLE <t> ADD CONSTRAINT "<n>" FOREIGN KEY (...) REFERENCES <t>(...) ...; */
const FOREIGN_KEY = new RegExp(
  String.raw`^(?:-- AddForeignKey\n)?ALTER TABLE (${REF}) ADD CONSTRAINT ("(?:[^"]|"")+") (FOREIGN KEY \([^)]*\) REFERENCES (${REF})\s*\([^)]*\)[^;\n]*);\n?`,
  'gm',
);

const unquote = (ref: string) =>
  [...ref.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]!.replaceAll('""', '"')).join('.');
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

export interface CitusMigrationChange {
  sql: string;
  /** Tables distributed by the tenant column on Citus, and reference tables, as `schema.name` or `name`. */
  distributed: string[];
  reference: string[];
  /** Foreign keys moved into the block. */
  foreignKeys: number;
}

/**
 * `sql` with the Citus block for the tables it creates; unchanged when it creates none or has the
 * block already.
 */
export function addCitusToMigration(
  sql: string,
  columns: TenantColumns = DEFAULT_TENANT_COLUMNS,
): CitusMigrationChange {
  const created = tablesCreatedIn(sql, columns);
  if (
    created.length === 0 ||
    sql.includes(CITUS_TABLES_MARKER) ||
    sql.split('\n').some((line) => line === CITUS_MIGRATION_MARKER)
  ) {
    return { sql, distributed: [], reference: [], foreignKeys: 0 };
  }
  const key = (t: { schema?: string; name: string }) => (t.schema ? `${t.schema}.${t.name}` : t.name);
  const createdKeys = new Set(created.map(key));
  const moved: { table: string; name: string; definition: string }[] = [];
  const rest = sql.replace(
    FOREIGN_KEY,
    (statement, table: string, name: string, definition: string, parent: string) => {
      if (!createdKeys.has(unquote(table)) && !createdKeys.has(unquote(parent))) return statement;
      moved.push({ table, name, definition });
      return '';
    },
  );
  const target = (t: { schema?: string; name: string }) =>
    t.schema ? `${ident(t.schema)}.${ident(t.name)}` : ident(t.name);
  const reference = created.filter((t) => !t.tenant);
  const distributed = created.filter((t) => t.tenant);
  const tables = `ARRAY[${created.map((t) => literal(target(t))).join(', ')}]::regclass[]`;
  const tenant = literal(columns.tenant);
  const fkAsWritten = moved.map((fk) => `    ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name} ${fk.definition};`);
  const fkCitus = moved.map(
    (fk) => `  ALTER TABLE ${fk.table} ADD CONSTRAINT ${fk.name} ${citusForeignKey(fk.definition, columns.tenant)};`,
  );
  const lines = [
    CITUS_TABLES_MARKER,
    '-- (tenantry migrate dev, src/migrate/citus-migration.ts): on a Citus coordinator the new tables are',
    `-- distributed by ${columns.tenant} (colocated with the schema's tenant tables) or made reference tables, with`,
    '-- their policies in the form Citus accepts; on a single PostgreSQL only the foreign keys are added. docs/citus.md.',
    'DO $tenantry_citus$',
    'DECLARE',
    `  tables regclass[] := ${tables};`,
    '  anchor text;',
    '  r record;',
    String.raw`  setting constant text := $re$\( SELECT \(NULLIF\(current_setting\('([a-z_][a-z0-9_.]*)'::text, true\), ''::text\)\)::uuid AS "nullif"\)$re$;`,
    String.raw`  plain constant text := $re$(NULLIF(current_setting('\1'::text, true), ''::text))::uuid$re$;`,
    String.raw`  subquery constant text := $re$\(\s*SELECT\M$re$;`,
    '  qual text;',
    '  checks text;',
    'BEGIN',
    `  IF ${CITUS_GUARD} THEN`,
    ...fkAsWritten,
    '    RETURN;',
    '  END IF;',
    '  SET LOCAL citus.enable_unsafe_triggers = on;',
    "  SET LOCAL citus.multi_shard_modify_mode = 'sequential';",
    // pg_policy by oid, deparsed as pg_policies does: casting pg_policies' names to regclass fails
    // for a non-superuser on Citus ("permission denied for schema pg_toast").
    '  FOR r IN SELECT n.nspname AS schemaname, c.relname AS tablename, pol.polname AS policyname,',
    '                  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS qual,',
    '                  pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS with_check',
    '             FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid',
    '             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace',
    '            WHERE pol.polrelid = ANY (tables::oid[]) LOOP',
    "    qual := pg_catalog.regexp_replace(r.qual, setting, plain, 'g');",
    "    checks := pg_catalog.regexp_replace(r.with_check, setting, plain, 'g');",
    '    IF qual ~* subquery OR checks ~* subquery THEN',
    '      RAISE EXCEPTION \'Cannot distribute %.% because Citus refuses subqueries in policies, and policy "%" has one besides the tenant settings. Move the subquery into a STABLE function and call that in the policy (docs/citus.md, "Policies with subqueries").\',',
    '        r.schemaname, r.tablename, r.policyname;',
    '    END IF;',
    '    IF qual IS DISTINCT FROM r.qual OR checks IS DISTINCT FROM r.with_check THEN',
    '      EXECUTE pg_catalog.format($f$ALTER POLICY %I ON %I.%I %s %s$f$, r.policyname, r.schemaname, r.tablename,',
    "        CASE WHEN qual IS NULL THEN '' ELSE 'USING (' || qual || ')' END,",
    "        CASE WHEN checks IS NULL THEN '' ELSE 'WITH CHECK (' || checks || ')' END);",
    '    END IF;',
    '  END LOOP;',
    '  FOR r IN SELECT DISTINCT tn.nspname, t.typname, t.oid::regtype::text AS type',
    '            FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid',
    '            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace',
    "           WHERE a.attrelid = ANY (tables) AND t.typtype = 'e' AND NOT a.attisdropped",
    "             AND NOT EXISTS (SELECT FROM pg_catalog.pg_cast c WHERE c.castsource = t.oid AND c.casttarget = 'text'::regtype) LOOP",
    '    EXECUTE pg_catalog.format($f$CREATE FUNCTION %I.%I(%s) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $b$ SELECT pg_catalog.textin(pg_catalog.enum_out($1)) $b$$f$,',
    "      r.nspname, left('tenantry_' || r.typname || '_to_text', 63), r.type);",
    "    EXECUTE pg_catalog.format($f$CREATE CAST (%s AS text) WITH FUNCTION %I.%I(%s)$f$, r.type, r.nspname, left('tenantry_' || r.typname || '_to_text', 63), r.type);",
    '  END LOOP;',
    ...reference.map((t) => `  PERFORM create_reference_table(${literal(target(t))});`),
    ...(distributed.length > 0
      ? [
          '  SELECT p.logicalrelid::text INTO anchor FROM pg_dist_partition p',
          `   WHERE p.partmethod = 'h' AND column_to_column_name(p.logicalrelid, p.partkey) = ${tenant}`,
          '   ORDER BY p.colocationid, p.logicalrelid::text LIMIT 1;',
          ...distributed.flatMap((t) => [
            `  PERFORM create_distributed_table(${literal(target(t))}, ${tenant}, colocate_with => coalesce(anchor, 'default'));`,
            `  anchor := coalesce(anchor, ${literal(target(t))});`,
          ]),
        ]
      : []),
    ...fkCitus,
    'END',
    '$tenantry_citus$;',
  ];
  return {
    sql: `${rest.trimEnd()}\n\n${lines.join('\n')}\n`,
    distributed: distributed.map(key),
    reference: reference.map(key),
    foreignKeys: moved.length,
  };
}

/**
 * Whether new migrations in `migrationsDir` get the Citus block: DATABASE_DISTRIBUTED=citus, or a
 * migration before `name` is the schema's distribution migration.
 */
export async function citusMigrationsWanted(
  migrationsDir: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  if (env.DATABASE_DISTRIBUTED === 'citus') return true;
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name >= name) continue;
    const sql = await readFile(path.join(migrationsDir, entry.name, 'migration.sql'), 'utf8').catch(() => '');
    if (sql.split('\n', 1)[0] === CITUS_MIGRATION_MARKER) return true;
  }
  return false;
}
