import { defineConfig } from 'vitest/config';

// `pnpm test:outside`: the README's "Use it in your own project" steps, run as written in a folder outside
// the workspace on the packed tarballs. One file, its steps in order; npm installs from the registry.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['outside-project.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
