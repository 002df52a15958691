/**
 * How @prisma/adapter-pg 7.10 decodes rows, mirrored for raw-pg so the floor pays what Prisma's
 * driver pays and no more: rows as arrays (`rowMode: 'array'`), and for the text format its own
 * parsers for the types it normalizes (timestamps stay ISO strings, never `Date`; numeric, money,
 * json and the rest stay text), pg's defaults for the others. adapter-pg exports none of this (its
 * `customParsers` is module-private), so the table is copied from its dist/index.mjs, built only on
 * pg's public `types`. test/adapter-pg-parsers.test.ts decodes the same row through the real adapter
 * and through this, and fails naming the adapter version when they part.
 */
import pg from 'pg';

const { builtins } = pg.types;
/** Array type OIDs adapter-pg normalizes (pg's `builtins` names only scalars). */
const ARRAY = {
  NUMERIC: 1231,
  TIME: 1183,
  DATE: 1182,
  TIMESTAMP: 1115,
  TIMESTAMPTZ: 1185,
  MONEY: 791,
  JSON: 199,
  JSONB: 3807,
  BYTEA: 1001,
  BIT: 1561,
  VARBIT: 1563,
  XML: 143,
} as const;

type Parser = (value: string) => unknown;
const identity: Parser = (v) => v;
// pg's array parsers parse elements with their own element parser; adapter-pg keeps elements as
// normalized text. postgres-array (what adapter-pg uses) is not ours to import; parse with pg's
// generic text-array parser (typeParser 1009, text[]) and normalize each element.
const textArray = pg.types.getTypeParser(1009 as never) as unknown as (v: string) => Array<string | null>;
const eachOf =
  (normalize: Parser): Parser =>
  (v) =>
    textArray(v).map((e) => (e === null ? null : normalize(e)));

const timestamp: Parser = (t) => `${t.replace(' ', 'T')}+00:00`;
const timestamptz: Parser = (t) => t.replace(' ', 'T').replace(/[+-]\d{2}(:\d{2})?$/, '+00:00');
const timetz: Parser = (t) => t.replace(/[+-]\d{2}(:\d{2})?$/, '');
const money: Parser = (m) => m.slice(1);
const bytea = pg.types.getTypeParser(builtins.BYTEA) as Parser;
const byteaArray = pg.types.getTypeParser(ARRAY.BYTEA as never) as Parser;

export const ADAPTER_PG_PARSERS: Readonly<Record<number, Parser>> = {
  [builtins.NUMERIC]: identity,
  [ARRAY.NUMERIC]: eachOf(identity),
  [builtins.TIME]: identity,
  [ARRAY.TIME]: eachOf(identity),
  [builtins.TIMETZ]: timetz,
  [builtins.DATE]: identity,
  [ARRAY.DATE]: eachOf(identity),
  [builtins.TIMESTAMP]: timestamp,
  [ARRAY.TIMESTAMP]: eachOf(timestamp),
  [builtins.TIMESTAMPTZ]: timestamptz,
  [ARRAY.TIMESTAMPTZ]: eachOf(timestamptz),
  [builtins.MONEY]: money,
  [ARRAY.MONEY]: eachOf(money),
  [builtins.JSON]: identity,
  [ARRAY.JSON]: eachOf(identity),
  [builtins.JSONB]: identity,
  [ARRAY.JSONB]: eachOf(identity),
  [builtins.BYTEA]: bytea,
  [ARRAY.BYTEA]: byteaArray,
  [ARRAY.BIT]: eachOf(identity),
  [ARRAY.VARBIT]: eachOf(identity),
  [ARRAY.XML]: eachOf(identity),
};

/** The `types` option of a pg query config that decodes as adapter-pg does. */
export const adapterPgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && ADAPTER_PG_PARSERS[oid]
      ? ADAPTER_PG_PARSERS[oid]
      : pg.types.getTypeParser(oid, format ?? 'text'),
} as unknown as pg.CustomTypesConfig;

/** A pg query config as adapter-pg sends it: unnamed, rows as arrays, its parsers. */
export const adapterPgQuery = (text: string, values: unknown[]): pg.QueryArrayConfig => ({
  text,
  values,
  rowMode: 'array',
  types: adapterPgTypes,
});
