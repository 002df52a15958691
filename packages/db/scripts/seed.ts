// `pnpm db:seed`: creates the demo tenants, users, memberships and data that are missing (fixed ids),
// never changes a row that exists, and skips a demo row whose unique key one of yours holds; it
// prints what it did. Seeding writes across tenants, so it is one of the few legitimate users of
// @tenantry/db/admin.
import dotenv from 'dotenv';
import { createAdminPrismaClient } from '../src/admin.js';
import { describeDemoSeed, loadDemoData } from '../src/testing/demo-data.js';

dotenv.config({ path: ['.env', '../../.env'], quiet: true });
const admin = createAdminPrismaClient();
try {
  console.log(describeDemoSeed(await loadDemoData(admin, { mode: 'fill' })));
} finally {
  await admin.$disconnect();
}
