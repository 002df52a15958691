#!/usr/bin/env node
// The `tenantry` executable: see index.ts for the commands. In this workspace bin/tenantry.mjs runs it from src
// through tsx; the published package runs its build (dist/cli/tenantry.js, publishConfig.bin) on plain node.
import { tenantryMain } from './index.js';

tenantryMain();
