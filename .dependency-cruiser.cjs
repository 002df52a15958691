// Layering, checked by dependency-cruiser (`pnpm lint:layers`, also in .ci/run; scripts/check-layers.mjs proves the
// rules fire). Dependencies point one way: apps -> @tenantry/db -> @tenantry/prisma; @tenantry/testing -> prisma.
//   packages/prisma  the engine, schema-agnostic: no packages/db, no kit, no app, no generated Prisma client (its
//                    tests: a warning, see engine-test-imports-db)
//   packages/testing the test kit, schema-agnostic too: the engine only (no packages/db, no app, no generated client)
//   packages/db      this app's database package, built with the engine (and the kit for its tests): no app
//   apps/*, bench    may import db and prisma; packages/* never import an app or bench
// Paths in the rules are resolved paths (a workspace import such as `@tenantry/db` resolves through its symlink
// to packages/db/src/...), so the rules hold however a file spells the import.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-imports-db',
      comment:
        'packages/prisma is the schema-agnostic engine; @tenantry/db is built with it, never the other way round. Move what you need into packages/prisma, or pass it in as an option.',
      severity: 'error',
      from: { path: '^packages/prisma/', pathNot: '^packages/prisma/test/' },
      to: { path: '^packages/db/' },
    },
    {
      name: 'engine-imports-generated-client',
      comment:
        "packages/prisma never imports a generated Prisma client: it takes the user's PrismaClient class as an option (createTenantPrismaClient({ PrismaClient })). Types come from @prisma/client/runtime or @prisma/client/extension.",
      severity: 'error',
      from: { path: '^packages/prisma/', pathNot: '^packages/prisma/test/' },
      // This repository's generated client, Prisma's legacy output (.prisma/client), and @prisma/client's own entry
      // points, which re-export .prisma/client (its subpaths /extension and /runtime/* are schema-agnostic: allowed).
      to: {
        path: [
          '(^|/)generated/prisma(/|$)',
          '(^|/)node_modules/\\.prisma/client(/|$)',
          '(^|/)node_modules/@prisma/client/(index|default|edge|wasm|react-native|index-browser)(\\.d)?\\.[cm]?[jt]s$',
        ],
      },
    },
    {
      name: 'engine-test-imports-db',
      comment:
        "The engine's own tests may borrow packages/db's generated client as a schema to test against (packages/prisma/test/compat.test.ts does, on purpose). Reported as a warning: the engine's tests would better own a fixture schema, so the engine's test suite does not depend on this app's.",
      severity: 'warn',
      from: { path: '^packages/prisma/test/' },
      to: { path: ['^packages/db/', '(^|/)generated/prisma(/|$)'] },
    },
    {
      name: 'engine-imports-testing',
      comment:
        "The engine never depends on the test kit (@tenantry/testing depends on the engine). `tenantry fuzz` finds the kit in the user's project at run time instead.",
      severity: 'error',
      from: { path: '^packages/prisma/' },
      to: { path: '^packages/testing/' },
    },
    {
      name: 'testing-imports-db',
      comment:
        "packages/testing is the schema-agnostic test kit: it works on any project's schema, so it never imports packages/db or a generated client. Take what differs (migrations, seed) as an option.",
      severity: 'error',
      from: { path: '^packages/testing/' },
      to: { path: ['^packages/db/', '(^|/)generated/prisma(/|$)'] },
    },
    {
      name: 'package-imports-app',
      comment: 'Nothing in packages/ imports an app (apps/*) or the benchmark: they are the top of the graph.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(apps|bench)/' },
    },
    {
      name: 'app-imports-other-app',
      comment: 'The apps share code through packages/, not by importing each other.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'engine-circular',
      comment: 'No import cycles inside the engine (packages/prisma/src): they make module init order matter.',
      severity: 'error',
      from: { path: '^packages/prisma/src/' },
      to: { path: '^packages/prisma/src/', circular: true },
    },
    {
      name: 'db-runtime-imports-scripts',
      comment:
        "Known smell, reported and not yet fixed (issue 13 moves the migrate runner into the engine and the kit into packages/testing): packages/db/src (the package's exports) imports packages/db/scripts (its CLI scripts). A warning so CI stays green until that lands; make it an error then.",
      severity: 'warn',
      from: { path: '^packages/db/src/' },
      to: { path: '^packages/db/scripts/' },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'An import that cannot be resolved: a missing dependency or a typo (or this config no longer resolves like TypeScript does, which would silently blind the rules above).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Cruise the workspaces' own files; record imports of npm packages and of Prisma's generated client (so
    // engine-imports-generated-client sees them) without cruising their insides.
    doNotFollow: { path: '(^|/)node_modules/|(^|/)generated/prisma/' },
    exclude: { path: '(^|/)(dist|\\.next|\\.turbo|coverage|test-results)/|^bench/results/' },
    // Count type-only imports too: `import type` from a lower layer is still a dependency on it.
    tsPreCompilationDeps: true,
    // tsconfig.base.json (NodeNext: `./x.js` resolves to `./x.ts`, workspace packages through their exports maps)
    // plus apps/web's `@/*` alias: dependency-cruiser reads one tsconfig per run.
    tsConfig: { fileName: 'tsconfig.layers.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
