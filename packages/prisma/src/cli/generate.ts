// `tenantry generate [prisma generate options]`: Prisma's own `prisma generate`, run with the project's
// prisma.config.ts, that also works where Prisma cannot download its native schema engine (offline machines,
// firewalled CI). Code generation does not need that engine, but every Prisma CLI command first tries to
// download it and fails offline (ENOTFOUND); pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing executable
// stops the download. That is done only when no native engine is installed and you did not set the variable.
import { engineFreeEnv, runPrismaCli } from '../migrate/native-engine.js';
import type { CliContext } from './context.js';

/** `tenantry generate <argv...>`; resolves with prisma's exit code. */
export async function generateCommand(argv: string[], ctx: CliContext): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      `Usage: ${ctx.programName} generate [prisma generate options]\n\n` +
        'Runs `prisma generate` with the schema prisma.config.ts names, also offline (see the docs of @tenantry/prisma).\n',
    );
    return 0;
  }
  const config = await ctx.config();
  const env = await engineFreeEnv();
  const configArgs =
    config.file && !argv.some((a) => a === '--config' || a.startsWith('--config=')) ? ['--config', config.file] : [];
  return runPrismaCli(['generate', ...configArgs, ...argv], env);
}
