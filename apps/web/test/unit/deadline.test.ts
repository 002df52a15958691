/**
 * The request deadline's HTTP timer: the backstop for a handler that hangs on something the engine
 * cannot cut (not a statement), answered as a 504 that says the work may still complete.
 */
import { describe, expect, it } from 'vitest';
import { RequestDeadlineError, requestDeadline } from '../../src/server/deadline';
import { mapError } from '../../src/server/errors';

describe('requestDeadline', () => {
  it('rejects hanging work with RequestDeadlineError a little after the budget', async () => {
    const started = performance.now();
    const error = await requestDeadline(100)
      .race(() => new Promise<never>(() => {}))
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RequestDeadlineError);
    expect(elapsed).toBeGreaterThanOrEqual(340); // 100 ms budget + 250 ms grace, minus timer slack
    expect(elapsed).toBeLessThan(1000);
    expect(mapError(error)).toMatchObject({
      status: 504,
      availability: { cause: 'deadline_exceeded', kind: 'request', mayHaveCommitted: true, retryAfterSeconds: 1 },
    });
    expect(mapError(error).message).toBe(
      'The database is busy and did not answer in time; try again in 1 s. The change may have been saved: reload to check before trying again.',
    );
  });

  it('hands on what is left of the budget, never less than 1 ms, and passes work that finishes in time', async () => {
    const deadline = requestDeadline(60);
    expect(deadline.remainingMs()).toBeLessThanOrEqual(60);
    await new Promise((r) => setTimeout(r, 80));
    expect(deadline.remainingMs()).toBe(1);
    expect(await requestDeadline(1000).race(async () => 'done')).toBe('done');
  });
});
