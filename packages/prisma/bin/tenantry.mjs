#!/usr/bin/env node
// `tenantry`: the engine's CLI (src/cli/tenantry.ts), run through tsx like the repository's other scripts,
// so it also loads the user's prisma.config.ts (TypeScript) without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/tenantry.ts');
