/**
 * True in the Citus lane (`pnpm test:citus`, vitest.citus.config.ts). A few isolation tests expect a
 * different refusal there, never a weaker one: Citus refuses some statements itself before RLS sees
 * them (an update of the distribution column, an insert with no tenant), and it carries only SET
 * LOCAL to the workers, so a set_config inside raw SQL reaches no shard.
 */
import { expect } from 'vitest';

export const onCitus = process.env.TENANTRY_CITUS === '1';

/** Citus's own refusal of an update that moves a row to another tenant (the distribution column). */
export const citusPartitionUpdate = {
  code: 'P2010',
  meta: { driverAdapterError: { cause: { originalCode: '0A000' } } },
  message: expect.stringContaining('partition'),
};
