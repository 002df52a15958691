/**
 * Round trips, counted on the wire: one round trip is one Sync answered by one ReadyForQuery
 * (the same definition as packages/db/test/integration/round-trips.test.ts).
 *
 * The baseline and prisma-example clients come from `createAdminPrismaClient`, which owns its pool,
 * so a per-pool `on('connect')` listener cannot reach them. Instead every node-postgres connection
 * in the process is counted, through pg's one shared `Connection` class (the workspace resolves a
 * single copy of pg, which adapter-pg needs anyway). Strategies run one at a time, so the counter's
 * delta over a measurement belongs to the strategy being measured. The cost is one string compare
 * per backend message, the same for every strategy.
 */
import pg from 'pg';

let readyForQuery = 0;
let installed = false;

export function installRoundTripCounter(): void {
  if (installed) return;
  installed = true;
  const proto = (pg as unknown as { Connection: { prototype: NodeJS.EventEmitter } }).Connection.prototype;
  const emit = proto.emit;
  proto.emit = function countingEmit(this: NodeJS.EventEmitter, event: string | symbol, ...args: unknown[]) {
    if (event === 'readyForQuery') readyForQuery += 1;
    return emit.call(this, event, ...args);
  };
}

export function roundTripsSoFar(): number {
  return readyForQuery;
}
