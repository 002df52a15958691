/**
 * The seeded demo users the dev sign-in page offers: the same people as `DEMO` in
 * `@tenantry/db/testing` (test/unit/demo-users.test.ts keeps them equal). Copied rather than imported
 * because `@tenantry/db/testing` brings the whole test rig (embedded Postgres, Prisma's migration
 * engine) into the server bundle.
 */
export const DEMO_USERS = [
  { email: 'alice@acme.test', name: 'Alice (Acme)', tenants: ['Acme Corp'] },
  { email: 'bob@globex.test', name: 'Bob (Globex)', tenants: ['Globex'] },
  { email: 'carol@both.test', name: 'Carol (Acme and Globex)', tenants: ['Acme Corp', 'Globex'] },
] as const;
