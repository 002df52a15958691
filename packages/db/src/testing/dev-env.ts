/**
 * Where the dev database is, for every command: `pnpm dev` (through provisionDevDatabase) and every
 * `pnpm db:*` script. The one place that knows
 *
 * - the dev directory (`TENANTRY_DEV_DIR`, default `<repo>/.tenantry`, git-ignored) holding the
 *   embedded cluster (`dev-db/`) and the URLs it serves (`dev.env`);
 * - which port the embedded server had last time (`dev.env`), so restarts keep the URLs stable;
 * - whether a server is running on the data directory right now (`dev-db/postmaster.pid`);
 * - which database a `db:*` command uses: a URL from the environment or `.env` always wins; with
 *   none of DATABASE_URL, DIRECT_URL, DATABASE_ADMIN_URL set, the dev database (started on demand,
 *   Postgres only, and stopped again when the command ends if the command started it).
 *
 * @example A script that needs the owner's URL:
 *   const db = await resolveDatabase({ need: 'DIRECT_URL', action: 'run migrations' });
 *   console.log(db.banner); // "[db] using the dev database (embedded, .tenantry/dev-db, port 54321) — set DIRECT_URL to use another"
 *   try { await migrate(db.urls.DIRECT_URL); } finally { await db.release(); }
 */
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import pg from 'pg';
import type { PostgresServer } from '@tenantry/testing';

/** The repository root (two levels above packages/db). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const packageRoot = path.join(repoRoot, 'packages', 'db');

/** The variables a dev database serves, in the order dev.env lists them. */
export const DEV_URL_VARIABLES = ['DATABASE_URL', 'DIRECT_URL', 'DATABASE_ADMIN_URL', 'SHADOW_DATABASE_URL'] as const;
export type DevUrlVariable = (typeof DEV_URL_VARIABLES)[number];
export type DevUrls = Record<DevUrlVariable, string>;
/** Any of these set (environment or .env) means "use my database", never the dev one. */
const CONFIGURING_VARIABLES = ['DATABASE_URL', 'DIRECT_URL', 'DATABASE_ADMIN_URL'] as const;

/** The database the dev server serves, and the empty one Prisma Migrate uses as its shadow. */
export const DEV_DATABASE = 'tenantry';
export const DEV_SHADOW_DATABASE = 'tenantry_shadow';

export class DevDatabaseError extends Error {
  override name = 'DevDatabaseError';
}

export interface DevPaths {
  /** `TENANTRY_DEV_DIR`, default `<repo>/.tenantry`. */
  devDir: string;
  /** `<devDir>/dev-db`: the embedded cluster. */
  dataDir: string;
  /** `<devDir>/dev.env`: the URLs the dev database serves. */
  envFile: string;
}

export function devPaths(env: NodeJS.ProcessEnv = process.env): DevPaths {
  const devDir = path.resolve(env.TENANTRY_DEV_DIR || path.join(repoRoot, '.tenantry'));
  return { devDir, dataDir: path.join(devDir, 'dev-db'), envFile: path.join(devDir, 'dev.env') };
}

/** The dev.env that belongs to a data directory: its sibling. */
export function envFileFor(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), 'dev.env');
}

/** A path for people: relative to the repository when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The URLs in a dev.env, or {} when there is none. */
export function readDevEnvFile(file: string): Partial<DevUrls> {
  if (!existsSync(file)) return {};
  const parsed = dotenv.parse(readFileSync(file, 'utf8'));
  return Object.fromEntries(DEV_URL_VARIABLES.filter((k) => parsed[k]).map((k) => [k, parsed[k]!]));
}

/** The ports of the last run recorded in `file`: the embedded Postgres's and PgBouncer's. */
export function lastPorts(file: string): { postgres?: number; pgbouncer?: number } {
  const urls = readDevEnvFile(file);
  const portOf = (url: string | undefined) => {
    if (!url || !URL.canParse(url)) return undefined;
    const port = Number(new URL(url).port);
    return Number.isInteger(port) && port > 0 && port !== 5432 ? port : undefined;
  };
  const postgres = portOf(urls.DIRECT_URL);
  const runtime = portOf(urls.DATABASE_URL);
  return { postgres, pgbouncer: runtime !== postgres ? runtime : undefined };
}

/**
 * Writes `file` (mode 0600: it holds the local passwords). `note` says what serves DATABASE_URL,
 * e.g. that PgBouncer only runs while `pnpm dev` does.
 */
export async function writeDevEnvFile(file: string, urls: DevUrls, note: string): Promise<void> {
  const lines = [
    '# The dev database: written by `pnpm dev` and the `pnpm db:*` commands (packages/db/src/testing/dev-env.ts).',
    '# Git-ignored; local passwords only. Nothing reads this file as configuration: URLs in the environment',
    '# or .env always win. Load it into a shell with: set -a; . .tenantry/dev.env; set +a',
    `# ${note}`,
    ...DEV_URL_VARIABLES.map((k) => `${k}=${urls[k]}`),
    '',
  ];
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, lines.join('\n'), { mode: 0o600 });
}

/**
 * A server already running on `dataDir` (started by `pnpm dev`, another command, or left behind by
 * a run killed with -9): its postmaster.pid holds the pid and the port. Stopping it (`stop`) sends
 * SIGINT, Postgres's fast shutdown.
 */
