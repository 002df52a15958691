/**
 * The Supabase part of the RLS settings: what PostgREST sets for a request, transaction-locally.
 *
 * - `request.jwt.claims`: the claims as JSON. Modern PostgREST sets only this, and Supabase's
 *   `auth.jwt()`, `auth.uid()`, `auth.role()` fall back to it.
 * - `request.jwt.claim.sub|role|email` and `request.jwt.claim`: the legacy names, which those same
 *   functions read FIRST (`coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
 *   claims ->> 'sub')`). They are always sent, with the claim's value or '', so that a value raw SQL
 *   left in the session cannot override the claims of this statement.
 * - `role`: last, so every custom setting above is written before the switch. Postgres allows it
 *   only when the session user is a member of the role (on Supabase: `GRANT authenticated TO
 *   tenantry_app`); otherwise the statement fails with 42501 and runs nothing.
 */
import type { JwtClaims, SupabaseRole } from './jwt-claims.js';

export const JWT_SETTING_NAMES = {
  claims: 'request.jwt.claims',
  sub: 'request.jwt.claim.sub',
  role: 'request.jwt.claim.role',
  email: 'request.jwt.claim.email',
  legacyClaims: 'request.jwt.claim',
  dbRole: 'role',
} as const;

const stringClaim = (claims: JwtClaims | undefined, name: string): string => {
  const value = claims?.[name];
  return typeof value === 'string' ? value : '';
};

/** Flattened `[name, value, ...]` pairs for a context with a role and/or claims. */
export function jwtSettingsFor(ctx: { role?: SupabaseRole; claims?: JwtClaims }): string[] {
  const settings = [
    JWT_SETTING_NAMES.claims,
    ctx.claims ? JSON.stringify(ctx.claims) : '',
    JWT_SETTING_NAMES.sub,
    stringClaim(ctx.claims, 'sub'),
    JWT_SETTING_NAMES.role,
    stringClaim(ctx.claims, 'role'),
    JWT_SETTING_NAMES.email,
    stringClaim(ctx.claims, 'email'),
    JWT_SETTING_NAMES.legacyClaims,
    '',
  ];
  if (ctx.role !== undefined) settings.push(JWT_SETTING_NAMES.dbRole, ctx.role);
  return settings;
}
