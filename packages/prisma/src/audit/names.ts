/**
 * The audit log's catalog names, in a module with no imports: the runtime (eraseTenant, through
 * @tenantry/db/admin) needs them, and importing them from sql.ts would load the migration engine
 * (migrate/policies.ts → @prisma/migrate) into every process that uses the admin client, and into
 * the web app's bundle, where webpack cannot resolve the wasm schema engine.
 */
export const ERASURE_FUNCTION = 'tenantry_audit_erasure';
/** The table comment that marks the audit log in the catalog (eraseTenant and db:check find it by it). */
export const AUDIT_LOG_COMMENT = 'tenantry audit log';
/** The trigger function, and the three triggers on every audited table (db:check looks for them). */
export const CAPTURE_FUNCTION = 'tenantry_audit_capture';
export const AUDIT_TRIGGERS = {
  insert: 'tenantry_audit_insert',
  update: 'tenantry_audit_update',
  delete: 'tenantry_audit_delete',
} as const;
