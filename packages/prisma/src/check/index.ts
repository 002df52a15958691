// `@tenantry/prisma/check`: the live RLS audit behind `tenantry check`, and its report.
export * from './audit.js';
export { formatReport } from './report.js';
export {
  BYPASSING_LOGINS,
  SUPABASE_API_ROLES,
  loginUserOf,
  type RuntimeLogin,
} from './supabase-roles.js';
export { AUDIT_LOG_CHECKS, auditLogFindings, type AuditLogCheck, type AuditLogOptions } from './audit-log.js';
