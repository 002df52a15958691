/**
 * Which algorithm a key may verify, decided by the key, never by the token. A token's header names its `alg`; if the
 * verifier let that choose, a token could pick `none`, or HS256 with the public key's bytes as the HMAC secret. So
 * each JWK is mapped to exactly one algorithm when the key set is fetched, and a token is verified with that one:
 *
 *   kty EC,  crv P-256             -> ES256 (a JWK `alg`, if present, must say ES256)
 *   kty RSA, alg absent or RS256   -> RS256 (modulus at least 2048 bits)
 *   kty RSA, alg PS256             -> PS256 (only when the key says so: RSA keys default to RS256)
 *   kty OKP, crv Ed25519           -> EdDSA (alg absent, EdDSA or Ed25519)
 *
 * Anything else (symmetric `oct` keys, private keys, other curves, keys for encryption) is left out of the set.
 */
export type AsymmetricAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** The algorithms a token header may name at all; HS256 only with JWT_SECRET. */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['ES256', 'RS256', 'PS256', 'EdDSA', 'Ed25519'];

const MIN_RSA_MODULUS_BYTES = 256; // 2048 bits

/** The one algorithm `jwk` verifies, or why it is not usable for verifying tokens. */
export function pinnedAlgorithm(
  jwk: Readonly<Record<string, unknown>>,
): { alg: AsymmetricAlgorithm } | { skip: string } {
  if (jwk.use !== undefined && jwk.use !== 'sig') return { skip: 'its use is not sig' };
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return { skip: 'its key_ops do not include verify' };
  }
  // A private key in a public key set is a leak upstream; never import it.
  if (jwk.d !== undefined || jwk.k !== undefined) return { skip: 'it holds private or symmetric key material' };
  const declared = jwk.alg;
  switch (jwk.kty) {
    case 'EC':
      if (jwk.crv !== 'P-256') return { skip: 'its curve is not P-256' };
      return declared === undefined || declared === 'ES256' ? { alg: 'ES256' } : { skip: 'its alg contradicts P-256' };
    case 'RSA': {
      if (typeof jwk.n !== 'string' || Math.floor((jwk.n.length * 3) / 4) < MIN_RSA_MODULUS_BYTES) {
        return { skip: 'its modulus is shorter than 2048 bits' };
      }
      if (declared === undefined || declared === 'RS256') return { alg: 'RS256' };
      if (declared === 'PS256') return { alg: 'PS256' };
      return { skip: 'its alg is not RS256 or PS256' };
    }
    case 'OKP':
      if (jwk.crv !== 'Ed25519') return { skip: 'its curve is not Ed25519' };
      return declared === undefined || declared === 'EdDSA' || declared === 'Ed25519'
        ? { alg: 'EdDSA' }
        : { skip: 'its alg contradicts Ed25519' };
    default:
      return { skip: 'its kty is not EC, RSA or OKP' };
  }
}

/** jose names Ed25519 signatures `EdDSA` or `Ed25519` (RFC 9864); both mean the same key type here. */
export function headerMatches(pinned: AsymmetricAlgorithm, headerAlg: string): boolean {
  return pinned === headerAlg || (pinned === 'EdDSA' && headerAlg === 'Ed25519');
}
