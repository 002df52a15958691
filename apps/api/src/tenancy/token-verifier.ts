/**
 * Verifies `Authorization: Bearer <JWT>` (HS256, jose) and returns who is calling. Tokens have the
 * shape Supabase Auth issues: `sub` is the user id, `aud` is `authenticated`, and the active tenant,
 * when the token carries one, is `app_metadata.tenant_id`. Never `user_metadata`: on Supabase users
 * can edit their own user_metadata, so a tenant read from it would be chosen by the caller.
 */
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { API_CONFIG, type ApiConfig } from '../config/api-config.js';

export interface VerifiedIdentity {
  userId: string;
  email: string | undefined;
  /** `app_metadata.tenant_id`, not yet checked against the user's memberships. */
  tenantClaim: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

@Injectable()
export class TokenVerifier {
  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  async verify(authorization: string | undefined): Promise<VerifiedIdentity> {
    if (!authorization) {
      throw new UnauthorizedException(
        'Cannot authenticate because the Authorization header is missing. Send Authorization: Bearer <JWT>.',
      );
    }
    const token = BEARER.exec(authorization.trim())?.[1];
    if (!token) {
      throw new UnauthorizedException(
        'Cannot authenticate because the Authorization header is not "Bearer <JWT>". Send Authorization: Bearer <JWT>.',
      );
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.config.jwt.secret, {
        algorithms: ['HS256'], // pinned: never accept `none` or an algorithm the token picks
        audience: this.config.jwt.audience,
        ...(this.config.jwt.issuer ? { issuer: this.config.jwt.issuer } : {}),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      const reason =
        error instanceof errors.JWTExpired
          ? 'the token has expired'
          : 'the token is not valid (signature, algorithm, audience or claims)';
      throw new UnauthorizedException(`Cannot authenticate because ${reason}. Sign in again to get a new token.`, {
        cause: error,
      });
    }
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
      throw new UnauthorizedException(
        'Cannot authenticate because the token subject (sub) is not a user id (UUID). Use a token issued for a user.',
      );
    }
    const appMetadata = payload.app_metadata as { tenant_id?: unknown } | undefined;
    const tenantClaim = typeof appMetadata?.tenant_id === 'string' ? appMetadata.tenant_id : undefined;
    return {
      userId: payload.sub.toLowerCase(),
      email: typeof payload.email === 'string' ? payload.email : undefined,
      tenantClaim,
    };
  }
}
