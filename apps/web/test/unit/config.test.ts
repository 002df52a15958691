/** WEB_REQUEST_DEADLINE_MS and a route's own deadline: the default, "none", and clear refusals. */
import { describe, expect, it } from 'vitest';
import { WebConfigError, loadWebConfig, requestDeadlineFromEnv, validRouteDeadline } from '../../src/server/config';

describe('WEB_REQUEST_DEADLINE_MS', () => {
  it('defaults to 5000 ms, takes whole milliseconds, and 0 means no deadline', () => {
    expect(requestDeadlineFromEnv({})).toBe(5000);
    expect(requestDeadlineFromEnv({ WEB_REQUEST_DEADLINE_MS: '' })).toBe(5000);
    expect(requestDeadlineFromEnv({ WEB_REQUEST_DEADLINE_MS: '250' })).toBe(250);
    expect(requestDeadlineFromEnv({ WEB_REQUEST_DEADLINE_MS: '0' })).toBeUndefined();
    expect(
      loadWebConfig({ NODE_ENV: 'test', JWT_SECRET: 'x', WEB_REQUEST_DEADLINE_MS: '1200' }).requestDeadlineMs,
    ).toBe(1200);
  });

  it.each(['5s', '-1', '1.5', '5e3', ' 50', '2147483648'])(
    'refuses %j, naming the variable and how to fix it',
    (value) => {
      expect(() => requestDeadlineFromEnv({ WEB_REQUEST_DEADLINE_MS: value })).toThrow(WebConfigError);
      expect(() => requestDeadlineFromEnv({ WEB_REQUEST_DEADLINE_MS: value })).toThrow(
        /^Cannot .* because WEB_REQUEST_DEADLINE_MS is not a whole number of milliseconds\. Set it to/,
      );
    },
  );

  it('refuses a route deadline that the engine would refuse on every request', () => {
    expect(validRouteDeadline(2000)).toBe(2000);
    for (const value of [0, -5, 1.5, Number.NaN])
      expect(() => validRouteDeadline(value)).toThrow(/deadlineMs is not a whole number/);
  });
});
