/**
 * `createTokenVerifier(config).verify(token)`: the one way both apps accept a JWT.
 *
 * The path is chosen by the header's `alg`, and each path allows exactly one source of keys:
 *   HS256                   -> JWT_SECRET only (refused when it is unset, whatever the key set holds)
 *   ES256, RS256, PS256, EdDSA -> the key set only, the key found by `kid`, the algorithm the key is pinned to
 *   anything else, `none`   -> refused before any key is looked at
 * So an HS256 token signed with a public key's bytes (the PEM or the JWK's JSON as the HMAC secret) is checked
 * against JWT_SECRET and fails, and when no secret is set it is refused outright.
 *
 * Then jose checks the signature and the claims: `aud` always (JWT_AUDIENCE, default `authenticated`), `iss` when
 * configured, `exp` and `sub` required, `nbf` honoured, with CLOCK_TOLERANCE_SECONDS of leeway.
 *
 * @example
 *   const verifier = createTokenVerifier(loadJwtConfig(process.env));
 *   const { userId, tenantClaim } = await verifier.verify(token); // throws TokenVerificationError
 */
import { type CryptoKey, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import { extractClaims, type TokenClaims } from './claims.js';
import { TokenVerificationError, type TokenFailureReason } from './errors.js';
import { ASYMMETRIC_ALGORITHMS } from './jwk-algorithms.js';
import { DEFAULT_JWKS_LIMITS, JwksClient, type JwksLimits } from './jwks-client.js';
import type { JwtConfig } from './jwt-config.js';

/**
 * Leeway on `exp` and `nbf`, in seconds: enough for the clock skew between the issuer's servers and ours (NTP keeps
 * it well under a second), small enough that an expired token stops working at once for any practical purpose.
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

export interface VerifiedToken extends TokenClaims {
  /** The algorithm the token was verified with. */
  algorithm: string;
  /** The key set's `kid` that verified it; undefined for HS256. */
  keyId: string | undefined;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
  /** What the verifier accepts, for the apps' startup line and errors. */
  readonly accepts: { hs256: boolean; jwks: boolean };
  /** The key set's fetches so far (0 without a key set): how tests prove the cooldown holds. */
  readonly jwksFetches: number;
}

export interface TokenVerifierOptions {
  /** The key set's cache and fetch bounds; DEFAULT_JWKS_LIMITS for what is not given. */
  jwks?: Partial<JwksLimits>;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function createTokenVerifier(config: JwtConfig, options: TokenVerifierOptions = {}): TokenVerifier {
  const jwks = config.jwksUrl && new JwksClient(config.jwksUrl, { ...DEFAULT_JWKS_LIMITS, ...options.jwks });
  const secret = config.hs256Secret;

  async function verify(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || !COMPACT_JWS.test(token)) throw new TokenVerificationError('malformed');
    let header: { alg?: unknown; kid?: unknown };
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw new TokenVerificationError('malformed', { cause });
    }
    const alg = typeof header.alg === 'string' ? header.alg : '';
    let key: CryptoKey | Uint8Array;
    let keyId: string | undefined;
    if (alg === 'HS256') {
      if (!secret) {
        throw new TokenVerificationError('bad_algorithm', { detail: 'HS256 token, but JWT_SECRET is not set' });
      }
      key = secret;
    } else if (ASYMMETRIC_ALGORITHMS.includes(alg)) {
      if (!jwks) {
        throw new TokenVerificationError('bad_algorithm', { detail: 'asymmetric token, but no key set is configured' });
      }
      const kid = typeof header.kid === 'string' ? header.kid : undefined;
      const pinned = await jwks.keyFor(kid, alg);
      key = pinned.key;
      keyId = pinned.kid;
    } else {
      throw new TokenVerificationError('bad_algorithm', { detail: 'the header names an algorithm never accepted' });
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [alg], // the one the path above chose: jose refuses any other
        audience: config.audience,
        ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (cause) {
      throw new TokenVerificationError(reasonOf(cause), { cause });
    }
    return { ...extractClaims(payload), algorithm: alg, keyId, expiresAt: payload.exp! };
  }

  return {
    verify,
    accepts: { hs256: secret !== undefined, jwks: jwks !== undefined },
    get jwksFetches() {
      return jwks?.fetches ?? 0;
    },
  };
}

function reasonOf(error: unknown): TokenFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    // A token without `aud` or `iss` is not for us either: the same reason as a wrong one.
    if (error.claim === 'aud') return 'bad_audience';
    if (error.claim === 'iss') return 'bad_issuer';
    if (error.claim === 'nbf' && error.reason === 'check_failed') return 'not_yet_valid';
    return 'missing_claim'; // sub or exp absent, or a claim of the wrong type (exp not a number)
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'bad_algorithm';
  return 'malformed';
}
