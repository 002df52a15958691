/**
 * One bounded GET of a JSON Web Key Set. node:http(s), not the global fetch: inside Next.js the global fetch is
 * patched with a data cache, and a cached key set would outlive a rotation; here nothing but this code decides.
 *
 * Bounded because the URL is called on the request path, possibly because of a token an attacker made up: a time
 * limit for the whole exchange, a byte limit on the body (checked while reading, not after), no redirects (a key set
 * that moved is a configuration change, not something to follow), and a limit on the number of keys.
 */
import http from 'node:http';
import https from 'node:https';

export interface JwksFetchLimits {
  /** The whole exchange, connect to last byte. */
  timeoutMs: number;
  /** The body, in bytes. */
  maxBytes: number;
  /** Entries in `keys`. */
  maxKeys: number;
}

/** Why a fetch failed, as a clause: fixed text plus numbers, never a body or a header value. */
export class JwksFetchError extends Error {
  override name = 'JwksFetchError';
}

export function fetchJwks(url: URL, limits: JwksFetchLimits): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(new JwksFetchError(message, cause === undefined ? undefined : { cause }));
    };
    const request = client.get(url, { headers: { accept: 'application/json' } }, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        response.resume();
        return fail(
          status >= 300 && status < 400
            ? `it answered HTTP ${status} (a redirect; redirects are not followed, put the final URL in the variable)`
            : `it answered HTTP ${status}`,
        );
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        return fail(`its body is larger than ${limits.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) return fail(`its body is larger than ${limits.maxBytes} bytes`);
        chunks.push(chunk);
      });
      response.on('error', (error) => fail('the connection failed while reading the body', error));
      response.on('end', () => {
        if (settled) return;
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (error) {
          return fail('its body is not JSON', error);
        }
        const keys = (body as { keys?: unknown } | null)?.keys;
        if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
          return fail('its body is not a JSON Web Key Set ({"keys": [...]})');
        }
        if (keys.length > limits.maxKeys) return fail(`it lists more than ${limits.maxKeys} keys`);
        settled = true;
        clearTimeout(timer);
        resolve(keys as Record<string, unknown>[]);
      });
    });
    request.on('error', (error) => fail('the connection failed', error));
    timer = setTimeout(() => fail(`it did not answer within ${limits.timeoutMs} ms`), limits.timeoutMs);
  });
}
