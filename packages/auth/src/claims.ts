/**
 * The claims both apps read from a verified token, Supabase's shape. Only `app_metadata`, never `user_metadata`: on
 * Supabase a user can edit their own user_metadata, so a tenant read from it would be chosen by the caller. Every
 * tenant named here is still only a claim: the apps check membership on the runtime role before using it.
 */
import type { JWTPayload } from 'jose';
import { TokenVerificationError } from './errors.js';

export interface TokenClaims {
  /** `sub`, a UUID, lower-cased. */
  userId: string;
  /** `email`, when it is a string. */
  email: string | undefined;
  /**
   * `app_metadata.tenant_id` as signed, when it is a string: not validated here, so each app can say what is wrong
   * with it (the API answers 400 naming the claim; the web ignores it and asks for a tenant).
   */
  tenantClaim: string | undefined;
  /** `app_metadata.tenant_ids`: the UUIDs among the first entries (at most MAX_TENANT_IDS), lower-cased. */
  tenantIds: string[];
  /** `app_metadata.tenant_role`, when it is a string. A claim only: the membership row holds the role. */
  tenantRole: string | undefined;
}

/** The web's tenant switcher lists these; a token is not the place for more. */
export const MAX_TENANT_IDS = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Throws TokenVerificationError('bad_subject') when `sub` is not a user id. */
export function extractClaims(payload: JWTPayload): TokenClaims {
  if (!isUuid(payload.sub)) throw new TokenVerificationError('bad_subject');
  const appMetadata =
    typeof payload.app_metadata === 'object' && payload.app_metadata !== null
      ? (payload.app_metadata as { tenant_id?: unknown; tenant_ids?: unknown; tenant_role?: unknown })
      : {};
  const tenantIds = Array.isArray(appMetadata.tenant_ids)
    ? appMetadata.tenant_ids
        .slice(0, MAX_TENANT_IDS)
        .filter(isUuid)
        .map((id) => id.toLowerCase())
    : [];
  return {
    userId: payload.sub.toLowerCase(),
    email: typeof payload.email === 'string' ? payload.email : undefined,
    tenantClaim: typeof appMetadata.tenant_id === 'string' ? appMetadata.tenant_id : undefined,
    tenantIds,
    tenantRole: typeof appMetadata.tenant_role === 'string' ? appMetadata.tenant_role : undefined,
  };
}
