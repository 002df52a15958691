// `pnpm db:generate` (and postinstall), `pnpm db:studio`: the real Prisma CLI, made to work on
// machines that cannot download Prisma's native schema engine.
//
// Every Prisma CLI command first tries to download that engine and fails offline (ENOTFOUND). Code
// generation does not need it: pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file stops the
// download. We do that only when no working native engine is installed, and never for migrate
// commands (a stand-in makes `migrate diff --exit-code` report a false "no drift"); those go
// through scripts/tenantry.ts (`tenantry migrate`).
import dotenv from 'dotenv';
import { engineFreeEnv, runPrismaCli } from '@tenantry/prisma/migrate';

dotenv.config({ path: ['.env', '../../.env'], quiet: true });
const args = process.argv.slice(2);
if (args[0] === 'migrate' || args[0] === 'db') {
  process.stderr.write(
    'Use `pnpm db:migrate`, `pnpm db:deploy` or `pnpm db:drift` for migrations: they work offline too.\n',
  );
  process.exit(2);
}
process.exit(await runPrismaCli(args, await engineFreeEnv()));
