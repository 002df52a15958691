/**
 * The tenant lifecycle's errors (onboarding, export, erasure). All extend TenantryError, so a caller
 * can catch the library's errors once. Messages follow "Cannot <action> because <reason>. <fix>."
 * and name fields and tables, never values: an operator's terminal or a log must not learn another
 * tenant's data from an error (and a tenant's own name or email is personal data).
 */
import { TenantryError } from '../errors.js';

/** The base of every lifecycle error. */
export class TenantLifecycleError extends TenantryError {
  override name = 'TenantLifecycleError';
}

/** An argument (tenant name, slug, owner email, tenant id, export format...) is not acceptable. */
export class InvalidTenantInputError extends TenantLifecycleError {
  override name = 'InvalidTenantInputError';
  /** The offending argument, e.g. `owner.email`. Never its value. */
  readonly field: string;
  constructor(action: string, field: string, reason: string, fix: string) {
    super(`Cannot ${action} because ${field} ${reason}. ${fix}`);
    this.field = field;
  }
}

/** Another tenant already holds the slug. */
export class TenantSlugTakenError extends TenantLifecycleError {
  override name = 'TenantSlugTakenError';
  readonly field = 'slug';
  constructor(options?: { cause?: unknown }) {
    super(
      'Cannot create the tenant because its slug is already taken by another tenant. ' +
        'Pass another slug (or a name that gives another one); nothing was written.',
      options,
    );
  }
}

/** No tenant row has this id. */
export class TenantNotFoundError extends TenantLifecycleError {
  override name = 'TenantNotFoundError';
  constructor(action: string) {
    super(
      `Cannot ${action} because no tenant has this id. ` +
        'Check the id (list tenants with the admin client), or there is nothing to do if it was already erased.',
    );
  }
}

/** eraseTenant was called without `confirm`, or with one that is neither the tenant's id nor its slug. */
export class ErasureNotConfirmedError extends TenantLifecycleError {
  override name = 'ErasureNotConfirmedError';
  readonly reason: 'missing' | 'mismatch';
  constructor(reason: 'missing' | 'mismatch') {
    super(
      `Cannot erase the tenant because ${
        reason === 'missing' ? 'no confirmation was given' : 'the confirmation is neither its id nor its slug'
      }. Pass confirm equal to the tenant's id or slug (the CLI: --confirm <id|slug>), after exporting it; nothing was deleted.`,
    );
    this.reason = reason;
  }
}

/** The schema cannot be handled as it is (no tenant tables, a table without a primary key, a model missing). */
export class TenantSchemaError extends TenantLifecycleError {
  override name = 'TenantSchemaError';
}

/** The foreign keys between tenant tables form a cycle, so no delete order exists. */
export class ForeignKeyCycleError extends TenantSchemaError {
  override name = 'ForeignKeyCycleError';
  /** The tables on the cycle, in order, the first repeated at the end. */
  readonly tables: readonly string[];
  constructor(tables: readonly string[]) {
    super(
      `Cannot erase the tenant because the foreign keys between tenant tables form a cycle (${tables.join(' -> ')}), ` +
        'so no order of deletes removes every row without breaking a reference. Make one foreign key on the cycle ' +
        'nullable with ON DELETE SET NULL, or remove the cycle from the schema; nothing was deleted.',
    );
    this.tables = tables;
  }
}

/** The client's role does not bypass RLS: it would see (and export, erase, verify) no tenant's rows. */
export class AdminRoleRequiredError extends TenantLifecycleError {
  override name = 'AdminRoleRequiredError';
  constructor(action: string) {
    super(
      `Cannot ${action} because the client's database role does not bypass row-level security, so it would ` +
        'silently see none of the tenant rows (an empty export, a "verified" erasure that deleted nothing). ' +
        'Pass the admin client (createAdminPrismaClient, a role with BYPASSRLS), not the tenant client.',
    );
  }
}

/** The export's output path cannot be used (it exists, or is a file where a folder is needed). */
export class ExportTargetError extends TenantLifecycleError {
  override name = 'ExportTargetError';
}

/** Rows of the tenant remain after the erasure. */
export class TenantErasureIncompleteError extends TenantLifecycleError {
  override name = 'TenantErasureIncompleteError';
  /** Table -> rows of the tenant still there. */
  readonly remaining: Readonly<Record<string, number>>;
  constructor(remaining: Readonly<Record<string, number>>, committed: boolean) {
    const left = Object.entries(remaining)
      .filter(([, n]) => n > 0)
      .map(([table, n]) => `${table}: ${n}`)
      .join(', ');
    super(
      `Cannot finish erasing the tenant because rows of it remain (${left}) ${
        committed
          ? 'after the erasure committed: something wrote them concurrently'
          : 'after every delete, so nothing was committed'
      }. Stop writers for this tenant (revoke its sessions) and run the erasure again.`,
    );
    this.remaining = remaining;
  }
}
