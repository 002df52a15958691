// The README's "Deploying on Supabase" example, verbatim, so `pnpm typecheck` compiles it and
// test/unit/supabase-context.test.ts fails when the README and this file disagree.

// supabase-snippet: supabase-context
import { prisma, tenantContext, type JwtClaims } from '@tenantry/db';

/** `claims`: the payload of the Supabase access token your server verified (never an unverified one). */
export async function listMyNotes(tenantId: string, claims: JwtClaims & { sub: string }) {
  return tenantContext.run({ tenantId, userId: claims.sub, role: 'authenticated', claims }, () =>
    // Runs as `authenticated` with request.jwt.claims set: auth.uid() policies apply, as for PostgREST.
    prisma.$queryRaw<{ id: string }[]>`select id from notes order by created_at desc`,
  );
}
// end-supabase-snippet
