// `pnpm lint:layers`: runs dependency-cruiser with .dependency-cruiser.cjs over the workspaces, then proves the rules
// fire. (1) The real run: exits non-zero on any error-severity violation. (2) A resolution check: the graph must
// contain apps -> packages/db and packages/db -> packages/prisma edges, else the rules pass because nothing resolved.
// (3) Fixtures: a scratch directory laid out like this repository, holding one deliberately wrong import per rule,
// is cruised with the same config; each must be reported under its rule as an error, and the allowed imports must not be.
// Writes nothing inside the repository.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const SCOPE = ['apps', 'packages', 'bench', 'scripts'];
const CONFIG = ['--config', '.dependency-cruiser.cjs', '--ts-config', 'tsconfig.layers.json'];

function cruise(cwd, args) {
  return spawnSync(process.execPath, [depcruise, ...CONFIG, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
}

// (1) the real run, human-readable
const real = cruise(root, ['--output-type', 'err-long', ...SCOPE]);
process.stdout.write(real.stdout);
process.stderr.write(real.stderr);
if (real.status !== 0) {
  console.error('check-layers: dependency-cruiser reported layering errors (above)');
  process.exit(1);
}

// (2) the rules saw a real graph
const graph = JSON.parse(cruise(root, ['--output-type', 'json', ...SCOPE]).stdout);
const edges = graph.modules.flatMap((m) => (m.dependencies ?? []).map((d) => [m.source, d.resolved]));
for (const [from, to] of [
  ['apps/api/', 'packages/db/src/'],
  ['apps/web/', 'packages/db/src/'],
  ['packages/db/', 'packages/prisma/src/'],
  ['packages/db/', 'packages/testing/src/'],
  ['packages/testing/', 'packages/prisma/src/'],
  ['apps/api/', 'packages/auth/src/'],
  ['apps/web/', 'packages/auth/src/'],
]) {
  if (!edges.some(([f, t]) => f.startsWith(from) && t.startsWith(to))) {
    console.error(
      `check-layers: no import from ${from} resolves to ${to}; workspace resolution broke, so the rules check nothing`,
    );
    process.exit(1);
  }
}

// (3) fixtures: [path, source, rule it must trip or null]
const fixtures = [
  ['packages/prisma/src/index.ts', 'export const engine = 1;\n', null],
  ['packages/prisma/src/admin.ts', 'export const admin = 1;\n', null],
  [
    'packages/prisma/package.json',
    JSON.stringify({ name: '@tenantry/prisma', type: 'module', exports: { '.': './src/index.ts' } }),
    null,
  ],
  [
    'packages/db/package.json',
    JSON.stringify({ name: '@tenantry/db', type: 'module', exports: { '.': './src/index.ts' } }),
    null,
  ],
  ['packages/db/src/index.ts', "import { engine } from '@tenantry/prisma';\nexport const db = engine;\n", null],
  ['packages/db/src/generated/prisma/client.ts', 'export class PrismaClient {}\n', null],
  ['packages/db/scripts/migrate/run.ts', 'export const run = 1;\n', null],
  [
    'packages/auth/package.json',
    JSON.stringify({ name: '@tenantry/auth', type: 'module', exports: { '.': './src/index.ts' } }),
    null,
  ],
  ['packages/auth/src/index.ts', 'export const verify = 1;\n', null],
  [
    'apps/api/src/main.ts',
    "import { db } from '@tenantry/db';\nimport type { engine } from '@tenantry/prisma';\nimport { verify } from '@tenantry/auth';\nexport const main = [db, verify];\nexport type E = typeof engine;\n",
    null,
  ],
  [
    'bench/src/main.ts',
    "import { db } from '@tenantry/db';\nimport { engine } from '@tenantry/prisma';\nexport const b = [db, engine];\n",
    null,
  ],
  [
    'node_modules/@prisma/client/package.json',
    JSON.stringify({
      name: '@prisma/client',
      main: 'default.js',
      types: 'default.d.ts',
      exports: {
        '.': { types: './default.d.ts', default: './default.js' },
        './extension': { types: './extension.d.ts', default: './extension.js' },
      },
    }),
    null,
  ],
  ['node_modules/@prisma/client/default.js', "module.exports = require('.prisma/client/default');\n", null],
  ['node_modules/@prisma/client/default.d.ts', 'export declare const PrismaClient: unknown;\n', null],
  ['node_modules/@prisma/client/extension.js', 'module.exports = {};\n', null],
  ['node_modules/@prisma/client/extension.d.ts', 'export declare const Prisma: unknown;\n', null],
  [
    'packages/prisma/src/ok-extension.ts',
    "import { Prisma } from '@prisma/client/extension';\nexport const ok = Prisma;\n",
    null,
  ],
  // the wrong imports
  [
    'packages/prisma/src/bad-db-workspace.ts',
    "import { db } from '@tenantry/db';\nexport const x = db;\n",
    'engine-imports-db',
  ],
  [
    'packages/prisma/src/bad-db-relative.ts',
    "import type { db } from '../../db/src/index.js';\nexport type X = typeof db;\n",
    'engine-imports-db',
  ],
  // (also engine-imports-db: this generated client lives in packages/db)
  [
    'packages/prisma/src/bad-generated.ts',
    "import { PrismaClient } from '../../db/src/generated/prisma/client.js';\nexport const x = PrismaClient;\n",
    'engine-imports-generated-client',
  ],
  [
    'packages/prisma/src/bad-prisma-client.ts',
    "import { PrismaClient } from '@prisma/client';\nexport const x = PrismaClient;\n",
    'engine-imports-generated-client',
  ],
  [
    'packages/prisma/test/compat.test.ts',
    "import { PrismaClient } from '../../db/src/generated/prisma/client.js';\nexport const x = PrismaClient;\n",
    'engine-test-imports-db',
  ],
  ['packages/prisma/test/fixture/generated/prisma/client.ts', 'export class PrismaClient {}\n', null],
  [
    'packages/prisma/test/own-fixture.test.ts',
    "import { PrismaClient } from './fixture/generated/prisma/client.js';\nexport const x = PrismaClient;\n",
    null,
  ],
  [
    'packages/testing/package.json',
    JSON.stringify({ name: '@tenantry/testing', type: 'module', exports: { '.': './src/index.ts' } }),
    null,
  ],
  ['packages/testing/src/index.ts', "import { engine } from '@tenantry/prisma';\nexport const kit = engine;\n", null],
  [
    'packages/prisma/src/bad-testing.ts',
    "import { kit } from '@tenantry/testing';\nexport const x = kit;\n",
    'engine-imports-testing',
  ],
  [
    'packages/testing/src/bad-db.ts',
    "import { db } from '@tenantry/db';\nexport const x = db;\n",
    'testing-imports-db',
  ],
  [
    'packages/auth/src/bad-db.ts',
    "import { db } from '@tenantry/db';\nexport const x = db;\n",
    'auth-imports-database',
  ],
  [
    'packages/auth/src/bad-engine.ts',
    "import type { engine } from '@tenantry/prisma';\nexport type X = typeof engine;\n",
    'auth-imports-database',
  ],
  [
    'packages/auth/src/bad-prisma-client.ts',
    "import { PrismaClient } from '@prisma/client';\nexport const x = PrismaClient;\n",
    'auth-imports-database',
  ],
  [
    'packages/db/src/bad-app.ts',
    "import { main } from '../../../apps/api/src/main.js';\nexport const x = main;\n",
    'package-imports-app',
  ],
  ['packages/prisma/src/bad-bench.ts', "export { b } from '../../../bench/src/main.js';\n", 'package-imports-app'],
  [
    'apps/web/src/bad-other-app.ts',
    "import { main } from '../../api/src/main.js';\nexport const x = main;\n",
    'app-imports-other-app',
  ],
  [
    'packages/prisma/src/cycle-a.ts',
    "import { b } from './cycle-b.js';\nexport const a = () => b;\n",
    'engine-circular',
  ],
  // dependency-cruiser reports a cycle once, at the module it reaches it from first (cycle-a above)
  ['packages/prisma/src/cycle-b.ts', "import { a } from './cycle-a.js';\nexport const b = () => a;\n", null],
  [
    'packages/db/src/testing/bad-scripts.ts',
    "import { run } from '../../scripts/migrate/run.js';\nexport const x = run;\n",
    'db-runtime-imports-scripts',
  ],
  [
    'apps/api/src/bad-missing.ts',
    "import { nothing } from './does-not-exist.js';\nexport const x = nothing;\n",
    'not-to-unresolvable',
  ],
];

const dir = mkdtempSync(path.join(tmpdir(), 'tenantry-layers-'));
let failures = 0;
try {
  for (const file of ['.dependency-cruiser.cjs', 'tsconfig.layers.json', 'tsconfig.base.json']) {
    copyFileSync(path.join(root, file), path.join(dir, file));
  }
  for (const [file, source] of fixtures) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  // pnpm's workspace links: each workspace sees its dependencies under its own node_modules.
  const link = (from, pkg, to) => {
    mkdirSync(path.join(dir, from, 'node_modules/@tenantry'), { recursive: true });
    symlinkSync(path.join(dir, to), path.join(dir, from, 'node_modules/@tenantry', pkg), 'dir');
  };
  link('packages/db', 'prisma', 'packages/prisma');
  link('packages/prisma', 'db', 'packages/db'); // as if someone added the wrong dependency
  link('packages/prisma', 'testing', 'packages/testing'); // the same
  link('packages/testing', 'prisma', 'packages/prisma');
  link('packages/testing', 'db', 'packages/db'); // the same
  link('packages/db', 'testing', 'packages/testing');
  link('packages/auth', 'db', 'packages/db'); // as if someone added the wrong dependency
  link('packages/auth', 'prisma', 'packages/prisma'); // the same
  link('apps/api', 'auth', 'packages/auth');
  for (const app of ['apps/api', 'bench']) {
    link(app, 'db', 'packages/db');
    link(app, 'prisma', 'packages/prisma');
  }

  const result = JSON.parse(cruise(dir, ['--output-type', 'json', 'apps', 'packages', 'bench']).stdout);
  const found = result.summary.violations.map((v) => ({ rule: v.rule.name, severity: v.rule.severity, from: v.from }));
  for (const [file, , rule] of fixtures) {
    if (file.startsWith('node_modules/') || file.endsWith('.json')) continue;
    const hits = found.filter((v) => v.from === file);
    // Every rule is an error: a warning would let CI pass with the wrong import in place.
    const ok = rule === null ? hits.length === 0 : hits.some((v) => v.rule === rule && v.severity === 'error');
    if (ok) {
      console.log(`✓ ${file}: ${rule ?? 'allowed'}`);
    } else {
      failures++;
      const reported = hits.map((v) => `${v.rule} (${v.severity})`).join(', ') || 'nothing';
      console.error(
        `✗ ${file}: expected ${rule ? `${rule} (error)` : 'no violation'}, dependency-cruiser reported ${reported}`,
      );
    }
  }
  // The exit code CI sees: the same reporter as the real run must fail on these.
  const gate = cruise(dir, ['--output-type', 'err', 'apps', 'packages', 'bench']);
  if (gate.status === 0) {
    failures++;
    console.error('✗ dependency-cruiser exited 0 on the wrong imports; CI would not have failed');
  } else {
    console.log(`✓ dependency-cruiser exits ${gate.status} on the wrong imports (CI fails)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failures > 0) {
  console.error(`check-layers: ${failures} fixture(s) did not behave as .dependency-cruiser.cjs says`);
  process.exit(1);
}
console.log('check-layers: every layering rule reported its deliberately wrong import, and the allowed imports passed');
