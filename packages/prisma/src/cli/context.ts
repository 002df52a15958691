// What every `tenantry` command shares: the user's prisma.config.ts (schema, migrations, datasource URLs) and
// how a command finds its database. A package can pass its own database resolver (this repository's
// packages/db starts its dev database when no URL is configured); the default reads --url, the environment
// and prisma.config.ts, and never starts anything.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TenantFields } from '../extension/model-metadata.js';
import { describeUrl } from '../migrate/urls.js';

export class TenantryCliError extends Error {
  override name = 'TenantryCliError';
}

/** What the CLI reads from prisma.config.ts, with its relative paths resolved against the config's folder. */
export interface LoadedConfig {
  /** The config file read, or undefined when there was none (then the defaults below). */
  file?: string;
  /** `schema`, default prisma/schema.prisma. */
  schemaPath: string;
  /** `migrations.path`, default prisma/migrations. */
  migrationsDir: string;
  /** `datasource.url` ('' counts as unset). */
  url?: string;
  /** `datasource.shadowDatabaseUrl`. */
  shadowDatabaseUrl?: string;
  /** The folder relative paths resolve against: the config's, else the current directory. */
  baseDir: string;
}

const CONFIG_NAMES = [
  'prisma.config.ts',
  'prisma.config.mts',
  'prisma.config.js',
  'prisma.config.mjs',
  path.join('.config', 'prisma.ts'),
];

/**
 * Reads `configPath` (`--config`), else the first prisma.config.* of the current directory. It is imported,
 * so what it does runs (e.g. `import 'dotenv/config'` loads .env), as with the prisma CLI.
 */
export async function loadPrismaConfig(configPath?: string): Promise<LoadedConfig> {
  const file = configPath
    ? path.resolve(configPath)
    : CONFIG_NAMES.map((n) => path.resolve(n)).find((f) => existsSync(f));
  if (configPath && !existsSync(file!)) {
    throw new TenantryCliError(
      `Cannot read the Prisma config because ${configPath} does not exist. Pass --config <path to prisma.config.ts>.`,
    );
  }
  const baseDir = file ? path.dirname(file) : process.cwd();
  let config: {
    schema?: string;
    migrations?: { path?: string };
    datasource?: { url?: string; shadowDatabaseUrl?: string };
  } = {};
  if (file) config = ((await importConfig(file)) ?? {}) as typeof config;
  return {
    ...(file ? { file } : {}),
    schemaPath: path.resolve(baseDir, config.schema ?? path.join('prisma', 'schema.prisma')),
    migrationsDir: path.resolve(baseDir, config.migrations?.path ?? path.join('prisma', 'migrations')),
    ...(config.datasource?.url ? { url: config.datasource.url } : {}),
    ...(config.datasource?.shadowDatabaseUrl ? { shadowDatabaseUrl: config.datasource.shadowDatabaseUrl } : {}),
    baseDir,
  };
}

/**
 * The config's default export. prisma.config.ts is TypeScript, and the published CLI is JavaScript on plain node
 * (node 20 cannot import .ts), so it is imported through tsx's loader, registered for this one import only
 * (tsImport): nothing else the CLI loads goes through it. Pitfall: in a project without "type": "module" tsx
 * loads the file as CommonJS, and `export default` arrives one `default` deeper.
 */
async function importConfig(file: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  const mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown };
  let value: unknown = mod.default ?? mod;
  if (value && typeof value === 'object' && '__esModule' in value && 'default' in value)
    value = (value as { default: unknown }).default;
  return await value;
}

export type UrlVariable = 'DATABASE_URL' | 'DIRECT_URL' | 'DATABASE_ADMIN_URL' | 'SHADOW_DATABASE_URL';

export interface DatabaseRequest {
  /** The variable the command reads: DIRECT_URL (the owner's direct URL) for migrate and check. */
  need: UrlVariable;
  /** Alternatives accepted when `need` is unset (check: DATABASE_URL). */
  orElse?: UrlVariable[];
  /** What the command does, for messages: "apply the migrations". */
  action: string;
  /** `--url`: wins over everything. */
  flagUrl?: string;
}

export interface ResolvedDatabase {
  /** The URLs this command may use. */
  urls: Partial<Record<UrlVariable, string>>;
  /** The first line the command prints: which database, and how to use another. */
  banner: string;
  /** Releases what resolving started (a dev database); a no-op otherwise. */
  release(): Promise<void>;
}

export type DatabaseResolver = (request: DatabaseRequest) => Promise<ResolvedDatabase>;

export interface TenantryCliOptions {
  /** How commands find their database. Default: --url, then the environment, then prisma.config.ts's datasource. */
  resolveDatabase?: DatabaseResolver;
  /** The tenant and workspace fields, as given to createTenantPrismaClient (default tenantId, workspaceId). */
  fields?: Partial<TenantFields>;
  /** What the usage lines call the program (default "tenantry"). */
  programName?: string;
}

export interface CliContext {
  /** prisma.config.ts, read once, on first use. */
  config(): Promise<LoadedConfig>;
  resolveDatabase: DatabaseResolver;
  fields: Partial<TenantFields>;
  programName: string;
}

export function createContext(configPath: string | undefined, options: TenantryCliOptions = {}): CliContext {
  let loaded: Promise<LoadedConfig> | undefined;
  const config = () => (loaded ??= loadPrismaConfig(configPath));
  return {
    config,
    resolveDatabase: options.resolveDatabase ?? defaultResolver(config),
    // Read when used, not here: runTenantry loads prisma.config.ts first, which may load .env (dotenv/config).
    get fields(): Partial<TenantFields> {
      const tenantField = options.fields?.tenantField ?? (process.env.TENANTRY_TENANT_FIELD || undefined);
      const workspaceField = options.fields?.workspaceField ?? (process.env.TENANTRY_WORKSPACE_FIELD || undefined);
      return { ...(tenantField ? { tenantField } : {}), ...(workspaceField ? { workspaceField } : {}) };
    },
    programName: options.programName ?? 'tenantry',
  };
}

/** --url, else the variable from the environment, else prisma.config.ts's datasource url (migrate, check), else the alternatives. */
function defaultResolver(config: () => Promise<LoadedConfig>): DatabaseResolver {
  return async (request) => {
    const loaded = await config(); // first: it may load .env
    const env = process.env;
    const shadow = env.SHADOW_DATABASE_URL || loaded.shadowDatabaseUrl;
    const found = (url: string, where: string): ResolvedDatabase => ({
      urls: { [request.need]: url, ...(shadow ? { SHADOW_DATABASE_URL: shadow } : {}) },
      banner: `[tenantry] using ${where} (${describeUrl(url)})`,
      release: async () => {},
    });
    if (request.flagUrl) return found(request.flagUrl, '--url');
    if (env[request.need]) return found(env[request.need]!, request.need);
    if (loaded.url)
      return found(
        loaded.url,
        `the datasource url of ${loaded.file ? path.basename(loaded.file) : 'prisma.config.ts'}`,
      );
    for (const name of request.orElse ?? []) if (env[name]) return found(env[name]!, name);
    throw new TenantryCliError(
      `Cannot ${request.action} because no database URL is set. Pass --url <postgres url>, set ${request.need}, ` +
        "or set datasource.url in prisma.config.ts (the owner role's direct URL, never the pooler).",
    );
  };
}
