/**
 * GET /api/health/ready: readiness. 200 with the latency of `select 1` on a connection of its own,
 * or 503 with Retry-After and the cause (database_unreachable, pool_exhausted, ...).
 */
import { readinessResponse } from '@/server/health';

export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return readinessResponse(request);
}
