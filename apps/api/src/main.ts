/** Runs the API: `pnpm dev` (via the orchestrator) or `pnpm --filter @tenantry/api start`. */
import { Logger } from '@nestjs/common';
import { createApi } from './app.js';
import { loadApiConfig } from './config/api-config.js';

const config = loadApiConfig();
const app = await createApi({ config });
// SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, then close the pools
// (PrismaService.onApplicationShutdown).
app.enableShutdownHooks();
await app.listen(config.port, config.host);
new Logger('tenantry-api').log(
  `listening on ${await app.getUrl()}${config.production ? '' : ' (dev token endpoint: POST /dev/token)'}`,
);
