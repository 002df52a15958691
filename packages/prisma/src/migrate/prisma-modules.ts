// Typed handles on Prisma's own packages, which are CommonJS and partly unreachable from here.
//
// Why `createRequire` instead of plain imports:
// - `@prisma/migrate@7.10.0` ships its `.d.ts` files under `dist/src/` while its package.json points
//   `types` at `dist/migrate/src/`, which does not exist; we import the types from the real path.
// - `@prisma/driver-adapter-utils` and `@prisma/schema-engine-wasm` are dependencies of
//   `@prisma/migrate` / `@prisma/internals`, not of this package, so pnpm does not link them here.
//   Resolving them from the package that depends on them gives the very copy Prisma itself uses
//   (and pins their version to the installed Prisma) without adding a second copy to our lockfile.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PrismaPg } from '@prisma/adapter-pg';
import type * as MigrateModule from '@prisma/migrate/dist/src/index.js';

const requireHere = createRequire(import.meta.url);
const migrateEntry = requireHere.resolve('@prisma/migrate');
const internalsEntry = requireHere.resolve('@prisma/internals');

export const prismaMigrate = requireHere('@prisma/migrate') as typeof MigrateModule;

/** What the wasm engine is given: a factory whose errors are recorded in an `errorRegistry`. */
export type ErrorCapturingAdapterFactory = Parameters<typeof MigrateModule.SchemaEngineWasm.setup>[0]['adapter'];
/** A driver-adapter factory that can also open a shadow database (what `PrismaPg` implements). */
export type MigrationAwareAdapterFactory = Pick<PrismaPg, 'provider' | 'adapterName' | 'connect' | 'connectToShadowDb'>;
export type SqlDriverAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

export const driverAdapterUtils = createRequire(migrateEntry)('@prisma/driver-adapter-utils') as {
  bindMigrationAwareSqlAdapterFactory(factory: MigrationAwareAdapterFactory): ErrorCapturingAdapterFactory;
};

/** The argument `Migrate.setup` receives from every command class (see `dist/src/Migrate.d.ts`). */
export type MigrateSetupInput = Parameters<typeof MigrateModule.Migrate.setup>[0];
export type Migrate = MigrateModule.Migrate;
export type SchemaEngine = Migrate['engine'];

/**
 * Where the wasm schema engine lives. `@prisma/internals`' own loader reads
 * `<internals>/build/schema_engine_bg.wasm`, which its npm tarball does not contain, so we load the
 * module that `@prisma/schema-engine-wasm` itself ships.
 */
export function schemaEngineWasmPaths(): { glue: string; wasm: string } {
  const glue = createRequire(internalsEntry).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  return { glue, wasm: path.join(path.dirname(glue), 'schema_engine_bg.wasm') };
}
