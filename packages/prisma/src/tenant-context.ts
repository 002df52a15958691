/**
 * The tenant context: which tenant (and optionally workspace and user) the current async call chain
 * works for. Built on AsyncLocalStorage and only ever entered with `run`, never `enterWith`:
 * `enterWith` changes the context of the *caller's* whole async continuation, so in a request
 * handler it leaks one request's tenant into whatever that continuation does next.
 *
 * @example
 * await tenantContext.run({ tenantId, workspaceId }, () => prisma.project.findMany());
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidTenantContextError } from './errors.js';
import { validateSupabaseFields, type JwtClaims, type SupabaseRole } from './supabase/jwt-claims.js';

export interface TenantContext {
  /** The tenant whose rows this work may see. A canonical UUID. */
  readonly tenantId: string;
  /** Narrow to one workspace of the tenant. Without it, all of the tenant's workspaces. */
  readonly workspaceId?: string;
  /** The acting user, for policies and audit. */
  readonly userId?: string;
  /**
   * Supabase: the role statements run as (`anon` or `authenticated`), switched transaction-locally.
   * The login role must be a member of it. Never `service_role` (BYPASSRLS).
   */
  readonly role?: SupabaseRole;
  /** Supabase: the verified JWT payload, for `auth.uid()` / `auth.jwt()`. Plain JSON, under 8 KB. */
  readonly claims?: JwtClaims;
  /**
   * The time this work may spend in the database, in ms from the moment `run` starts: it bounds the
   * wait for a pooled connection, every statement (`statement_timeout`) and every lock wait
   * (`lock_timeout`), all sent transaction-locally with the settings. Expiry is a
   * `DeadlineExceededError`. A nested `run` can shorten the enclosing deadline, never extend it.
   */
  readonly deadlineMs?: number;
}

// Canonical textual UUID (any version). Anything else is rejected before it can reach SQL (I7).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_FIELDS = ['tenantId', 'workspaceId', 'userId'] as const;

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'is missing';
  if (typeof value !== 'string') return `is a ${typeof value}, not a string`;
  if (value.length === 0) return 'is an empty string';
  return 'is not a UUID';
}

/**
 * Validates a context and returns a frozen copy; `run` calls it too. Each field of the input is read
 * exactly ONCE, into a snapshot, and only the snapshot is checked and copied: an input whose fields
 * are getters (or a Proxy) cannot pass validation with one value and hand the connection layer
 * another.
 */
export function validateTenantContext(input: unknown): TenantContext {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidTenantContextError('the context', 'is not an object');
  }
  let snapshot: Record<(typeof SNAPSHOT_FIELDS)[number], unknown>;
  try {
    const raw = input as Record<string, unknown>;
    // Spelled out (one read per field, in SNAPSHOT_FIELDS order): this runs for every `run`.
    snapshot = {
      tenantId: raw.tenantId,
      workspaceId: raw.workspaceId,
      userId: raw.userId,
      role: raw.role,
      claims: raw.claims,
      deadlineMs: raw.deadlineMs,
    };
  } catch (error) {
    throw new InvalidTenantContextError('the context', 'threw while its fields were read', { cause: error });
  }
  for (const field of ID_FIELDS) {
    const value = snapshot[field];
    if (field !== 'tenantId' && value === undefined) continue;
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new InvalidTenantContextError(field, describe(value));
    }
  }
  // Lower-case so that the same tenant always compares equal, in JS and in SQL.
  const ctx: { -readonly [K in keyof TenantContext]: TenantContext[K] } = {
    tenantId: (snapshot.tenantId as string).toLowerCase(),
  };
  if (snapshot.workspaceId !== undefined) ctx.workspaceId = (snapshot.workspaceId as string).toLowerCase();
  if (snapshot.userId !== undefined) ctx.userId = (snapshot.userId as string).toLowerCase();
  if (snapshot.role !== undefined || snapshot.claims !== undefined)
    Object.assign(ctx, validateSupabaseFields(snapshot));
  if (snapshot.deadlineMs !== undefined) ctx.deadlineMs = validDeadline(snapshot.deadlineMs);
  const frozen = Object.freeze(ctx);
  validated.add(frozen);
  return frozen;
}

const SNAPSHOT_FIELDS = ['tenantId', 'workspaceId', 'userId', 'role', 'claims', 'deadlineMs'] as const;

function validDeadline(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new InvalidTenantContextError('deadlineMs', 'is not a whole number of milliseconds above 0', {
      fix: 'Pass deadlineMs as an integer from 1 to 2147483647 (e.g. 5000), or leave it out for no deadline.',
    });
  }
  return value;
}

