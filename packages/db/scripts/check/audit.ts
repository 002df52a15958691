// The db:check audit lives in the engine (@tenantry/prisma/check, src/check/audit.ts); re-exported for the tests.
export * from '@tenantry/prisma/check';
