// Runs Prisma's own migrate command classes on the wasm schema engine instead of the native binary.
//
// Every command class (`MigrateDeploy`, `MigrateDev`, `MigrateStatus`, `MigrateDiff`, …) obtains its
// engine from the static `Migrate.setup`, which in Prisma 7.10 only ever starts the native
// `SchemaEngineCLI`. Swapping that one static for a version that builds a `SchemaEngineWasm` over
// our adapter factory leaves all of Prisma's logic (migration listing, checksums, the
// `_prisma_migrations` bookkeeping, the messages) in Prisma's hands.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { MigrationAdapterFactory } from './pg-adapter-factory.js';
import {
  driverAdapterUtils,
  prismaMigrate,
  schemaEngineWasmPaths,
  type Migrate,
  type MigrateSetupInput,
} from './prisma-modules.js';

type WasmSchemaEngine = { free(): void };
type WasmSchemaEngineClass = {
  new: (options: unknown, debug: (message: string) => void, adapter: unknown) => Promise<WasmSchemaEngine>;
};

// The repo compiles without lib "dom", and @types/node 20 does not declare WebAssembly.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
};

let engineClass: Promise<WasmSchemaEngineClass> | undefined;

/**
 * Instantiates the wasm module once per process, as `@prisma/internals`' loader does; instances of
 * `SchemaEngine` created from it are independent.
 */
function loadWasmSchemaEngineClass(): Promise<WasmSchemaEngineClass> {
  engineClass ??= (async () => {
    const paths = schemaEngineWasmPaths();
    const glue = (await import(pathToFileURL(paths.glue).href)) as Record<string, unknown> & {
      __wbg_set_wasm(exports: Record<string, unknown>): void;
      SchemaEngine: WasmSchemaEngineClass;
    };
    const module = new WebAssembly.Module(await readFile(paths.wasm));
    const instance = new WebAssembly.Instance(module, {
      './schema_engine_bg.js': withUnrefTimers(glue),
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.SchemaEngine;
  })();
  return engineClass;
}

/**
 * Pitfall: the engine arms a ~10 s `setTimeout` around its database calls and never clears it, so
 * a script (or a test worker) that ran a migration stays alive 10 s after everything is closed.
 * We hand the engine timers that do not hold the process open, and hold it open ourselves for as
 * long as an engine is alive (`retainEventLoop`), so no timer can be cut short mid-command.
 */
function withUnrefTimers(glue: Record<string, unknown>): Record<string, unknown> {
  const imports = { ...glue };
  for (const [name, fn] of Object.entries(glue)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof fn !== 'function') continue;
    imports[name] = (...args: unknown[]) => {
      const timer = (fn as (...a: unknown[]) => unknown)(...args);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      return timer;
    };
  }
  return imports;
}

let liveEngines = 0;
let keepAlive: NodeJS.Timeout | undefined;
function retainEventLoop(): void {
  if (liveEngines++ === 0) keepAlive = setInterval(() => {}, 2 ** 30);
}
function releaseEventLoop(): void {
  if (--liveEngines === 0) clearInterval(keepAlive);
}

/** The input of `SchemaEngineWasm`'s (TypeScript-private) constructor, as `setup` passes it. */
type SchemaEngineWasmConstructor = new (options: {
  engine: WasmSchemaEngine;
  errorRegistry: unknown;
  enabledPreviewFeatures?: string[];
}) => Migrate['engine'];

/** `Migrate`'s (TypeScript-private) constructor, as `Migrate.setup` calls it. */
type MigrateConstructor = new (
  options: Omit<MigrateSetupInput, 'schemaEngineConfig' | 'baseDir'> & { engine: Migrate['engine'] },
) => Migrate;

const debugLog = (message: string) => {
  if (process.env.DEBUG?.includes('prisma')) process.stderr.write(`${message}\n`);
};

/** Builds a `Migrate` on the wasm engine, connected to `url` through `@prisma/adapter-pg`. */
export async function setupWasmMigrate(url: string, input: MigrateSetupInput, shadowUrl?: string): Promise<Migrate> {
  const { schemaContext, schemaEngineConfig: _config, baseDir: _baseDir, ...rest } = input;
  const factory = new MigrationAdapterFactory(url, shadowUrl);
  const adapter = driverAdapterUtils.bindMigrationAwareSqlAdapterFactory(factory);
  let engine: WasmSchemaEngine;
  retainEventLoop();
  try {
    const SchemaEngine = await loadWasmSchemaEngineClass();
    engine = await SchemaEngine.new({ datamodels: schemaContext?.schemaFiles }, debugLog, adapter);
  } catch (error) {
    releaseEventLoop();
    await factory.close();
    throw error;
  }
  const SchemaEngineWasm = prismaMigrate.SchemaEngineWasm as unknown as SchemaEngineWasmConstructor;
  const schemaEngine = new SchemaEngineWasm({ engine, errorRegistry: adapter.errorRegistry });

  // Pitfall: the command classes call `migrate.stop()` twice on some paths (`migrate dev
  // --create-only` stops, returns, then stops again in `finally`), and freeing a wasm object twice
  // throws "null pointer passed to rust". Stop once, then close our pools and shadow databases.
  let stopped: Promise<void> | undefined;
  const stopEngine = schemaEngine.stop.bind(schemaEngine);
  schemaEngine.stop = () => {
    // An async wrapper, because `SchemaEngineWasm.stop` throws synchronously when `free()` fails.
    stopped ??= (async () => {
      try {
        await stopEngine();
      } finally {
        releaseEventLoop();
        await factory.close();
      }
    })();
    return stopped;
  };

  const MigrateClass = prismaMigrate.Migrate as unknown as MigrateConstructor;
  return new MigrateClass({ engine: schemaEngine, schemaContext, ...rest });
}

interface WasmScope {
  url: string;
  shadowUrl: string | undefined;
  started: Migrate[];
}
const wasmScope = new AsyncLocalStorage<WasmScope>();
let setupSwapped = false;

/**
 * Makes every command class started inside `run` use the wasm engine on `url`. The swap of
 * `Migrate.setup` is installed once and consults an AsyncLocalStorage, so concurrent runs against
 * different databases (e.g. test workers migrating templates) cannot see each other's URL, and code
 * outside `run` still gets Prisma's own setup. Engines a command forgot to stop (some paths throw
 * between `Migrate.setup` and their `try`) are stopped when `run` settles.
 */
export async function withWasmEngine<T>(url: string, run: () => Promise<T>, shadowUrl?: string): Promise<T> {
  if (!setupSwapped) {
    const MigrateClass = prismaMigrate.Migrate;
    const originalSetup = MigrateClass.setup.bind(MigrateClass);
    MigrateClass.setup = async (input) => {
      const scope = wasmScope.getStore();
      if (scope === undefined) return originalSetup(input);
      const migrate = await setupWasmMigrate(scope.url, input, scope.shadowUrl);
      scope.started.push(migrate);
      return migrate;
    };
    setupSwapped = true;
  }
  const scope: WasmScope = { url, shadowUrl, started: [] };
  try {
    return await wasmScope.run(scope, run);
  } finally {
    await Promise.allSettled(scope.started.map((migrate) => migrate.stop()));
  }
}
