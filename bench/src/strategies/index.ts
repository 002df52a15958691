import type { BenchDatabase } from '../provisioning.js';
import { baselineStrategy } from './baseline.js';
import { extensionOnlyStrategy, settingsStrategy } from './layers.js';
import { prismaExampleStrategy } from './prisma-example.js';
import { rawPgStrategy } from './raw-pg.js';
import { tenantryStrategy } from './tenantry.js';
import type { Strategy, StrategyName, StrategyOptions } from './types.js';

export {
  LAYER_STRATEGIES,
  ROUTE_BASELINES,
  ROUTE_BASELINE_STRATEGIES,
  STRATEGIES,
  type MainStrategyName,
  type RouteBaselineName,
  type Strategy,
  type StrategyName,
} from './types.js';

/** Builds the named strategies against `db`, in the order given (the order they interleave in). */
export function createStrategies(
  db: BenchDatabase,
  names: readonly StrategyName[],
  options: StrategyOptions,
): Strategy[] {
  return names.map((name) => {
    switch (name) {
      case 'baseline':
        return baselineStrategy(name, db.adminUrl, options);
      case 'baseline-pgbouncer-session':
        return baselineStrategy(name, db.adminUrlSession, options);
      case 'baseline-pgbouncer-transaction':
        return baselineStrategy(name, db.adminUrlTransaction, options);
      case 'prisma-example':
        return prismaExampleStrategy(db.appUrl, options);
      case 'tenantry-direct':
        return tenantryStrategy(name, db.appUrl, options);
      case 'tenantry-pgbouncer-session':
        return tenantryStrategy(name, db.appUrlSession, options);
      case 'tenantry-pgbouncer-transaction':
        return tenantryStrategy(name, db.appUrlTransaction, options);
      case 'raw-pg':
        return rawPgStrategy(db.appUrl, options);
      case 'layer-extension':
        return extensionOnlyStrategy(db.adminUrl, options);
      case 'layer-settings':
        return settingsStrategy(name, db.adminUrl, options);
      case 'layer-rls-settings':
        return settingsStrategy(name, db.appUrl, options);
    }
  });
}
