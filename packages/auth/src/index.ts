/**
 * @tenantry/auth: how the Tenantry apps accept a JWT. One config rule (loadJwtConfig), one verifier
 * (createTokenVerifier: HS256 with JWT_SECRET, ES256/RS256 through a bounded JWKS cache), typed failures, and the
 * claims both apps read. See docs/authentication.md.
 */
export { extractClaims, isUuid, MAX_TENANT_IDS, type TokenClaims } from './claims.js';
export {
  AuthError,
  JwtConfigError,
  TOKEN_FAILURE_DESCRIPTIONS,
  type TokenFailureReason,
  TokenVerificationError,
} from './errors.js';
export type { AsymmetricAlgorithm } from './jwk-algorithms.js';
export { DEFAULT_JWKS_LIMITS, type JwksLimits } from './jwks-client.js';
export { DEFAULT_AUDIENCE, type JwtConfig, type JwtEnv, loadJwtConfig } from './jwt-config.js';
export {
  CLOCK_TOLERANCE_SECONDS,
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
  type VerifiedToken,
} from './token-verifier.js';
