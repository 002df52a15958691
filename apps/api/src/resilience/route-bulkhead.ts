/**
 * A bulkhead per route group (a controller): at most `limit` of its requests run at once, the rest
 * wait in line, each no longer than its own deadline, then answer 503 `route_busy`.
 *
 * Why: one locked or slow table holds every connection that touches it for as long as the lock
 * lasts. Without a cap, twelve requests behind a lock fill a pool of ten, and routes that never
 * touch that table (/workspaces, /me) fail too: one table becomes a full outage. With the cap, the
 * stuck group keeps at most its share and the other routes keep the rest of the pool.
 */
import { RouteBusyError } from '../http/error-mapping.js';

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout;
}

class Lane {
  running = 0;
  readonly queue: Waiter[] = [];
}

export class RouteBulkhead {
  private readonly lanes = new Map<string, Lane>();

  constructor(readonly limit: number) {}

  /** Runs `fn` once the group has a free slot; gives up with RouteBusyError after `maxWaitMs`. */
  async run<T>(group: string, maxWaitMs: number, fn: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(group);
    if (!lane) this.lanes.set(group, (lane = new Lane()));
    if (lane.running >= this.limit) await this.wait(lane, group, maxWaitMs);
    else lane.running += 1;
    try {
      return await fn();
    } finally {
      this.leave(lane);
    }
  }

  /** How many of the group's requests run now and wait now (for tests and logs). */
  load(group: string): { running: number; waiting: number } {
    const lane = this.lanes.get(group);
    return { running: lane?.running ?? 0, waiting: lane?.queue.length ?? 0 };
  }

  private wait(lane: Lane, group: string, maxWaitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(
          () => {
            lane.queue.splice(lane.queue.indexOf(waiter), 1);
            reject(new RouteBusyError(group));
          },
          Math.max(0, maxWaitMs),
        ),
      };
      lane.queue.push(waiter);
    });
  }

  /** Hands the slot straight to the next waiter (the count stays), or frees it. */
  private leave(lane: Lane): void {
    const next = lane.queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve();
    } else {
      lane.running -= 1;
    }
  }
}
