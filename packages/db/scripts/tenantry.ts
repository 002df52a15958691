// `pnpm db:migrate | db:deploy | db:status | db:drift | db:check`: the engine's `tenantry` CLI
// (@tenantry/prisma/cli, reading prisma.config.ts), with this repository's database resolution: a URL
// from --url, the environment or .env, else the dev database, started for the command and stopped
// again (src/testing/dev-env.ts; the first line printed says which).
//
//   tsx scripts/tenantry.ts migrate dev|deploy|status|drift [options]   (tenantry migrate --help)
//   tsx scripts/tenantry.ts check [options]                             (tenantry check --help)
import { tenantryMain } from '@tenantry/prisma/cli';
import { resolveDatabase } from '../src/testing/dev-env.js';

tenantryMain(process.argv.slice(2), {
  resolveDatabase: (request) => resolveDatabase(request),
});
