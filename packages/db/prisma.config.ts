// Prisma CLI configuration. Migrations run as the schema owner straight to Postgres (DIRECT_URL),
// never through the pooler and never as the runtime role: see docs/DESIGN.md "Connections and roles".
import 'dotenv/config';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
    seed: 'tsx scripts/seed.ts',
  },
  datasource: {
    // Generation and validation need no database; commands that do fail with Prisma's own message.
    url: process.env.DIRECT_URL ?? '',
  },
});
