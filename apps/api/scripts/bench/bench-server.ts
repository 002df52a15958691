/**
 * One API process for the load bench: BENCH_MODE=tenantry (the real API: tenant client, RLS,
 * TenantPool) or BENCH_MODE=baseline (same API on the unscoped admin client with explicit
 * tenant filters). Listens on 127.0.0.1 (loopback only) on a free port and prints {"port":n}.
 */
import { createTenantPrismaClient } from '@tenantry/db';
import { createAdminPrismaClient } from '@tenantry/db/admin';
import { createApi } from '../../src/app.js';
import { loadApiConfig } from '../../src/config/api-config.js';
import { createBaselineClient } from './baseline-client.js';

const mode = process.env.BENCH_MODE;
const runtimeUrl = process.env.BENCH_RUNTIME_URL!;
const adminUrl = process.env.BENCH_ADMIN_URL!;
const poolSize = Number(process.env.BENCH_POOL_SIZE || 10);
if (mode !== 'tenantry' && mode !== 'baseline')
  throw new Error('Cannot start the bench server because BENCH_MODE is not tenantry or baseline.');

const client =
  mode === 'tenantry'
    ? createTenantPrismaClient({ connectionString: runtimeUrl, poolSize })
    : createBaselineClient(adminUrl, poolSize);
const app = await createApi({
  config: loadApiConfig({ ...process.env, API_PORT: '0', NODE_ENV: 'production' }),
  client,
  adminClient: createAdminPrismaClient({ connectionString: adminUrl, poolSize: 1 }),
  requestLog: () => {}, // both modes skip log I/O: the bench measures the data path
  logger: false,
});
await app.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port: (app.getHttpServer().address() as { port: number }).port })}\n`);
process.on(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => client.$disconnect())
      .finally(() => process.exit(0)),
);
