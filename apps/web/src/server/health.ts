/**
 * The health answers: liveness (the process serves requests; no database) and readiness (the
 * database answers on the readiness pool, see readiness.ts). Both `no-store`: a cached "ok" from a
 * proxy would hide an outage.
 */
import { mapError } from './errors';
import { logFailure, routeOf } from './log';
import { probeReadiness } from './readiness';

const NO_STORE = { 'cache-control': 'no-store' };

export function livenessResponse(): Response {
  return Response.json({ status: 'ok' }, { headers: NO_STORE });
}

export async function readinessResponse(request: Request): Promise<Response> {
  const result = await probeReadiness();
  if (result.ready)
    return Response.json({ status: 'ok', database: 'ok', latencyMs: result.latencyMs }, { headers: NO_STORE });
  logFailure(routeOf(request.method, request.url), result.error, mapError(result.error));
  const message =
    result.cause === 'database_error'
      ? 'Cannot serve requests because the readiness check failed with an error that is not an outage (its class is in the server log). Check DATABASE_URL and the runtime role.'
      : `Cannot serve requests because the database is busy or unreachable (${result.cause}). Try again in ${result.retryAfterSeconds} s.`;
  return Response.json(
    { statusCode: 503, status: 'unavailable', database: 'unavailable', cause: result.cause, message },
    { status: 503, headers: { ...NO_STORE, 'retry-after': String(result.retryAfterSeconds) } },
  );
}
