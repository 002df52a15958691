/**
 * The library's errors. One base class so callers can `instanceof TenantryError` once; a few
 * subclasses with `name` set so logs and HTTP filters can tell them apart.
 *
 * Messages follow "Cannot <action> because <reason>. <how to fix>." and never contain row data or
 * parameter values: an error that quotes a value could quote another tenant's data.
 */
export class TenantryError extends Error {
  override name = 'TenantryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A tenant-scoped operation ran outside `tenantContext.run(...)`. */
export class MissingTenantContextError extends TenantryError {
  override name = 'MissingTenantContextError';
  constructor(action: string) {
    super(
      `Cannot ${action} because no tenant context is active. ` +
        'Wrap the call in tenantContext.run({ tenantId }, fn), and await the query inside fn: ' +
        'a Prisma query runs when it is awaited, not when it is created.',
    );
  }
}

/** `tenantContext.run` was given something that is not a valid context. */
export class InvalidTenantContextError extends TenantryError {
  override name = 'InvalidTenantContextError';
  /** The offending field, e.g. `tenantId`. Never its value. */
  readonly field: string;
  constructor(field: string, reason: string, options?: { cause?: unknown; fix?: string }) {
    super(
      `Cannot start a tenant context because ${field} ${reason}. ` +
        (options?.fix ??
          `Pass ${field} as a canonical UUID string (e.g. from your verified session), never raw user input.`),
      options,
    );
    this.field = field;
  }
}

/**
 * A query names a tenant or workspace (in the configured field: `tenantId`/`workspaceId` by default)
 * that contradicts the active context.
 */
export class TenantMismatchError extends TenantryError {
  override name = 'TenantMismatchError';
  readonly model: string;
  readonly operation: string;
  /** The model field as configured, e.g. `tenantId` or `organizationId`. */
  readonly field: string;
  /**
   * @param kind Which of the context's ids `field` holds; defaults to 'workspace' for a field named
   *   `workspaceId`, 'tenant' otherwise.
   */
  constructor(model: string, operation: string, field: string, path: string, kind?: 'tenant' | 'workspace') {
    super(
      `Cannot run ${model}.${operation} because ${path} sets ${field} to a value other than the active context's. ` +
        `Remove ${field} from the query (the tenant extension adds it), or run the work inside a context for that ${kind ?? (field === 'workspaceId' ? 'workspace' : 'tenant')}.`,
    );
    this.model = model;
    this.operation = operation;
    this.field = field;
  }
}

/** A workspace-scoped row would be written without knowing its workspace. */
export class MissingWorkspaceError extends TenantryError {
  override name = 'MissingWorkspaceError';
  /** The model's workspace field as configured (default `workspaceId`). */
  readonly field: string;
  constructor(model: string, operation: string, field = 'workspaceId') {
    super(
      `Cannot run ${model}.${operation} because ${model} is workspace-scoped and neither the context nor the data gives a ${field}. ` +
        `Run it inside tenantContext.run({ tenantId, workspaceId }, fn), or pass ${field} in data.`,
    );
    this.field = field;
  }
}

/** The connection layer was asked for something it cannot scope safely. */
export class UnsupportedQueryError extends TenantryError {
  override name = 'UnsupportedQueryError';
}

/** Configuration is missing or wrong (URLs, pool size). */
export class TenantryConfigError extends TenantryError {
  override name = 'TenantryConfigError';
}

/** A query was issued on a tenant client after `$disconnect()` ended its pool. */
export class TenantClientClosedError extends TenantryError {
  override name = 'TenantClientClosedError';
  constructor() {
    super(
      'Cannot run a query because this tenant client was disconnected, which ended its connection pool. ' +
        'Create a new client with createTenantPrismaClient(), or keep the shared `prisma` client connected for the life of the process.',
    );
  }
}

/**
 * A connection checked out for one context (an interactive transaction's client, a pool client) was
 * used inside another. Its statements would carry the context it was checked out for while the
 * tenant extension filters by the active one: raw SQL would act for the first, model queries would
 * silently find nothing.
 */
export class TenantContextMismatchError extends TenantryError {
  override name = 'TenantContextMismatchError';
  /** The context fields that differ (e.g. `tenantId`), never their values. */
  readonly fields: readonly string[];
  constructor(fields: readonly string[]) {
    super(
      `Cannot run this statement because its connection was checked out for another tenant context ` +
        `(${fields.join(', ')} differ${fields.length === 1 ? 's' : ''} from the active context's). ` +
        'Use a transaction client only inside the tenantContext.run call that started the transaction, ' +
        'and check out a new connection (or start a new transaction) inside the other context.',
    );
    this.fields = fields;
  }
}
