// The `tenantry` executable (bin/tenantry.mjs runs it through tsx): see index.ts for the commands.
import { tenantryMain } from './index.js';

tenantryMain();
