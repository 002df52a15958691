/**
 * The key set, cached and refreshed within bounds. Why not jose's createRemoteJWKSet: it picks the key by the token's
 * `alg` and lets an RSA key without `alg` verify PS256 too; here each key is pinned to one algorithm when it is
 * fetched (jwk-algorithms.ts), the fetch is bounded in bytes and keys as well as time, and the refetch cooldown also
 * holds after a failed fetch, so a key set that is down is not hammered by every request.
 *
 * - Fresh for `cacheMaxAgeMs` after a successful fetch; a stale set is refetched before use.
 * - A `kid` the set does not have triggers one refetch (a rotation: the issuer published a new key), but at most one
 *   per `cooldownMs` since the last attempt, whatever the outcome: made-up kids cost at most one fetch per cooldown.
 * - Concurrent callers share one fetch in flight.
 * - A stale set whose refetch fails is not used: a key removed from the set is a revocation, and an outage must not
 *   extend it indefinitely. Tokens fail with `jwks_unavailable` until the set answers again.
 */
import { type CryptoKey, importJWK } from 'jose';
import { TokenVerificationError } from './errors.js';
import { type AsymmetricAlgorithm, headerMatches, pinnedAlgorithm } from './jwk-algorithms.js';
import { fetchJwks, type JwksFetchLimits } from './jwks-fetch.js';

export interface JwksLimits extends JwksFetchLimits {
  /** How long a fetched set is used without refetching. */
  cacheMaxAgeMs: number;
  /** The least time between two fetches caused by an unknown kid (or retried after a failure). */
  cooldownMs: number;
}

/**
 * Defaults: 10 minutes of cache, one refetch per 5 s at most (12 a minute per process, cheap for the issuer and
 * short enough that a token signed by a just-published key is refused for a few seconds at worst), 3 s for the
 * whole fetch (it runs on the request path), 64 KiB and 20 keys (Supabase publishes two or three).
 */
export const DEFAULT_JWKS_LIMITS: Readonly<JwksLimits> = {
  cacheMaxAgeMs: 10 * 60_000,
  cooldownMs: 5_000,
  timeoutMs: 3_000,
  maxBytes: 64 * 1024,
  maxKeys: 20,
};

export interface PinnedKey {
  kid: string | undefined;
  alg: AsymmetricAlgorithm;
  key: CryptoKey;
}

export class JwksClient {
  #keys: PinnedKey[] = [];
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastFailure: TokenVerificationError | undefined;
  #inFlight: Promise<void> | undefined;
  #fetches = 0;

  constructor(
    readonly url: URL,
    readonly limits: Readonly<JwksLimits> = DEFAULT_JWKS_LIMITS,
  ) {}

  /** Fetches made so far (successful or not). */
  get fetches(): number {
    return this.#fetches;
  }

  /** The key that verifies a token with this header: by kid (or the only key, without one), pinned to its alg. */
  async keyFor(kid: string | undefined, alg: string): Promise<PinnedKey> {
    await this.#ensureFresh();
    let matches = this.#match(kid);
    if (matches.length === 0 && Date.now() - this.#attemptedAt >= this.limits.cooldownMs) {
      await this.#refresh();
      matches = this.#match(kid);
    }
    if (matches.length === 0) {
      throw new TokenVerificationError('unknown_key', {
        detail: kid === undefined ? 'the token has no kid and the key set has not exactly one key' : 'kid not in set',
      });
    }
    const key = matches.find((k) => headerMatches(k.alg, alg));
    if (!key) {
      throw new TokenVerificationError('bad_algorithm', { detail: "the header's alg is not the one its key is for" });
    }
    return key;
  }

  #match(kid: string | undefined): PinnedKey[] {
    if (kid === undefined) return this.#keys.length === 1 ? this.#keys : [];
    return this.#keys.filter((k) => k.kid === kid);
  }

  async #ensureFresh(): Promise<void> {
    if (Date.now() - this.#fetchedAt < this.limits.cacheMaxAgeMs) return;
    if (this.#lastFailure && Date.now() - this.#attemptedAt < this.limits.cooldownMs) {
      throw new TokenVerificationError('jwks_unavailable', {
        cause: this.#lastFailure.cause,
        detail: this.#lastFailure.detail,
      });
    }
    await this.#refresh();
  }

  #refresh(): Promise<void> {
    this.#inFlight ??= this.#load().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #load(): Promise<void> {
    this.#attemptedAt = Date.now();
    this.#fetches++;
    try {
      const jwks = await fetchJwks(this.url, this.limits);
      const keys: PinnedKey[] = [];
      for (const jwk of jwks) {
        const pinned = pinnedAlgorithm(jwk);
        if (!('alg' in pinned)) continue;
        // importJWK checks the key's own consistency (a point on the curve, a usable modulus).
        const key = await importJWK({ ...jwk, alg: pinned.alg === 'EdDSA' ? 'Ed25519' : pinned.alg }, undefined, {
          extractable: false,
        }).catch(() => undefined);
        if (!key || key instanceof Uint8Array) continue;
        keys.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg: pinned.alg, key });
      }
      this.#keys = keys;
      this.#fetchedAt = Date.now();
      this.#lastFailure = undefined;
    } catch (error) {
      const failure = new TokenVerificationError('jwks_unavailable', {
        cause: error,
        detail: `the key set could not be fetched: ${error instanceof Error ? error.message : 'unknown failure'}`,
      });
      this.#lastFailure = failure;
      throw failure;
    }
  }
}
