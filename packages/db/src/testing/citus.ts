/**
 * The Citus test lane (`pnpm test:citus`, docs/citus.md): turns a database that the test rig created
 * and migrated on a Citus coordinator into a distributed one. Citus keeps its metadata per database,
 * so each test database needs the extension on the coordinator AND a database of the same name with
 * the extension on every worker, then the nodes registered in it; then this repository's Citus
 * policies (prisma/citus/before-distribute.sql) and the engine's distributeForCitus.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { distributeForCitus, type DistributionResult } from '@tenantry/prisma/migrate';

export const BEFORE_DISTRIBUTE_SQL = fileURLToPath(
  new URL('../../prisma/citus/before-distribute.sql', import.meta.url),
);

export interface CitusNode {
  /** The worker as the coordinator names it (pg_dist_node). */
  host: string;
  port: number;
  /** Where this process reaches it, when that differs (Docker: CITUS_WORKER_URLS). */
  reach?: { host: string; port: number };
}

/** CITUS_URL, or an error saying how to get a cluster. */
export function citusUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.CITUS_URL;
  if (!url) {
    throw new Error(
      'Cannot run the Citus tests because CITUS_URL is not set. Start a cluster of a coordinator and two workers ' +
        '(`docker compose --profile citus up -d`, then CITUS_URL=postgres://postgres:postgres@127.0.0.1:9700/postgres; ' +
        'or a local build, see docs/citus.md) and set CITUS_URL to a superuser URL of the coordinator.',
    );
  }
  return url;
}

/** The workers registered on the coordinator at `superuserUrl` (its own database's metadata). */
export async function citusWorkers(superuserUrl: string): Promise<CitusNode[]> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const citus = await client.query("select 1 from pg_extension where extname = 'citus'");
    if (citus.rowCount === 0) {
      throw new Error(
        `Cannot run the Citus tests because ${new URL(superuserUrl).host} has no citus extension in its database. ` +
          'Point CITUS_URL at a Citus coordinator whose database has CREATE EXTENSION citus and its workers registered.',
      );
    }
    const { rows } = await client.query<{ host: string; port: number }>(
      "select nodename as host, nodeport as port from pg_dist_node where groupid > 0 and noderole = 'primary' and isactive order by nodename, nodeport",
    );
    // In Docker the coordinator knows the workers by their service names, which this host cannot
    // resolve: CITUS_WORKER_URLS lists where to reach them from here, in the same order.
    const reach = (process.env.CITUS_WORKER_URLS ?? '').split(',').filter(Boolean);
    if (reach.length > 0 && reach.length !== rows.length) {
      throw new Error(
        `Cannot run the Citus tests because CITUS_WORKER_URLS names ${reach.length} worker(s) and the coordinator has ${rows.length}. ` +
          'List one host:port per worker, in the order of their names, or unset it.',
      );
    }
    return rows.map((row, i) => {
      const at = reach[i];
      if (!at) return row;
      const [host, port] = at.split(':');
      return { ...row, reach: { host: host!, port: Number(port) } };
    });
  } finally {
    await client.end();
  }
}

