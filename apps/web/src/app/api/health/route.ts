/**
 * GET /api/health: kept for backwards compatibility (`pnpm dev` and the test rig poll it, and
 * deployments may probe it), answering as READINESS, like /api/health/ready: 200 `{ status: 'ok' }`
 * (plus the latency) when the database answers, 503 with Retry-After when it does not. Before the
 * split it answered 200 without touching the database; a probe that must not depend on the
 * database (liveness) belongs on /api/health/live.
 */
import { readinessResponse } from '@/server/health';

export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return readinessResponse(request);
}
