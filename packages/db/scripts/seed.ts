// `pnpm db:seed`: creates the demo tenants, users, memberships and data that are missing (fixed ids),
// never changes a row that exists, and skips a demo row whose unique key one of yours holds; it
// prints what it did. Seeding writes across tenants, so it is one of the few legitimate users of
// @tenantry/db/admin.
// DATABASE_ADMIN_URL from the environment or .env, else the dev database (src/testing/dev-env.ts);
// the first line printed says which.
import { createAdminPrismaClient } from '../src/admin.js';
import { describeDemoSeed, loadDemoData } from '../src/testing/demo-data.js';
import { resolveDatabase } from '../src/testing/dev-env.js';
import { runMain } from '@tenantry/prisma/cli';

async function main(): Promise<void> {
  const db = await resolveDatabase({ need: 'DATABASE_ADMIN_URL', action: 'seed the demo data' });
  process.stdout.write(`${db.banner}\n`);
  try {
    const admin = createAdminPrismaClient({ connectionString: db.urls.DATABASE_ADMIN_URL!, poolSize: 1 });
    try {
      console.log(describeDemoSeed(await loadDemoData(admin, { mode: 'fill' })));
    } catch (error) {
      throw seedError(error);
    } finally {
      await admin.$disconnect();
    }
  } finally {
    await db.release();
  }
}

/** The usual cause of a failed seed is a database without the migrations. */
function seedError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (
    code === 'P2021' ||
    /does not exist in the current database|relation "[^"]+" does not exist/.test(String((error as Error)?.message))
  ) {
    return new Error(
      'Cannot seed the demo data because the tables do not exist: the migrations have not been applied to this database. Run `pnpm db:deploy` (or `pnpm db:reset`) first.',
      { cause: error },
    );
  }
  return error;
}

runMain(async () => {
  await main();
  return 0;
});
