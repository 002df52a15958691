// `pnpm db:seed`: demo tenants, users, memberships and data, idempotent (fixed ids, upserts).
// Seeding writes across tenants, so it is one of the few legitimate users of @tenantry/db/admin.
import dotenv from 'dotenv';
import { createAdminPrismaClient } from '../src/admin.js';
import { DEMO, seedDemoData } from '../src/testing/demo-data.js';

dotenv.config({ path: ['.env', '../../.env'], quiet: true });
const admin = createAdminPrismaClient();
try {
  const counts = await seedDemoData(admin);
  console.log(`Seeded ${DEMO.tenants.length} demo tenants: ${JSON.stringify(counts)}`);
} finally {
  await admin.$disconnect();
}
