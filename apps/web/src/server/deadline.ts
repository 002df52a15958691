/**
 * A request's time budget, started when the request arrived.
 *
 * In the database: a route handler or a server action runs two tenant contexts one after the other
 * (the membership check in the claimed tenant, then the work), and the engine's deadline belongs to
 * one `tenantContext.run`: giving each the full WEB_REQUEST_DEADLINE_MS would let a request take
 * twice as long as configured. So the second `run` gets what the first left.
 *
 * Over HTTP: the engine's limits fire on the server (statement_timeout, lock_timeout), so a database
 * that stops answering mid-statement (a paused server, a cut network, a frozen pooler) sends no error
 * at all. The engine gives up on such a statement 200 ms after its deadline (DeadlineExceededError,
 * kind `no-answer`), but a handler can also hang on something that is not a statement (a fetch, a
 * lock in the app). `race` answers anyway, a little after both, with a RequestDeadlineError (504).
 */
import { webConfig } from './config';

/**
 * After the budget and after the engine's own no-answer cut (200 ms), so the engine's more precise
 * DeadlineExceededError wins whenever it comes (with room for a busy event loop).
 */
const HTTP_GRACE_MS = 400;

/** The request outlived its deadline without the database saying so (see `race`). */
export class RequestDeadlineError extends Error {
  override name = 'RequestDeadlineError';
  // The fields the availability mapping and the log line read, as on the engine's errors.
  readonly postgresCode = undefined;
  readonly systemCode = undefined;
  readonly retryAfterSeconds = 1;
  /** The work goes on after the answer and may still commit. */
  readonly mayHaveCommitted = true;
  readonly kind = 'request';
  readonly source = 'deadline';
  constructor(readonly limitMillis: number) {
    super(
      `Cannot answer this request because it took longer than its deadline of ${limitMillis} ms. Retry shortly; raise WEB_REQUEST_DEADLINE_MS if this work needs longer.`,
    );
  }
}

export interface RequestDeadline {
  /** The ms left for the next `tenantContext.run`, or undefined when there is no deadline. */
  remainingMs(): number | undefined;
  /** `work()`, or a RequestDeadlineError once the budget and a short grace have passed. */
  race<T>(work: () => Promise<T>): Promise<T>;
}

export function requestDeadline(budgetMs: number | undefined = webConfig().requestDeadlineMs): RequestDeadline {
  if (budgetMs === undefined) return { remainingMs: () => undefined, race: (work) => work() };
  const end = performance.now() + budgetMs;
  return {
    // Never below 1: the engine refuses deadlineMs 0 as an invalid context (InvalidTenantContextError,
    // which would answer 400 "not a valid id"), while 1 ms left makes the next statement fail as what
    // it is, a DeadlineExceededError.
    remainingMs: () => Math.max(1, Math.floor(end - performance.now())),
    race<T>(work: () => Promise<T>): Promise<T> {
      const running = work();
      // The work may still fail after the 504 went out; nobody awaits it then: mark it handled.
      running.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new RequestDeadlineError(budgetMs)),
          Math.max(0, end - performance.now()) + HTTP_GRACE_MS,
        );
      });
      return Promise.race([running, expired]).finally(() => clearTimeout(timer));
    },
  };
}
