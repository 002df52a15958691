/**
 * The web app's database handle: `prisma` and `tenantContext`, pinned TOGETHER once per process.
 * Import both from here, never from '@tenantry/db' directly, in server code.
 *
 * Why: `@tenantry/db` is compiled into Next's server bundles (it ships TypeScript), and under
 * `next dev` its modules are evaluated more than once in one process: once per route entry (a page
 * and a route handler each get their own copy) and again after each hot reload. Its `prisma` export
 * keeps ONE client per process on globalThis (so reloads do not open a new pool each time: no
 * connection storm), but its AsyncLocalStorage is per module copy, and the client reads the
 * storage of the copy that built it. A handler calling copy B's
 * `tenantContext.run` while the client built by copy A reads A's storage sees no context at all
 * (MissingTenantContextError: fails closed, but the dev server is unusable). Pinning the client
 * and the context object of the same copy on globalThis keeps them consistent. `next start` has one
 * copy, so there this is a no-op. (The lasting fix is in @tenantry/db: keep its AsyncLocalStorage
 * on globalThis like the client; then this file reduces to a re-export.)
 * Edits to packages/db itself therefore need a restart of `next dev` to take effect.
 */
import * as tenantry from '@tenantry/db';

const globalKey = Symbol.for('tenantry.web.db');

interface PinnedDb {
  prisma: tenantry.TenantPrismaClient;
  tenantContext: typeof tenantry.tenantContext;
}

type GlobalWithDb = typeof globalThis & { [globalKey]?: PinnedDb };

function pinned(): PinnedDb {
  const g = globalThis as GlobalWithDb;
  // Built by THIS copy, so its extension and pool read this copy's AsyncLocalStorage. Created on
  // first use, from DATABASE_URL and DATABASE_POOL_SIZE.
  g[globalKey] ??= { prisma: tenantry.createTenantPrismaClient(), tenantContext: tenantry.tenantContext };
  return g[globalKey];
}

/** The process-wide tenant-scoped client; lazy, so importing needs no DATABASE_URL (next build). */
export const prisma: tenantry.TenantPrismaClient = new Proxy({} as tenantry.TenantPrismaClient, {
  get(_target, property) {
    const client = pinned().prisma;
    const value = Reflect.get(client, property, client);
    return typeof value === 'function' ? value.bind(client) : value;
  },
});

/** The tenant context of the same module copy as `prisma`. */
export const tenantContext: typeof tenantry.tenantContext = {
  run: (ctx, fn) => pinned().tenantContext.run(ctx, fn),
  get: () => pinned().tenantContext.get(),
  isActive: () => pinned().tenantContext.isActive(),
};
