/**
 * Onboarding: a tenant, its owner (an existing user found by email, or a new one) and the owner's
 * membership, plus whatever defaults the caller adds (a first workspace), in ONE transaction on the
 * admin client. Any failure, a taken slug or a throwing `defaults`, rolls all of it back: there is
 * never a tenant without an owner, or an owner's membership without its tenant.
 *
 * @example
 * const created = await createTenant(admin, { name: 'Acme', owner: { email: 'ada@acme.test', name: 'Ada' } });
 * // -> { tenantId, slug: 'acme', ownerUserId, ownerCreated: true, defaults: undefined }
 */
import { runtimeDataModelOf } from '../internals/prisma-internals.js';
import { InvalidTenantInputError, TenantLifecycleError, TenantSchemaError, TenantSlugTakenError } from './errors.js';
import { assertBypassesRls, type LifecycleClient } from './sql.js';

/** The models and fields onboarding writes. Every name defaults to the conventional one. */
export interface OnboardingSchema {
  /** The tenant model and its fields. Default `{ model: 'Tenant', nameField: 'name', slugField: 'slug' }`. */
  tenant?: { model?: string; nameField?: string; slugField?: string };
  /** The global user model. Default `{ model: 'User', emailField: 'email', nameField: 'name' }`. */
  user?: { model?: string; emailField?: string; nameField?: string };
  /**
   * The membership model, its tenant and user fields, and what makes a membership the owner's.
   * Default `{ model: 'Membership', tenantField: 'tenantId', userField: 'userId', ownerData: { role: 'owner' } }`.
   */
  membership?: { model?: string; tenantField?: string; userField?: string; ownerData?: Record<string, unknown> };
}

export interface CreateTenantInput<Tx = any, D = unknown> {
  name: string;
  /** Lower-case letters, digits and inner dashes, at most 63. Default: made from `name`. */
  slug?: string;
  /** The owner, found by email (stored lower-case) or created with this name. */
  owner: { email: string; name: string };
  /**
   * Runs inside the same transaction after the tenant, owner and membership exist (a first
   * workspace, settings). Whatever it returns is returned as `defaults`; if it throws, nothing is written.
   */
  defaults?: (tx: Tx, created: { tenantId: string; ownerUserId: string }) => Promise<D>;
}

export interface CreatedTenant<D = unknown> {
  tenantId: string;
  slug: string;
  ownerUserId: string;
  /** False when a user with the owner's email existed (its name is left as it was). */
  ownerCreated: boolean;
  defaults: D | undefined;
}

export interface CreateTenantOptions {
  schema?: OnboardingSchema;
  /** Interactive transaction timeout. Default 30 s. */
  timeoutMs?: number;
}

const ACTION = 'create the tenant';
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// A deliberately plain check (one @, no spaces, a dot in the domain): the address is verified by
// the invitation or sign-in flow, this only refuses what cannot be an address.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Control characters (C0, DEL, C1): refused in names, as the API refuses them. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** `Acme Corp.` -> `acme-corp`: ASCII letters and digits, runs of anything else become one dash. */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidTenantInputError(ACTION, field, 'is missing or empty', `Pass ${field} as a non-empty string.`);
  const trimmed = value.trim();
  if (trimmed.length > max)
    throw new InvalidTenantInputError(ACTION, field, `is longer than ${max} characters`, `Shorten ${field}.`);
  if (hasControlCharacter(trimmed))
    throw new InvalidTenantInputError(ACTION, field, 'contains control characters', `Remove them from ${field}.`);
  return trimmed;
}

/** The input, validated and normalised; throws InvalidTenantInputError naming the field. */
export function validateCreateTenantInput(input: unknown): {
  name: string;
  slug: string;
  email: string;
  ownerName: string;
} {
  if (input === null || typeof input !== 'object')
    throw new InvalidTenantInputError(
      ACTION,
      'the input',
      'is not an object',
      'Pass { name, owner: { email, name } }.',
    );
  const i = input as Partial<CreateTenantInput>;
  const name = text(i.name, 'name', 200);
  const slug = i.slug === undefined ? slugFromName(name) : text(i.slug, 'slug', 63);
  if (!SLUG.test(slug)) {
    throw new InvalidTenantInputError(
      ACTION,
      'slug',
      i.slug === undefined ? 'made from the name is empty (the name has no letters or digits)' : 'is not a valid slug',
      'Pass a slug of lower-case letters, digits and inner dashes, at most 63 characters, e.g. "acme-corp".',
    );
  }
  if (i.owner === null || typeof i.owner !== 'object')
    throw new InvalidTenantInputError(ACTION, 'owner', 'is missing', 'Pass owner: { email, name }.');
  const email = text(i.owner.email, 'owner.email', 254).toLowerCase();
  if (!EMAIL.test(email))
    throw new InvalidTenantInputError(
      ACTION,
      'owner.email',
      'is not an email address',
      'Pass the owner\'s address, e.g. "ada@example.com".',
    );
  const ownerName = text(i.owner.name, 'owner.name', 200);
  if (i.defaults !== undefined && typeof i.defaults !== 'function')
    throw new InvalidTenantInputError(
      ACTION,
      'defaults',
      'is not a function',
      'Pass defaults as async (tx, { tenantId, ownerUserId }) => ...',
    );
  return { name, slug, email, ownerName };
}

