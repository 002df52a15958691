// The last step of a publishable package's `pnpm build` (and so of its prepack): proves that what `pnpm pack`
// writes will resolve. In the workspace, `exports` and `bin` point at ./src (tsx, vitest and Next run the
// source); pnpm replaces them with `publishConfig`'s on pack and publish. A subpath added to `exports` but not to
// `publishConfig.exports` would simply be missing from the published package, so this fails the build when:
//   - an `exports` key has no `publishConfig.exports` entry (or publishConfig has one `exports` lacks);
//   - an entry is not { types, import, default } pointing at the dist twin of the source (./src/a/b.ts -> ./dist/a/b.js,
//     ./dist/a/b.d.ts), or a file it names was not built;
//   - a `bin` has no `publishConfig.bin` into ./dist, or that file does not start with a #! line;
//   - `files` does not ship dist, or dist holds a module whose source is gone (a stale build).
// Run from the package's folder: node ../../scripts/check-package-exports.mjs
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const problems = [];
const problem = (text) => problems.push(text);

const distTwin = (source, ext) => source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, ext);
const exportsMap = pkg.exports ?? {};
const published = pkg.publishConfig?.exports ?? {};

for (const [key, source] of Object.entries(exportsMap)) {
  if (typeof source !== 'string' || !/^\.\/src\/.+\.ts$/.test(source)) {
    problem(`exports["${key}"] is ${JSON.stringify(source)}; the workspace form is a ./src/*.ts path.`);
    continue;
  }
  const entry = published[key];
  // `default` too: require.resolve (e.g. `tenantry fuzz` finding @tenantry/testing/cli in the project) matches
  // neither `types` nor `import`, and fails with ERR_PACKAGE_PATH_NOT_EXPORTED without it.
  const js = distTwin(source, '.js');
  const expected = { types: distTwin(source, '.d.ts'), import: js, default: js };
  if (!entry) {
    problem(
      `exports["${key}"] has no publishConfig.exports entry, so the packed package would not export it. Add ${JSON.stringify({ [key]: expected })}.`,
    );
    continue;
  }
  if (JSON.stringify(entry) !== JSON.stringify(expected)) {
    problem(
      `publishConfig.exports["${key}"] is ${JSON.stringify(entry)}; expected ${JSON.stringify(expected)} (types first, default last).`,
    );
  }
  for (const file of new Set(Object.values(expected))) {
    if (!existsSync(path.join(dir, file))) problem(`${file} (publishConfig.exports["${key}"]) was not built.`);
  }
}
for (const key of Object.keys(published)) {
  if (!(key in exportsMap))
    problem(`publishConfig.exports["${key}"] has no exports["${key}"]: the workspace and the package would differ.`);
}

const bins = typeof pkg.bin === 'string' ? { [pkg.name.split('/').pop()]: pkg.bin } : (pkg.bin ?? {});
const publishedBins = pkg.publishConfig?.bin ?? {};
for (const name of Object.keys(bins)) {
  const file = publishedBins[name];
  if (typeof file !== 'string' || !file.startsWith('./dist/')) {
    problem(
      `bin "${name}" has no publishConfig.bin["${name}"] into ./dist, so the packed bin would run the unpublished ./src.`,
    );
  } else if (!existsSync(path.join(dir, file))) {
    problem(`${file} (publishConfig.bin["${name}"]) was not built.`);
  } else if (!readFileSync(path.join(dir, file), 'utf8').startsWith('#!')) {
    problem(`${file} (publishConfig.bin["${name}"]) has no #! line; start its source with #!/usr/bin/env node.`);
  }
}
for (const name of Object.keys(publishedBins)) {
  if (!(name in bins))
    problem(`publishConfig.bin["${name}"] has no bin["${name}"]: the workspace and the package would differ.`);
}

if (!(pkg.files ?? []).includes('dist')) problem('"files" does not include "dist", so the build would not be packed.');

// A module in dist whose source was removed would still be packed (tsc never deletes).
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)],
  );
if (existsSync(path.join(dir, 'dist'))) {
  for (const file of walk(path.join(dir, 'dist')).filter((f) => f.endsWith('.js'))) {
    const source = path.join(dir, 'src', path.relative(path.join(dir, 'dist'), file)).replace(/\.js$/, '.ts');
    if (!existsSync(source))
      problem(
        `${path.relative(dir, file)} has no source (${path.relative(dir, source)}): a stale build. Remove dist and build again.`,
      );
  }
}

if (problems.length > 0) {
  console.error(
    `check-package-exports: ${pkg.name} would not pack as it runs in the workspace:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(
  `check-package-exports: ${pkg.name}: ${Object.keys(exportsMap).length} export(s) and ${Object.keys(bins).length} bin(s) map to built files in dist`,
);
