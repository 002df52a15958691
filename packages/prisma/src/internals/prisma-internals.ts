/**
 * EVERY Prisma internal the engine relies on (of the generated client, its runtime and
 * @prisma/adapter-pg), and nothing else. The rest of the engine calls these functions; none of it
 * reaches into Prisma's objects itself. When Prisma changes one of these, this file and
 * test/compat.test.ts are the only places to look.
 *
 * Verified with prisma 7.10.0, @prisma/client 7.10.0 (generator "prisma-client") and
 * @prisma/adapter-pg 7.10.0. None of this is Prisma's public API.
 */

/** The versions this file was last verified against. */
export const PRISMA_VERIFIED_VERSION = '7.10.0';
export const ADAPTER_PG_VERIFIED_VERSION = '7.10.0';

/** One field of a model in Prisma's runtime data model. */
export interface RuntimeField {
  readonly name: string;
  /** 'scalar' | 'object' (a relation) | 'enum' | ... */
  readonly kind: string;
  readonly type: string;
  /** The column name, when the schema maps it (`@map`). */
  readonly dbName?: string | null;
}

/** Prisma's runtime data model: models by name, each with its fields (and table name, when mapped). */
export interface RuntimeDataModel {
  models: Record<string, { fields: ReadonlyArray<RuntimeField>; dbName?: string | null }>;
}

/**
 * The data model a generated PrismaClient instance was built from.
 * Relies on: the instance property `_runtimeDataModel` (`{ models: { [name]: { fields: [{ name,
 * kind, type, dbName? }], dbName } } }`), Prisma 5 through 7.10.0. Undefined when it is missing.
 */
export function runtimeDataModelOf(client: object): RuntimeDataModel | undefined {
  const dataModel = (client as { _runtimeDataModel?: RuntimeDataModel })._runtimeDataModel;
  return dataModel && typeof dataModel === 'object' && dataModel.models && typeof dataModel.models === 'object'
    ? dataModel
    : undefined;
}

/**
 * The text of the schema.prisma the client was generated from (the runtime data model has no
 * `@relation(fields: [...])`). Relies on: the instance property `_engineConfig.inlineSchema`
 * (a string), Prisma 7.10.0. '' when it is missing.
 */
export function inlineSchemaOf(client: object): string {
  const schema = (client as { _engineConfig?: { inlineSchema?: unknown } })._engineConfig?.inlineSchema;
  return typeof schema === 'string' ? schema : '';
}

/** A request as Prisma's batcher sees it. */
export interface PrismaRequest {
  transaction?: { kind?: string; id?: unknown };
}

/** The options object of Prisma's request batcher; the engine replaces its three functions. */
export interface RequestBatcherOptions {
  batchBy(request: PrismaRequest): string | undefined;
  batchLoader(requests: PrismaRequest[]): Promise<unknown>;
  singleLoader(request: PrismaRequest): Promise<unknown>;
}

/**
 * The request batcher's options, whose functions may be replaced in place.
 * Relies on: `client._requestHandler.dataloader.options` with `batchBy(request)` (called
 * synchronously inside the caller's request), `batchLoader(requests)` and `singleLoader(request)`
 * (called from one `process.nextTick` callback per tick), Prisma 7.10.0. Undefined when the
 * shape is not that.
 */
export function requestBatcherOf(client: object): RequestBatcherOptions | undefined {
  const options = (client as { _requestHandler?: { dataloader?: { options?: RequestBatcherOptions } } })._requestHandler
    ?.dataloader?.options;
  if (!options || [options.batchBy, options.batchLoader, options.singleLoader].some((f) => typeof f !== 'function'))
    return undefined;
  return options;
}

/**
 * False only when a query extension's params say the operation runs outside any batch or
 * interactive transaction. Relies on: Prisma passing its request parameters to `$allOperations` as
 * `__internalParams`, whose `transaction` is set inside transactions (Prisma 7.10.0). An unknown
 * shape counts as "in a transaction": then nothing is retried, which is always safe.
 */
export function runsOutsideTransaction(extensionParams: unknown): boolean {
  const params = (extensionParams as { __internalParams?: unknown } | null | undefined)?.__internalParams;
  if (params === null || typeof params !== 'object') return false;
  return (params as { transaction?: unknown }).transaction === undefined;
}

/** What Prisma hands to `_executeRequest` for one operation (the fields the engine reads). */
export interface ExecuteRequestParams {
  /** The model's name (`Task`); undefined for raw queries and other client-level operations. */
  readonly model?: string;
  /** The operation (`findMany`, `create`, ...), as `$allOperations` sees it for a model. */
  readonly action: string;
  readonly args?: unknown;
  /** Set inside a batch (`$transaction([...])`) or interactive transaction. */
  readonly transaction?: unknown;
}

type ExecuteRequest = (params: ExecuteRequestParams) => Promise<unknown>;