function delegateName(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1);
}

export async function createTenant<Tx = any, D = unknown>(
  client: LifecycleClient & object,
  input: CreateTenantInput<Tx, D>,
  options: CreateTenantOptions = {},
): Promise<CreatedTenant<D>> {
  const { name, slug, email, ownerName } = validateCreateTenantInput(input);
  const s = resolveSchema(client, options.schema);
  await assertBypassesRls(client, ACTION);
  try {
    return await client.$transaction(
      async (tx: Record<string, any>) => {
        const tenants = tx[delegateName(s.tenant.model)];
        const users = tx[delegateName(s.user.model)];
        const memberships = tx[delegateName(s.membership.model)];
        // Checked first for the common case; the unique index is what decides a race (P2002 below).
        if (await tenants.findUnique({ where: { [s.tenant.slugField]: slug }, select: { id: true } }))
          throw new TenantSlugTakenError();
        const tenant = await tenants.create({
          data: { [s.tenant.nameField]: name, [s.tenant.slugField]: slug },
          select: { id: true },
        });
        const existing = await users.findUnique({ where: { [s.user.emailField]: email }, select: { id: true } });
        const user =
          existing ??
          (await users.create({
            data: { [s.user.emailField]: email, [s.user.nameField]: ownerName },
            select: { id: true },
          }));
        await memberships.create({
          data: {
            [s.membership.tenantField]: tenant.id,
            [s.membership.userField]: user.id,
            ...s.membership.ownerData,
          },
        });
        const created = { tenantId: String(tenant.id), ownerUserId: String(user.id) };
        const defaults = input.defaults ? await input.defaults(tx as Tx, created) : undefined;
        return { ...created, slug, ownerCreated: !existing, defaults };
      },
      { timeout: options.timeoutMs ?? 30_000, maxWait: 10_000 },
    );
  } catch (error) {
    if (isUniqueViolationOn(error, s.tenant.model)) throw new TenantSlugTakenError({ cause: error });
    if (isUniqueViolationOn(error, s.user.model)) {
      throw new TenantLifecycleError(
        `Cannot ${ACTION} because a user with the owner's email was created at the same moment by another ` +
          'operation; nothing was written. Run it again: it then finds that user and makes it the owner.',
        { cause: error },
      );
    }
    throw error;
  }
}

function isUniqueViolationOn(error: unknown, model: string): boolean {
  const e = error as { code?: unknown; meta?: { modelName?: unknown } };
  return e?.code === 'P2002' && e.meta?.modelName === model;
}

function resolveSchema(client: object, schema: OnboardingSchema = {}) {
  const s = {
    tenant: { model: 'Tenant', nameField: 'name', slugField: 'slug', ...schema.tenant },
    user: { model: 'User', emailField: 'email', nameField: 'name', ...schema.user },
    membership: {
      model: 'Membership',
      tenantField: 'tenantId',
      userField: 'userId',
      ownerData: { role: 'owner' } as Record<string, unknown>,
      ...schema.membership,
    },
  };
  const models = runtimeDataModelOf(client)?.models ?? {};
  const check = (model: string, fields: string[], option: string) => {
    const m = models[model];
    const missing = m ? fields.filter((f) => !m.fields.some((x) => x.name === f)) : fields;
    if (!m || missing.length > 0) {
      throw new TenantSchemaError(
        `Cannot ${ACTION} because ${m ? `model ${model} has no field ${missing.join(', ')}` : `the client has no model ${model}`}. ` +
          `Pass schema.${option} naming your model and fields, e.g. createTenant(admin, input, { schema: { ${option}: { model: '...' } } }).`,
      );
    }
  };
  check(s.tenant.model, [s.tenant.nameField, s.tenant.slugField], 'tenant');
  check(s.user.model, [s.user.emailField, s.user.nameField], 'user');
  check(
    s.membership.model,
    [s.membership.tenantField, s.membership.userField, ...Object.keys(s.membership.ownerData)],
    'membership',
  );
  return s;
}
