/**
 * The package's errors: one base class, one for configuration, one for a token that was not accepted. Messages
 * follow "Cannot <action> because <reason>. <how to fix>." and never contain the token, a claim's value or a key:
 * they end up in HTTP answers and logs.
 */

export class AuthError extends Error {
  override name = 'AuthError';
}

/** The environment does not say how to verify tokens, or says it wrongly. Names the variable and the fix. */
export class JwtConfigError extends AuthError {
  override name = 'JwtConfigError';
  /** The variable at fault (JWT_SECRET, JWKS_URL, SUPABASE_URL, JWT_AUDIENCE, JWT_ISSUER). */
  readonly variable: string;

  constructor(variable: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.variable = variable;
  }
}

/**
 * Why a token was not accepted. `jwks_unavailable` is the only one that is not the token's fault: the key set could
 * not be fetched (down, slow, too large, not a JWKS), so the caller may retry the same token later.
 */
export type TokenFailureReason =
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'bad_algorithm'
  | 'bad_audience'
  | 'bad_issuer'
  | 'missing_claim'
  | 'bad_subject'
  | 'unknown_key'
  | 'jwks_unavailable';

/** What each reason means, as the clause after "because". Fixed text: safe to show to the caller. */
export const TOKEN_FAILURE_DESCRIPTIONS: Readonly<Record<TokenFailureReason, string>> = {
  malformed: 'the token is not valid (it is not a well-formed JWS compact JWT)',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet (its nbf is in the future)',
  bad_signature: 'the token is not valid (its signature does not match)',
  bad_algorithm: 'the token is not valid (its algorithm is not accepted for its key)',
  bad_audience: 'the token is not valid (its audience, aud, is not the expected one)',
  bad_issuer: 'the token is not valid (its issuer, iss, is not the expected one)',
  missing_claim: 'the token is not valid (a required claim, sub or exp, is missing)',
  bad_subject: 'the token subject (sub) is not a user id (UUID)',
  unknown_key: 'the token is not valid (it names a signing key the key set does not have)',
  jwks_unavailable: 'the signing keys (JWKS) cannot be fetched right now',
};

export class TokenVerificationError extends AuthError {
  override name = 'TokenVerificationError';
  readonly reason: TokenFailureReason;

  /** `detail`: what exactly failed, for logs (fixed text, no values); the message stays the reason's sentence. */
  constructor(reason: TokenFailureReason, options?: ErrorOptions & { detail?: string }) {
    const fix =
      reason === 'jwks_unavailable'
        ? 'Try again shortly; if it persists, check that JWKS_URL (or SUPABASE_URL) answers with a JSON Web Key Set.'
        : 'Sign in again to get a new token.';
    super(`Cannot verify the token because ${TOKEN_FAILURE_DESCRIPTIONS[reason]}. ${fix}`, options);
    this.reason = reason;
    this.detail = options?.detail;
  }

  readonly detail: string | undefined;
}
