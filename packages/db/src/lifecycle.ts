/**
 * Tenant onboarding, export and erasure for this app's schema: the engine's lifecycle
 * (@tenantry/prisma/lifecycle) bound to this repository's PrismaClient and models. Exported from
 * `@tenantry/db/admin` only: every function takes the admin client (the RLS bypass, I8) and refuses
 * any other role.
 *
 * @example
 * const admin = createAdminPrismaClient();
 * const t = await createTenant(admin, { name: 'Acme', owner: { email: 'ada@acme.test', name: 'Ada' },
 *   defaults: { workspace: { name: 'General' } } });
 * await exportTenant(admin, t.tenantId, { format: 'jsonl', out: 'exports/' });
 * await eraseTenant(admin, t.tenantId, { confirm: t.slug });
 */
import {
  createTenant as createEngineTenant,
  eraseTenant as eraseEngineTenant,
  exportTenant as exportEngineTenant,
  InvalidTenantInputError,
  validateCreateTenantInput,
  type EraseTenantOptions as EngineEraseOptions,
  type ExportTenantOptions,
  type TenantErasure,
  type TenantExport,
} from '@tenantry/prisma/lifecycle';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

export interface CreateTenantInput {
  name: string;
  /** Default: made from the name (`Acme Corp.` -> `acme-corp`). */
  slug?: string;
  /** Found by email (stored lower-case), or created with this name. */
  owner: { email: string; name: string };
  /** Created in the same transaction. */
  defaults?: { workspace?: { name: string } };
}

export interface CreatedTenant {
  tenantId: string;
  slug: string;
  ownerUserId: string;
  ownerCreated: boolean;
  /** The first workspace, when `defaults.workspace` asked for one. */
  workspaceId?: string;
}

/** The tenant, its owner, the owner's membership (role owner) and the defaults, in one transaction. */
export async function createTenant(admin: PrismaClient, input: CreateTenantInput): Promise<CreatedTenant> {
  // First, so a non-object input is named as such before its fields; `defaults` is this binding's.
  validateCreateTenantInput(input !== null && typeof input === 'object' ? { ...input, defaults: undefined } : input);
  const workspace = input.defaults?.workspace;
  if (workspace !== undefined && (typeof workspace?.name !== 'string' || workspace.name.trim() === '')) {
    throw new InvalidTenantInputError(
      'create the tenant',
      'defaults.workspace.name',
      'is missing or empty',
      'Pass the first workspace a name, or leave defaults.workspace out.',
    );
  }
  const created = await createEngineTenant<Prisma.TransactionClient, string | undefined>(admin, {
    name: input.name,
    slug: input.slug,
    owner: input.owner,
    defaults: workspace
      ? async (tx, { tenantId }) =>
          (await tx.workspace.create({ data: { tenantId, name: workspace.name.trim() }, select: { id: true } })).id
      : undefined,
  });
  const { defaults: workspaceId, ...rest } = created;
  return workspaceId === undefined ? rest : { ...rest, workspaceId };
}

export type { ExportTenantOptions, TenantExport, TenantErasure, TenantErasureRecord } from '@tenantry/prisma/lifecycle';
export {
  TenantLifecycleError,
  InvalidTenantInputError,
  TenantSlugTakenError,
  TenantNotFoundError,
  ErasureNotConfirmedError,
  TenantSchemaError,
  ForeignKeyCycleError,
  AdminRoleRequiredError,
  ExportTargetError,
  TenantErasureIncompleteError,
} from '@tenantry/prisma/lifecycle';

/** Every row of the tenant (and its members' user rows), streamed to `options.out`. */
export function exportTenant(
  admin: PrismaClient,
  tenantId: string,
  options: ExportTenantOptions,
): Promise<TenantExport> {
  return exportEngineTenant(admin, tenantId, options);
}

export type EraseTenantOptions = EngineEraseOptions<Prisma.TransactionClient>;

/** Deletes every row of the tenant (confirm: its id or slug), then verifies 0 remain per table. */
export function eraseTenant(
  admin: PrismaClient,
  tenantId: string,
  options: EraseTenantOptions,
): Promise<TenantErasure> {
  return eraseEngineTenant(admin, tenantId, options);
}
