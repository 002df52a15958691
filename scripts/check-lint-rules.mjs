// Proves biome.jsonc's admin-import rule fires: lints small fixture files, laid out at this repository's paths
// in a scratch directory with a copy of biome.jsonc, and fails unless every file outside the allow-list that
// imports @tenantry/db/admin or @tenantry/prisma/admin (or admin.ts by relative path) is rejected, and the
// allow-listed paths pass. Run by `pnpm lint`; writes nothing inside the repository.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const biome = createRequire(path.join(root, 'package.json')).resolve('@biomejs/biome/bin/biome');
const RULE = 'lint/style/noRestrictedImports';

/** [path in the repository, source, should the rule reject it] */
const cases = [
  [
    'apps/api/src/probe.ts',
    "import { createAdminPrismaClient } from '@tenantry/db/admin';\nexport const c = createAdminPrismaClient;\n",
    true,
  ],
  [
    'apps/api/src/probe-type.ts',
    "import type { AdminPrismaClient } from '@tenantry/db/admin';\nexport type C = AdminPrismaClient;\n",
    true,
  ],
  ['apps/api/src/probe-reexport.ts', "export { createAdminPrismaClient } from '@tenantry/db/admin';\n", true],
  [
    'apps/web/src/app/probe.tsx',
    "import { createAdminPrismaClient } from '@tenantry/db/admin';\nexport const c = createAdminPrismaClient;\n",
    true,
  ],
  [
    'packages/db/src/probe.ts',
    "import { createAdminPrismaClient } from '@tenantry/prisma/admin';\nexport const c = createAdminPrismaClient;\n",
    true,
  ],
  ['packages/db/src/index-probe.ts', "export * from './admin.js';\n", true],
  ['packages/prisma/src/probe.ts', "export { createAdminPrismaClient } from './admin.js';\n", true],
  ['apps/api/src/probe-dynamic.ts', "export const load = () => import('@tenantry/db/admin');\n", true],
  // a NestJS file with parameter decorators still parses, so the rule reaches it
  [
    'apps/api/src/probe.controller.ts',
    "import { Controller, Get, Param } from '@nestjs/common';\nimport type { AdminPrismaClient } from '@tenantry/db/admin';\n@Controller('x')\nexport class X {\n  constructor(private readonly admin: AdminPrismaClient) {}\n  @Get(':id') get(@Param('id') id: string) { return id; }\n}\n",
    true,
  ],
  [
    'bench/src/probe.ts',
    "import { createAdminPrismaClient } from '@tenantry/db/admin';\nexport const c = createAdminPrismaClient;\n",
    true,
  ],
  // the allow-list
  [
    'apps/api/src/database/cross-tenant-lookup.service.ts',
    "import type { AdminPrismaClient } from '@tenantry/db/admin';\nexport type C = AdminPrismaClient;\n",
    false,
  ],
  [
    'apps/web/src/server/dev-sign-in-lookup.ts',
    "import { createAdminPrismaClient } from '@tenantry/db/admin';\nexport const c = createAdminPrismaClient;\n",
    false,
  ],
  [
    'packages/db/src/admin.ts',
    "import { createAdminPrismaClient } from '@tenantry/prisma/admin';\nexport const c = createAdminPrismaClient;\n",
    false,
  ],
  [
    'packages/db/test/support/probe.ts',
    "import type { AdminPrismaClient } from '../../src/admin.js';\nexport type C = AdminPrismaClient;\n",
    false,
  ],
  // the tenant entry is not the bypass
  ['apps/api/src/probe-tenant.ts', "import { prisma } from '@tenantry/db';\nexport const p = prisma;\n", false],
];

const dir = mkdtempSync(path.join(tmpdir(), 'tenantry-lint-rules-'));
let failures = 0;
try {
  copyFileSync(path.join(root, 'biome.jsonc'), path.join(dir, 'biome.jsonc'));
  // biome.jsonc reads .gitignore through git (vcs.useIgnoreFile), so the scratch directory is a repository too.
  execFileSync('git', ['init', '-q'], { cwd: dir });
  for (const [file, source, rejected] of cases) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
    const run = spawnSync(process.execPath, [biome, 'lint', '--colors=off', file], { cwd: dir, encoding: 'utf8' });
    const out = `${run.stdout}${run.stderr}`;
    const fired = run.status !== 0 && out.includes(RULE);
    if (run.status !== 0 && !fired) {
      failures++;
      console.error(`✗ ${file}: biome failed for another reason (exit ${run.status}):\n${out}`);
    } else if (fired !== rejected) {
      failures++;
      console.error(
        `✗ ${file}: expected ${rejected ? `${RULE} to reject it` : 'it to pass'}, got exit ${run.status}\n${out}`,
      );
    } else {
      console.log(`✓ ${file}: ${rejected ? 'rejected' : 'allowed'}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failures > 0) {
  console.error(`check-lint-rules: ${failures} of ${cases.length} fixtures did not behave as the allow-list says`);
  process.exit(1);
}
console.log(`check-lint-rules: the admin-import rule rejected or allowed all ${cases.length} fixtures as expected`);
