/** Citus mode's SET LOCAL statements (connection/rls-settings.ts): literals that cannot become SQL. */
import { describe, expect, it } from 'vitest';
import { escapeStringLiteral, setLocalStatements } from '../src/connection/rls-settings.js';

describe('escapeStringLiteral', () => {
  it.each([
    ['plain', '00000000-0000-4000-8000-000000000001', "E'00000000-0000-4000-8000-000000000001'"],
    ['empty', '', "E''"],
    ['a quote', "o'brien", "E'o\\'brien'"],
    ['a backslash', 'a\\b', "E'a\\\\b'"],
    ['a backslash before a quote', "\\'; drop table t; --", "E'\\\\\\'; drop table t; --'"],
    ['dollar quotes and comments', '$$;-- /*', "E'$$;-- /*'"],
    ['JSON', '{"sub":"x","note":"it\'s"}', `E'{"sub":"x","note":"it\\'s"}'`],
  ])('quotes %s so the literal ends where it should', (_label, value, expected) => {
    expect(escapeStringLiteral(value)).toBe(expected);
  });

  it('refuses a NUL, which no Postgres string can hold', () => {
    expect(escapeStringLiteral('a\u0000b')).toBeInstanceOf(Error);
  });
});

describe('setLocalStatements', () => {
  it('writes one SET LOCAL per setting, in order', () => {
    expect(setLocalStatements(['app.tenant_id', 'x', 'statement_timeout', '5000', 'role', 'authenticated'])).toEqual([
      "SET LOCAL app.tenant_id = E'x'",
      "SET LOCAL statement_timeout = E'5000'",
      "SET LOCAL role = E'authenticated'",
    ]);
  });

  it.each(['app.tenant_id; drop table t', 'App.Tenant', 'app..x', '', '1app', 'app.tenant_id = 1 --'])(
    'refuses %j as a setting name',
    (name) => {
      expect(setLocalStatements([name, 'x'])).toBeInstanceOf(Error);
    },
  );
});