/**
 * Puts `wrap` around every operation of `client`, below its query extensions, and returns true; or
 * returns false, changing nothing, when the client does not have this shape (then use `$extends`).
 *
 * Why not a query extension: for a client with any extension, Prisma runs each operation through
 * its extension chain, which deep-clones the arguments and builds a lazy promise per extension
 * level; measured on findMany at c=32 (2 cores), an empty `$allOperations` alone cost ~7 % of
 * throughput, more than the tenant scoping it would carry. Here, below the chain, a client without
 * other extensions calls it directly, and the user's own extensions (of the returned client) run
 * before it, so none of them can change arguments after they were scoped.
 *
 * Relies on: `_executeRequest(params)`, a method of the generated client that `_request`
 * calls as `this._executeRequest(params)` (at once when the client has no extensions, else after
 * the last query extension; also for each operation of a batch transaction and through an
 * interactive transaction's client) with `{ model, action, args, transaction, ... }`, Prisma 7.10.0.
 */
export function wrapExecuteRequest(
  client: object,
  wrap: (params: ExecuteRequestParams, next: ExecuteRequest) => Promise<unknown>,
): boolean {
  const original = (client as { _executeRequest?: unknown })._executeRequest;
  if (typeof original !== 'function' || wrappedKey in original) return false;
  // The client is Prisma's composite proxy over the instance; setting the property through it sets
  // it on the instance (and marks the key as overwritten), which is where `_request` looks it up.
  const value = function (this: object, params: ExecuteRequestParams) {
    return wrap(params, (next) => (original as ExecuteRequest).call(this, next));
  };
  Object.defineProperty(value, wrappedKey, { value: true });
  (client as { _executeRequest?: unknown })._executeRequest = value;
  return (client as { _executeRequest?: unknown })._executeRequest === value;
}

const wrappedKey = Symbol('tenantry.executeRequestWrapped');

/**
 * True when adapter-pg will run its queries on `pool` (and not on a pool of its own).
 * Relies on: `PrismaPg`'s `externalPool` property, set to the constructor's argument when that is
 * an `instanceof pg.Pool` of adapter-pg's copy of pg, else null (@prisma/adapter-pg 7.10.0).
 */
export function adapterUsesPool(adapter: object, pool: object): boolean {
  return (adapter as { externalPool?: unknown }).externalPool === pool;
}

/** The methods of a driver adapter (or its transaction) that send statements, as the engine wraps them. */
type DriverMethods = Record<'queryRaw' | 'executeRaw' | 'startTransaction', unknown>;

/**
 * Wraps the driver adapter that `factory.connect()` creates so that `around` runs every call of its
 * statement methods, and of the transactions it starts: `around('statement', fn)` for `queryRaw` and
 * `executeRaw`, `around('transaction', fn)` for `startTransaction`. Returns false, changing nothing,
 * when the factory does not have that shape.
 *
 * Relies on (@prisma/adapter-pg 7.10.0): the factory's `connect()` resolving to the adapter
 * (PrismaPgAdapter); the adapter's `queryRaw`/`executeRaw` calling `pool.query(...)` and its
 * `startTransaction` calling `pool.connect()` SYNCHRONOUSLY, before their first `await` (queryRaw →
 * performIO → client.query); `startTransaction` resolving to the transaction (PgTransaction), whose
 * `queryRaw`/`executeRaw` call `client.query(...)` the same way. statement-origin.ts depends on
 * that synchronous window; test/compat.test.ts checks it.
 */
export function wrapDriverAdapter(
  factory: object,
  around: <R>(kind: 'statement' | 'transaction', fn: () => R) => R,
): boolean {
  const connect = (factory as { connect?: unknown }).connect;
  if (typeof connect !== 'function') return false;
  const wrapMethods = (target: object, names: ReadonlyArray<keyof DriverMethods>) => {
    for (const name of names) {
      const original = (target as Partial<DriverMethods>)[name];
      if (typeof original !== 'function') continue;
      const kind = name === 'startTransaction' ? 'transaction' : 'statement';
      Object.defineProperty(target, name, {
        configurable: true,
        writable: true,
        value(this: object, ...args: unknown[]) {
          const result = around(kind, () => (original as (...a: unknown[]) => unknown).apply(this, args));
          if (name !== 'startTransaction') return result;
          return (result as Promise<unknown>).then((tx) => {
            if (tx !== null && typeof tx === 'object') wrapMethods(tx, ['queryRaw', 'executeRaw']);
            return tx;
          });
        },
      });
    }
  };
  (factory as { connect: unknown }).connect = async function (this: object, ...args: unknown[]) {
    const adapter = await (connect as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (adapter !== null && typeof adapter === 'object')
      wrapMethods(adapter, ['queryRaw', 'executeRaw', 'startTransaction']);
    return adapter;
  };
  return true;
}
