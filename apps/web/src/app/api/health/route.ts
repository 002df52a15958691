/** Liveness for `pnpm dev` and the tests: the process answers. Needs no tenant and touches no data. */
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ok' });
}
