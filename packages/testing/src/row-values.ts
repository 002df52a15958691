/**
 * Values for required scalars that have no default, by type: what the seeder and the fuzzer's
 * generic creates put in columns they know nothing about. Strings start with the tenant's label, so
 * a foreign row in an assertion names its tenant; unique fields get a part of their own, so rows of
 * tenants seeded under the same label on a shared database never collide.
 */
import type { Random } from './fuzz/random.js';
import type { FieldDef } from './schema-model.js';

export interface ValueContext {
  /** The tenant's label (strings start with it). */
  label: string;
  /** The row's number among this tenant's rows of the model. */
  index: number;
  rng: Random;
  enums: ReadonlyMap<string, readonly string[]>;
}

const hex = (rng: Random, n: number) => Array.from({ length: n }, () => rng.int(16).toString(16)).join('');

/** A value for `field`, or undefined when the database (a default, `@updatedAt`) fills it. */
export function scalarValue(field: FieldDef, ctx: ValueContext): unknown {
  if (field.hasDefault || field.isUpdatedAt) return undefined;
  if (!field.isRequired) return undefined;
  if (field.isList) return [];
  if (field.kind === 'enum') {
    const values = ctx.enums.get(field.type);
    if (!values?.length)
      throw new Error(`Cannot seed ${field.name} because the enum ${field.type} has no values in the schema.`);
    return values[0];
  }
  const unique = field.isUnique || field.isId;
  switch (field.type) {
    case 'String': {
      if (field.nativeType === 'Uuid') return ctx.rng.uuid();
      const lower = field.name.toLowerCase();
      // Lower case and no spaces after the label: columns such as emails often carry check constraints.
      const text = lower.includes('email')
        ? `${ctx.label}-${ctx.index}-${hex(ctx.rng, 8)}@example.test`
        : unique
          ? `${ctx.label}-${lower}-${ctx.index}-${hex(ctx.rng, 8)}`
          : `${ctx.label} ${lower} ${ctx.index}`;
      return field.maxLength ? text.slice(0, field.maxLength) : text;
    }
    case 'Int':
      return unique ? ctx.rng.int(2 ** 30) * 2 + 1 : ctx.index;
    case 'BigInt':
      return unique ? BigInt(ctx.rng.int(2 ** 30)) * 1024n + BigInt(ctx.index) : BigInt(ctx.index);
    case 'Float':
    case 'Decimal':
      return unique ? ctx.rng.int(2 ** 30) + ctx.index / 10 : ctx.index;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date(Date.UTC(2026, 0, 1) + (unique ? ctx.rng.int(2 ** 30) * 1000 : ctx.index * 60_000));
    case 'Json':
      return { label: ctx.label, index: ctx.index };
    case 'Bytes':
      return new Uint8Array(
        unique ? [ctx.index & 255, ...Array.from({ length: 15 }, () => ctx.rng.int(256))] : [ctx.index & 255],
      );
    default:
      throw new Error(
        `Cannot seed ${field.name} because its type ${field.type} is not one the seeder knows. Give it a default in the schema, or pass \`values\` for it.`,
      );
  }
}

/** A value for a required field that has a default anyway (ids the caller must know in advance). */
export function idValue(field: FieldDef, rng: Random): unknown {
  return field.type === 'String' ? rng.uuid() : undefined;
}
