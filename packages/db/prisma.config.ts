// Prisma CLI configuration. Migrations run as the schema owner straight to Postgres (DIRECT_URL),
// never through the pooler and never as the runtime role: see docs/DESIGN.md "Connections and roles".
// `pnpm db:*` (scripts/tenantry.ts, the engine's `tenantry` CLI; prisma-cli.ts) pass the dev database's URLs when none are
// configured (docs/database-commands.md); TENANTRY_SCHEMA_PATH / TENANTRY_MIGRATIONS_DIR point at
// a scratch copy of the schema and migrations (tests).
import 'dotenv/config';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: process.env.TENANTRY_SCHEMA_PATH || 'prisma/schema.prisma',
  migrations: {
    path: process.env.TENANTRY_MIGRATIONS_DIR || 'prisma/migrations',
    seed: 'tsx scripts/seed.ts',
  },
  datasource: {
    // Generation and validation need no database; commands that do fail with Prisma's own message.
    url: process.env.DIRECT_URL ?? '',
    // An empty database owned by the owner role: it has no CREATEDB, so Prisma cannot create one.
    ...(process.env.SHADOW_DATABASE_URL ? { shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL } : {}),
  },
});