export async function runningDevServer(dataDir: string): Promise<PostgresServer | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale: postgres removes it itself on start
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await probe.connect();
  } catch {
    return undefined;
  } finally {
    await probe.end().catch(() => {});
  }
  return {
    source: 'embedded',
    host: '127.0.0.1',
    port,
    superuserUrl(database) {
      const u = new URL(url);
      if (database !== undefined) u.pathname = `/${encodeURIComponent(database)}`;
      return u.href;
    },
    async stop() {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        return; // already gone
      }
      // Wait for it to exit, so a next start on the same directory does not hit its lock.
      for (let i = 0; i < 150; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

export interface ResolvedDatabase {
  source: 'flag' | 'env' | 'dev';
  /** The URLs this command may use. In `env`/`flag` mode only those that are set. */
  urls: Partial<DevUrls>;
  /** The superuser URL of the dev server (dev mode only), for what only a superuser may do. */
  superuserUrl?: string;
  /** The first line every `db:*` command prints: which database, and how to use another. */
  banner: string;
  /** True when the database is on this machine (localhost, 127.0.0.1, ::1, a Unix socket). */
  local: boolean;
  /** Stops the dev server if this call started it; a no-op otherwise. */
  release(): Promise<void>;
}

export interface ResolveDatabaseOptions {
  /** The variable the command reads, named in the banner ("set DIRECT_URL to use another"). */
  need: DevUrlVariable;
  /** Alternatives accepted from the environment when `need` is unset (db:check: DATABASE_URL). */
  orElse?: DevUrlVariable[];
  /** What the command does, for the error when the environment is half set: "run migrations". */
  action: string;
  /** A `--url` flag given on the command line: wins over everything. */
  flagUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Load `.env` (cwd, repo root, packages/db) first, as prisma.config.ts does. Default true; TENANTRY_DOTENV=off skips it. */
  loadDotenv?: boolean;
  log?: (message: string) => void;
}

/** `.env` files every command loads, in order (the first that sets a variable wins). */
export function dotenvFiles(): string[] {
  return [...new Set([path.resolve('.env'), path.join(repoRoot, '.env'), path.join(packageRoot, '.env')])];
}

/**
 * Which database a `db:*` command uses (see the module comment). Prints nothing itself: the
 * caller prints `banner` as its first line.
 */
export async function resolveDatabase(options: ResolveDatabaseOptions): Promise<ResolvedDatabase> {
  const env = options.env ?? process.env;
  const fromEnvironment = new Set(DEV_URL_VARIABLES.filter((k) => env[k]));
  if ((options.loadDotenv ?? true) && env.TENANTRY_DOTENV !== 'off')
    dotenv.config({ path: dotenvFiles(), quiet: true, processEnv: env as dotenv.DotenvPopulateInput });
  const name = options.need;

  if (options.flagUrl) {
    const flagUrls: Partial<DevUrls> = {
      [name]: options.flagUrl,
      ...(env.SHADOW_DATABASE_URL ? { SHADOW_DATABASE_URL: env.SHADOW_DATABASE_URL } : {}),
    };
    return configured('flag', flagUrls, `[db] using --url (${describeUrl(options.flagUrl)})`, options.flagUrl);
  }
  // SHADOW_DATABASE_URL alone does not make a configuration: it goes with DIRECT_URL.
  const set = CONFIGURING_VARIABLES.filter((k) => env[k]);
  if (set.length > 0) {
    const chosen = [name, ...(options.orElse ?? [])].find((k) => env[k]);
    if (!chosen) {
      throw new DevDatabaseError(
        `Cannot ${options.action} because ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set (environment or .env) but ${name} is not, ` +
          `so the database you configured has no URL for this command. Set ${name} (see .env.example), or unset ${set.join(', ')} to use the dev database.`,
      );
    }
    const urls = Object.fromEntries(
      DEV_URL_VARIABLES.filter((k) => env[k]).map((k) => [k, env[k]!]),
    ) as Partial<DevUrls>;
    const where = fromEnvironment.has(chosen) ? 'the environment' : '.env';
    return configured('env', urls, `[db] using ${chosen} from ${where} (${describeUrl(env[chosen]!)})`, env[chosen]!);
  }

  const dev = await import('./dev-database.js');
  const started = await dev.startDevPostgres({ env, log: options.log });
  const { dataDir } = devPaths(env);
  return {
    source: 'dev',
    urls: started.urls,
    superuserUrl: started.server.superuserUrl(DEV_DATABASE),
    banner:
      `[db] using the dev database (embedded, ${displayPath(dataDir)}, port ${started.server.port}` +
      `${started.startedHere ? ', started for this command' : ', already running'}) — set ${name} to use another`,
    local: true,
    release: started.release,
  };
}

function configured(source: 'flag' | 'env', urls: Partial<DevUrls>, banner: string, url: string): ResolvedDatabase {
  return { source, urls, banner, local: isLocalUrl(url), release: async () => {} };
}

/** `host:port/database` of a URL, never its password. */
export function describeUrl(url: string): string {
  if (!URL.canParse(url)) return 'an unparsable URL';
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.slice(1)) || '(default database)';
  return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.hostname || 'localhost'}:${u.port || 5432}/${database}`;
}

export function isLocalUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const socketHost = u.searchParams.get('host');
  if (host === '' && (socketHost === null || socketHost.startsWith('/'))) return true;
  return ['localhost', '127.0.0.1', '::1'].includes(host);
}
