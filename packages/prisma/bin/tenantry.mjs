#!/usr/bin/env node
// `tenantry` in this workspace: the engine's CLI from source (src/cli/tenantry.ts) through tsx, with no build
// step. The published package's bin is the build instead (publishConfig.bin: dist/cli/tenantry.js, plain node).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/tenantry.ts');
