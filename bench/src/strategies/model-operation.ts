/**
 * The mark the engine's `_executeRequest` hook sets around a Prisma model operation outside a
 * transaction (packages/prisma/src/connection/statement-origin.ts): a statement written under it
 * keeps a clean session clean, so the next pipeline on the connection skips `DISCARD ALL`.
 *
 * The strategies that reach the TenantPool without the engine's client (raw-pg, the layer
 * strategies over plain Prisma) send exactly the statements Prisma's model operations send, and
 * use it so that they pay what tenantry-direct pays, no more. Deliberately not part of the engine's
 * public API: an application that marked raw SQL this way would let session state outlive its
 * request. The interactive-transaction workload is never marked, as in the engine.
 */
export { runAsModelOperation as modelOperation } from '../../../packages/prisma/src/connection/statement-origin.js';
