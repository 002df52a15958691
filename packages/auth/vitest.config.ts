import { defineConfig } from 'vitest/config';

// No database: each file starts its own JWKS server (node:http on 127.0.0.1:0) with keys generated at run time,
// and the verifier fetches from it over real TCP. Nothing of jose is mocked.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
