/**
 * Starts the real API (Nest + Express, listening on a random loopback port) for one test file, on
 * the run's database, and gives the file an HTTP client, a token minter and the request log.
 * Nothing is mocked: requests go over TCP, queries go to PostgreSQL as the runtime role.
 */
import { SignJWT } from 'jose';
import { inject } from 'vitest';
import { createTenantPrismaClient, tenantContext, TenantPool, type TenantPrismaClient } from '@tenantry/db';
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';
import { createApi } from '../../src/app.js';
import { loadApiConfig } from '../../src/config/api-config.js';
import type { LogEntry } from '../../src/http/request-logger.js';

export const TEST_JWT_SECRET = 'e2e-test-secret-at-least-32-characters-long';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  tenant?: string;
  body?: unknown;
  /** Sent as is, with content-type application/json (for malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TokenOptions {
  tenantId?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
  secret?: string;
  audience?: string;
}

/** What the app's runtime-role pool was asked to do, with the tenant context it was asked in. */
export interface ObservedDatabaseUse {
  kind: 'query' | 'checkout';
  /** The SQL of a `pool.query` (Prisma's statements outside transactions); undefined for a checkout. */
  sql: string | undefined;
  tenantId: string | undefined;
  userId: string | undefined;
}

export interface TestApi {
  url: string;
  route: string;
  logs: LogEntry[];
  /** Every use of the runtime pool by the app, in order (a `pool.query` also counts as a checkout). */
  databaseUses: ObservedDatabaseUse[];
  client: TenantPrismaClient;
  admin: AdminPrismaClient;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  token(userId: string, options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export interface StartTestApiOptions {
  production?: boolean;
  /** Extra API environment (API_REQUEST_DEADLINE_MS, API_ROUTE_CONCURRENCY, ...). */
  env?: Record<string, string>;
  /** The readiness probe's URL; default the rig's runtime URL. */
  readinessUrl?: string;
  /** The app's runtime URL; default the rig's (tenantry_app through PgBouncer). */
  runtimeUrl?: string;
}

export async function startTestApi(options: StartTestApiOptions = {}): Promise<TestApi> {
  const rig = inject('apiRig');
  const config = loadApiConfig({
    JWT_SECRET: TEST_JWT_SECRET,
    API_PORT: '0',
    NODE_ENV: options.production ? 'production' : 'test',
    ...options.env,
  });
  const databaseUses: ObservedDatabaseUse[] = [];
  const client = createTenantPrismaClient({ pool: observedPool(options.runtimeUrl ?? rig.runtimeUrl, databaseUses) });
  const admin = createAdminPrismaClient({ connectionString: rig.adminUrl });
  const logs: LogEntry[] = [];
  const app = await createApi({
    config,
    client,
    adminClient: admin,
    readinessUrl: options.readinessUrl ?? rig.runtimeUrl,
    requestLog: (entry) => logs.push(entry),
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    route: rig.route,
    logs,
    databaseUses,
    client,
    admin,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.tenant) headers['x-tenant-id'] = opts.tenant;
      let body: string | undefined;
      if (opts.rawBody !== undefined || opts.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = opts.rawBody ?? JSON.stringify(opts.body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    async token(userId, opts = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        role: 'authenticated',
        ...(opts.tenantId ? { app_metadata: { tenant_id: opts.tenantId } } : {}),
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setAudience(opts.audience ?? 'authenticated')
        .setIssuedAt(now - 600)
        .setExpirationTime(now + (opts.expiresIn ?? 300))
        .sign(new TextEncoder().encode(opts.secret ?? TEST_JWT_SECRET));
    },
    async close() {
      await app.close();
      await client.$disconnect();
      await admin.$disconnect();
    },
  };
}

/**
 * The runtime pool the app would build (10 connections), recording each checkout and each
 * `pool.query` with the tenant context it started in, which is the context its statement runs with.
 */
function observedPool(connectionString: string, uses: ObservedDatabaseUse[]): TenantPool {
  const pool = new TenantPool({ connectionString, max: 10, connectionTimeoutMillis: 10_000 });
  const observe = (kind: ObservedDatabaseUse['kind'], sql: string | undefined) => {
    const ctx = tenantContext.get();
    uses.push({ kind, sql, tenantId: ctx?.tenantId, userId: ctx?.userId });
  };
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  Object.assign(pool, {
    connect: (...args: unknown[]) => {
      observe('checkout', undefined);
      return connect(...args);
    },
    query: (...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      observe('query', typeof first === 'string' ? first : first?.text);
      return query(...args);
    },
  });
  return pool;
}
