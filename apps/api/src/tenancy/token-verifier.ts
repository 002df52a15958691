/**
 * Verifies `Authorization: Bearer <JWT>` and returns who is calling, through @tenantry/auth: the same verifier and
 * config rule as the web app (HS256 with JWT_SECRET, ES256/RS256 through the JWKS of JWKS_URL or SUPABASE_URL; see
 * docs/authentication.md). Tokens have the shape Supabase Auth issues: `sub` is the user id, `aud` is
 * `authenticated`, and the active tenant, when the token carries one, is `app_metadata.tenant_id`. Never
 * `user_metadata`: on Supabase users can edit their own user_metadata, so a tenant read from it would be chosen by
 * the caller.
 *
 * A token that is not accepted is a 401 naming the reason. A key set that cannot be fetched is a 503: the token may
 * be fine, and a 401 would tell the client to throw it away.
 */
import { Inject, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import {
  createTokenVerifier,
  TOKEN_FAILURE_DESCRIPTIONS,
  type TokenVerifier as AuthTokenVerifier,
  TokenVerificationError,
  type VerifiedToken,
} from '@tenantry/auth';
import { API_CONFIG, type ApiConfig } from '../config/api-config.js';

export interface VerifiedIdentity {
  userId: string;
  email: string | undefined;
  /** `app_metadata.tenant_id`, not yet checked against the user's memberships. */
  tenantClaim: string | undefined;
}

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

@Injectable()
export class TokenVerifier {
  /** One per app: it holds the key set's cache. */
  private readonly verifier: AuthTokenVerifier;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.verifier = createTokenVerifier(config.jwt);
  }

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
    let verified: VerifiedToken;
    try {
      verified = await this.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof TokenVerificationError)) throw error;
      const because = TOKEN_FAILURE_DESCRIPTIONS[error.reason];
      if (error.reason === 'jwks_unavailable') {
        throw new ServiceUnavailableException(
          `Cannot authenticate because ${because}. Try again shortly with the same token.`,
          { cause: error },
        );
      }
      const fix =
        error.reason === 'bad_subject' ? 'Use a token issued for a user.' : 'Sign in again to get a new token.';
      throw new UnauthorizedException(`Cannot authenticate because ${because}. ${fix}`, { cause: error });
    }
    return { userId: verified.userId, email: verified.email, tenantClaim: verified.tenantClaim };
  }
}
