import { TenantryError } from '../errors.js';

/**
 * The schema's audit markers (`/// @tenantry.audit`, `/// @tenantry.audit-log`) cannot be turned into
 * triggers: a marker on a model without the tenant field, an unknown field in `exclude`, a marked
 * model without an audit log model, an audit log model without the columns the trigger writes.
 * `model` names the model (never a value).
 */
export class AuditSchemaError extends TenantryError {
  override name = 'AuditSchemaError';
  constructor(
    readonly model: string,
    reason: string,
    fix: string,
  ) {
    super(`Cannot audit ${model} because ${reason}. ${fix}`);
  }
}
