/**
 * The two Prisma pieces the layer strategies assemble by hand, in one place: this app's generated
 * PrismaClient class and adapter-pg's PrismaPg. @tenantry/db exports factories, not the class, and
 * the bench does not depend on @prisma/adapter-pg itself, so:
 * - the class is read off an admin client's constructor (a client of this schema, never connected);
 * - PrismaPg is loaded from @tenantry/db's own dependency, the copy its clients use, so that its
 *   `instanceof pg.Pool` check sees the same pg as our pools.
 * If either moves, the layer strategies fail at start with the message below, not with wrong numbers.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createAdminPrismaClient, type AdminPrismaClient } from '@tenantry/db/admin';
import type pg from 'pg';
import { asEngineAdapter } from './model-operation.js';

type PrismaClientClass = new (options: { adapter: unknown; log?: unknown[] }) => AdminPrismaClient;
type PrismaPgClass = new (pool: pg.Pool) => unknown;

let pieces: { PrismaClient: PrismaClientClass; PrismaPg: PrismaPgClass } | undefined;

function load() {
  if (pieces) return pieces;
  const probe = createAdminPrismaClient({ connectionString: 'postgres://unused@127.0.0.1:1/unused', poolSize: 1 });
  const PrismaClient = probe.constructor as PrismaClientClass;
  const fromDb = createRequire(fileURLToPath(import.meta.resolve('@tenantry/db')));
  const { PrismaPg } = fromDb('@prisma/adapter-pg') as { PrismaPg?: PrismaPgClass };
  if (typeof PrismaClient !== 'function' || typeof PrismaPg !== 'function') {
    throw new Error(
      'Cannot build the layer strategies because the generated PrismaClient class or @prisma/adapter-pg PrismaPg was not found. ' +
        'Update bench/src/strategies/prisma-pieces.ts for the installed Prisma.',
    );
  }
  pieces = { PrismaClient, PrismaPg };
  return pieces;
}

/** A plain PrismaClient of this schema (no tenant extension) over the pool given. */
export function prismaOverPool(pool: pg.Pool): AdminPrismaClient {
  const { PrismaClient, PrismaPg } = load();
  return new PrismaClient({ adapter: asEngineAdapter(new PrismaPg(pool) as object), log: [] });
}

/** adapter-pg's PrismaPg, the copy @tenantry/db uses (for tests that compare against the real adapter). */
export function adapterPgClass(): PrismaPgClass {
  return load().PrismaPg;
}