async function run(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

function onNode(superuserUrl: string, node: CitusNode, database: string): string {
  const url = new URL(superuserUrl);
  url.hostname = node.reach?.host ?? node.host;
  url.port = String(node.reach?.port ?? node.port);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Makes `database` (created and migrated on the coordinator at `coordinatorUrl`, a superuser URL
 * of any database there) distributed across `workers`. Returns what distributeForCitus did.
 */
export async function distributeTestDatabase(
  coordinatorUrl: string,
  database: string,
  workers: CitusNode[],
): Promise<DistributionResult> {
  await prepareCitusDatabase(coordinatorUrl, database, workers);
  const coordinator = new pg.Client({ connectionString: databaseUrl(coordinatorUrl, database) });
  await coordinator.connect();
  try {
    await coordinator.query(await readFile(BEFORE_DISTRIBUTE_SQL, 'utf8'));
    const result = await distributeForCitus(coordinator, { minWorkers: 2 });
    await assertShardsOnWorkers(coordinator);
    return result;
  } finally {
    await coordinator.end();
  }
}

const databaseUrl = (serverUrl: string, database: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
};

/**
 * Every statement must really go through the workers: no shard may live on the coordinator (where
 * local execution would answer without them), and the shards must be spread.
 */
export async function assertShardsOnWorkers(coordinator: pg.ClientBase): Promise<void> {
  const { rows } = await coordinator.query<{ coordinator: number; nodes: number }>(
    `select count(*) filter (where n.groupid = 0)::int as coordinator, count(distinct n.nodeid)::int as nodes
       from pg_dist_shard s join pg_dist_placement p using (shardid) join pg_dist_node n on n.groupid = p.groupid
      where s.logicalrelid in (select logicalrelid from pg_dist_partition where partmethod = 'h')`,
  );
  if (rows[0]!.coordinator > 0 || rows[0]!.nodes < 2) {
    throw new Error(
      `Cannot run the Citus tests because the shards are not spread over the workers (${rows[0]!.coordinator} on the coordinator, ${rows[0]!.nodes} node(s) in all). ` +
        "Keep the coordinator without shards (SELECT citus_set_node_property('<coordinator>', <port>, 'shouldhaveshards', false)).",
    );
  }
}

/**
 * Makes `database` (existing on the coordinator at `coordinatorUrl`, a superuser URL) a Citus
 * database: the same database with the extension on every worker, the extension on the
 * coordinator and the workers registered in it. Nothing is distributed yet: a migration run after
 * this distributes the tables itself (20261203000500_citus_distribution).
 */
export async function prepareCitusDatabase(
  coordinatorUrl: string,
  database: string,
  workers: CitusNode[],
): Promise<void> {
  if (workers.length < 2) {
    throw new Error(
      `Cannot run the Citus tests because the coordinator has ${workers.length} worker(s); the lane needs at least 2 so that shards are really spread. ` +
        "Add one with SELECT citus_add_node('<host>', <port>).",
    );
  }
  for (const node of workers) {
    await run(onNode(coordinatorUrl, node, 'postgres'), [`CREATE DATABASE ${ident(database)}`]);
    await run(onNode(coordinatorUrl, node, database), ['CREATE EXTENSION IF NOT EXISTS citus']);
  }
  const url = new URL(databaseUrl(coordinatorUrl, database));
  const coordinator = new pg.Client({ connectionString: url.toString() });
  await coordinator.connect();
  try {
    await coordinator.query('CREATE EXTENSION IF NOT EXISTS citus');
    await coordinator.query('select citus_set_coordinator_host($1, $2)', [url.hostname, Number(url.port || 5432)]);
    for (const node of workers) await coordinator.query('select citus_add_node($1, $2)', [node.host, node.port]);
  } finally {
    await coordinator.end();
  }
}

/**
 * Drops the workers' copies of `databases` (the coordinator's are dropped by the rig). A coordinator
 * backend that died between Citus's PREPARE TRANSACTION on the workers and its COMMIT PREPARED (the
 * fuzzer kills connections mid-flight) leaves a prepared transaction there until Citus's recovery
 * runs (citus.recover_2pc_interval), and Postgres refuses to drop a database one holds (55006), even
 * WITH (FORCE). They are rolled back first: the database is about to go, and so is what they wrote.
 */
export async function dropWorkerDatabases(coordinatorUrl: string, workers: CitusNode[], databases: string[]) {
  for (const node of workers) {
    for (const database of databases) {
      await rollBackPreparedTransactions(onNode(coordinatorUrl, node, database));
      await run(onNode(coordinatorUrl, node, 'postgres'), [`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`]);
    }
  }
}

/** ROLLBACK PREPARED must run in the transaction's own database; a database that is gone has none. */
async function rollBackPreparedTransactions(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return; // no such database on this node
    throw error;
  }
  try {
    const { rows } = await client.query<{ gid: string }>(
      'select gid from pg_catalog.pg_prepared_xacts where database = current_database()',
    );
    for (const { gid } of rows) await client.query(`ROLLBACK PREPARED '${gid.replaceAll("'", "''")}'`);
  } finally {
    await client.end();
  }
}