// One storage per process, even when a bundler or dev server loads this module more than once
// (Next.js dev loads a package per route): two copies with two storages would not see each other's
// contexts, and the client of one copy would run with no context inside the other's `run`.
const storageKey = Symbol.for('tenantry.db.tenantContext');
const storage: AsyncLocalStorage<TenantContext> = ((globalThis as Record<symbol, unknown>)[storageKey] ??=
  new AsyncLocalStorage<TenantContext>()) as AsyncLocalStorage<TenantContext>;

// The contexts `validateTenantContext` produced (frozen copies), process-wide for the same reason.
// Whatever else sits in the storage (put there with `enterWith` on the shared storage, or by a
// second copy of an older version) is refused by `get()` instead of reaching the settings.
const validatedKey = Symbol.for('tenantry.db.validatedContexts');
const validated: WeakSet<TenantContext> = ((globalThis as Record<symbol, unknown>)[validatedKey] ??=
  new WeakSet<TenantContext>()) as WeakSet<TenantContext>;

// When each entered context's deadline expires, on performance.now()'s clock. Kept beside the
// context rather than in it: the context is plain data a caller may spread into a new one, and a
// copied absolute time would be wrong there, while a copied `deadlineMs` simply restarts the budget.
const deadlines = new WeakMap<TenantContext, Deadline>();

/** When the work must be done (performance.now() clock) and the budget (ms) that set that time. */
export interface Deadline {
  readonly at: number;
  readonly budgetMs: number;
}

/** When the work of `ctx` must be done (performance.now() clock), or undefined for no deadline. */
export function deadlineOf(ctx: TenantContext | undefined): number | undefined {
  return ctx === undefined ? undefined : deadlines.get(ctx)?.at;
}

/** The deadline that governs `ctx`: its own, or the enclosing one's when that ends first. */
export function governingDeadlineOf(ctx: TenantContext | undefined): Deadline | undefined {
  return ctx === undefined ? undefined : deadlines.get(ctx);
}

/** The context `run` enters: `ctx` with its deadline, never later than the enclosing one's. */
function enter(input: TenantContext): TenantContext {
  const ctx = validateTenantContext(input);
  const enclosing = storage.getStore();
  const outer = enclosing !== undefined && validated.has(enclosing) ? deadlines.get(enclosing) : undefined;
  const own =
    ctx.deadlineMs === undefined ? undefined : { at: performance.now() + ctx.deadlineMs, budgetMs: ctx.deadlineMs };
  const governing = own === undefined ? outer : outer === undefined || own.at < outer.at ? own : outer;
  if (governing !== undefined) deadlines.set(ctx, governing);
  return ctx;
}

/**
 * Prisma queries are lazy: `prisma.project.findMany()` does nothing until `.then` is called, and
 * then runs in the async context of whoever calls it. So `tenantContext.run(ctx, () =>
 * prisma.project.findMany())` awaited by the caller (outside `run`) would run with no context. A
 * lazy thenable returned by `fn` is therefore started here, inside the context. Native promises are
 * already running and pass through untouched.
 */
function startLazyThenable<R>(result: R): R {
  if (
    typeof result === 'object' &&
    result !== null &&
    !(result instanceof Promise) &&
    typeof (result as { then?: unknown }).then === 'function'
  ) {
    const thenable = result as unknown as PromiseLike<unknown>;
    return new Promise((resolve, reject) => thenable.then(resolve, reject)) as R;
  }
  return result;
}

/**
 * Re-enters a context captured earlier (already validated), or none. Internal: for the places where
 * a library runs our work from someone else's callback (Prisma's batcher). Not exported publicly.
 */
export function runInCapturedContext<R>(ctx: TenantContext | undefined, fn: () => R): R {
  return storage.run(ctx as TenantContext, fn);
}

export const tenantContext = {
  /**
   * Runs `fn` with `ctx` as the active tenant context; returns what `fn` returns. Nested calls
   * replace the context for their own callback only.
   * @throws InvalidTenantContextError when an id is not a UUID.
   */
  run<R>(ctx: TenantContext, fn: () => R): R {
    return storage.run(enter(ctx), () => startLazyThenable(fn()));
  },
  /**
   * The active context, or undefined outside `run`.
   * @throws InvalidTenantContextError when the storage holds something `run` did not validate.
   */
  get(): TenantContext | undefined {
    const store = storage.getStore();
    if (store === undefined || validated.has(store)) return store;
    throw new InvalidTenantContextError(
      'the active context',
      'was not entered with tenantContext.run (it is not a validated, frozen context)',
      {
        fix: 'Enter contexts only with tenantContext.run(ctx, fn); never put a context into the async storage by other means (enterWith).',
      },
    );
  },
  /** True inside `run`. */
  isActive(): boolean {
    return storage.getStore() !== undefined;
  },
};
