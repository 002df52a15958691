/**
 * GET /api/health/live: liveness. 200 while the process serves requests; touches no database, so
 * an orchestrator never restarts a healthy process because the database is down (readiness says that).
 */
import { livenessResponse } from '@/server/health';

export const dynamic = 'force-dynamic';

export function GET(): Response {
  return livenessResponse();
}
