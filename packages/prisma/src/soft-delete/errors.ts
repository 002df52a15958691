/**
 * Soft delete's errors: subclasses of the engine's TenantryError, so one `instanceof TenantryError`
 * still catches every error the engine raises. Messages name the misuse and end with the fix; they
 * never quote a value (a tenant id, a row) from the call.
 */
import { TenantryError } from '../errors.js';

/** A call asked soft delete for something it does not do (e.g. `includeDeleted` on a delete). */
export class SoftDeleteError extends TenantryError {
  override name = 'SoftDeleteError';
  readonly model: string;
  readonly operation: string;
  constructor(model: string, operation: string, reason: string, fix: string) {
    super(`Cannot run ${model}.${operation} because ${reason}. ${fix}`);
    this.model = model;
    this.operation = operation;
  }
}

/** purgeSoftDeleted was called without what it needs to stay inside one tenant and one cutoff. */
export class PurgeOptionsError extends TenantryError {
  override name = 'PurgeOptionsError';
  /** The offending option, e.g. `tenantId`. Never its value. */
  readonly option: string;
  constructor(option: string, reason: string, fix: string) {
    super(`Cannot purge soft-deleted rows because ${option} ${reason}. ${fix}`);
    this.option = option;
  }
}
