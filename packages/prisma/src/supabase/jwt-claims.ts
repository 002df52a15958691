/**
 * Supabase fields of a tenant context: the database role a statement runs as and the verified JWT
 * claims that Supabase's `auth.uid()`, `auth.jwt()` and `auth.role()` read. With them, policies
 * written for PostgREST (`TO authenticated USING (owner_id = auth.uid())`) hold for Prisma queries
 * exactly as they do for supabase-js.
 *
 * Why an allow-list of roles and not any name: the role is switched with
 * `set_config('role', $1, true)`, so whatever the context names becomes the statement's role.
 * Supabase's `service_role` has BYPASSRLS: a context that could name it would turn a request into an
 * RLS bypass, which only `@tenantry/db/admin` may be (I8). So only `anon` and `authenticated`.
 *
 * Claims must come from a JWT your server verified; Tenantry checks their shape, not their
 * signature. They must be plain JSON (what a decoded JWT payload is) and small: they travel as a
 * bind parameter with every statement.
 */
import { InvalidTenantContextError } from '../errors.js';

/** The roles a tenant context may switch to. `service_role` (BYPASSRLS on Supabase) is never one. */
export const SUPABASE_ROLES = ['anon', 'authenticated'] as const;
export type SupabaseRole = (typeof SUPABASE_ROLES)[number];

/** A decoded, verified JWT payload: JSON values only. */
export type JwtClaims = Readonly<Record<string, unknown>>;

/** Serialized claims above this size are refused (a Supabase access token's payload is ~1 KB). */
export const MAX_CLAIMS_BYTES = 8 * 1024;
const MAX_SUB_LENGTH = 255;
const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** A context field that is present but not a valid Supabase role or claims object. */
export class InvalidSupabaseContextError extends InvalidTenantContextError {
  override name = 'InvalidSupabaseContextError';
  constructor(field: string, reason: string, fix: string) {
    super(field, reason);
    // The base message advises a UUID; role and claims need their own fix.
    this.message = `Cannot start a tenant context because ${field} ${reason}. ${fix}`;
  }
}

const ROLE_FIX = `Pass role as one of ${SUPABASE_ROLES.join(', ')} (service_role bypasses RLS: use @tenantry/db/admin).`;
const CLAIMS_FIX = 'Pass claims as the payload of a JWT your server verified: a plain JSON object under 8 KB.';

/**
 * Validates the optional `role` and `claims` of a raw context. Returns them frozen (claims deep-
 * copied through JSON, so later mutation of the caller's object cannot change a running context),
 * or an empty object when neither is present.
 */
export function validateSupabaseFields(raw: Record<string, unknown>): { role?: SupabaseRole; claims?: JwtClaims } {
  const out: { role?: SupabaseRole; claims?: JwtClaims } = {};
  if (raw.role !== undefined) out.role = validateRole(raw.role, 'role');
  if (raw.claims !== undefined) out.claims = validateClaims(raw.claims);
  const claims = out.claims;
  if (claims !== undefined) {
    if (claims.role !== undefined) {
      // PostgREST takes the role from the claims; a context must not say one thing and run another.
      const claimedRole = validateRole(claims.role, 'claims.role');
      if (out.role !== claimedRole) {
        throw new InvalidSupabaseContextError(
          'claims.role',
          'differs from role',
          "Pass role equal to the JWT's role claim.",
        );
      }
    }
    if (claims.sub !== undefined) {
      if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > MAX_SUB_LENGTH) {
        throw new InvalidSupabaseContextError(
          'claims.sub',
          'is not a non-empty string of at most 255 characters',
          CLAIMS_FIX,
        );
      }
      if (typeof raw.userId === 'string' && raw.userId.toLowerCase() !== claims.sub.toLowerCase()) {
        throw new InvalidSupabaseContextError(
          'claims.sub',
          'differs from userId',
          "Pass userId equal to the JWT's sub claim, or omit userId.",
        );
      }
    }
  }
  return out;
}

function validateRole(value: unknown, field: string): SupabaseRole {
  if (typeof value !== 'string' || !ROLE_NAME.test(value)) {
    throw new InvalidSupabaseContextError(field, 'is not a role name', ROLE_FIX);
  }
  if (!(SUPABASE_ROLES as readonly string[]).includes(value)) {
    throw new InvalidSupabaseContextError(field, 'is not a role a tenant context may switch to', ROLE_FIX);
  }
  return value as SupabaseRole;
}

function validateClaims(value: unknown): JwtClaims {
  if (!isPlainObject(value)) throw new InvalidSupabaseContextError('claims', 'is not a plain object', CLAIMS_FIX);
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    // Cycles, BigInt, or nesting deep enough to overflow the stack.
    throw Object.assign(new InvalidSupabaseContextError('claims', 'cannot be serialized as JSON', CLAIMS_FIX), {
      cause: error,
    });
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_CLAIMS_BYTES) {
    throw new InvalidSupabaseContextError('claims', `is larger than ${MAX_CLAIMS_BYTES} bytes as JSON`, CLAIMS_FIX);
  }
  // JSON.stringify silently drops undefined and functions and turns NaN into null: refuse those
  // rather than send claims that differ from what the caller holds.
  if (!isJsonValue(value))
    throw new InvalidSupabaseContextError('claims', 'holds a value that is not JSON', CLAIMS_FIX);
  return deepFreeze(JSON.parse(json) as Record<string, unknown>);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  return isPlainObject(value) && Object.values(value).every(isJsonValue);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
