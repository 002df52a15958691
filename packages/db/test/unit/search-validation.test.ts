/**
 * searchTenant's input rules (packages/db/src/search.ts): bad input is a SearchQueryError naming the
 * field and the fix, thrown before any connection is used and never quoting the input.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEARCH_LIMIT,
  MAX_SEARCH_LIMIT,
  MissingTenantContextError,
  SearchQueryError,
  TenantryError,
  searchTenant,
  tenantContext,
  validateSearchInput,
} from '../../src/index.js';

const T = '7c0a4d0e-1b7f-4f43-9d55-0c8f3f3c2a11';
const SECRET = 'zq-secret-marker';

function errorOf(fn: () => unknown): SearchQueryError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SearchQueryError);
    expect(error).toBeInstanceOf(TenantryError);
    return error as SearchQueryError;
  }
  throw new Error('expected a SearchQueryError, but the input was accepted');
}

describe('validateSearchInput', () => {
  it('trims the text and defaults the limit', () => {
    expect(validateSearchInput('  invoice  draft ')).toEqual({ text: 'invoice  draft', limit: DEFAULT_SEARCH_LIMIT });
    expect(validateSearchInput('x', 1)).toEqual({ text: 'x', limit: 1 });
    expect(validateSearchInput('x', MAX_SEARCH_LIMIT).limit).toBe(100);
  });

  it('accepts what users type, operators and quotes included (websearch_to_tsquery never fails on it)', () => {
    for (const q of [
      `"quoted phrase"`,
      `a & b | !c`,
      `it's`,
      `-draft or final`,
      `a:* \\ b`,
      `'); drop table tasks;--`,
      'Ünïcödé 検索',
      `%_%`,
    ]) {
      expect(validateSearchInput(q).text).toBe(q.trim());
    }
  });

  it.each([
    ['empty', '', 'is empty'],
    ['whitespace only', ' \u00a0 ', 'is empty'],
    ['NUL', `${SECRET}\u0000`, 'contains a control character'],
    ['newline', `${SECRET}\nmore`, 'contains a control character'],
    ['tab', `${SECRET}\tmore`, 'contains a control character'],
    ['trailing newline (not trimmed away)', `${SECRET}\n`, 'contains a control character'],
    ['DEL', `${SECRET}\u007f`, 'contains a control character'],
    ['C1 control', `${SECRET}\u0085`, 'contains a control character'],
    ['201 characters', `${SECRET}${'a'.repeat(201 - SECRET.length)}`, 'is longer than 200 characters'],
  ])('refuses a query that is %s, naming q and never quoting it', (_name, q, reason) => {
    const error = errorOf(() => validateSearchInput(q));
    expect(error.field).toBe('query');
    expect(error.name).toBe('SearchQueryError');
    expect(error.message).toMatch(/^Cannot search because the query \(q\) /);
    expect(error.message).toContain(reason);
    expect(error.message).toMatch(/\. Pass /);
    expect(error.message).not.toContain(SECRET);
  });

  it('counts characters, not UTF-16 units: 200 astral characters pass, 201 do not', () => {
    expect(validateSearchInput('😀'.repeat(200)).text).toHaveLength(400);
    expect(errorOf(() => validateSearchInput('😀'.repeat(201))).field).toBe('query');
  });

  it('refuses a query that is not a string', () => {
    for (const q of [undefined, null, 42, ['a'], { q: 'a' }]) {
      expect(errorOf(() => validateSearchInput(q)).field).toBe('query');
    }
  });

  it.each([0, -1, 101, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null])(
    'refuses limit %s, naming limit',
    (limit) => {
      const error = errorOf(() => validateSearchInput('invoice', limit));
      expect(error.field).toBe('limit');
      expect(error.message).toBe(
        'Cannot search because the limit is not a whole number from 1 to 100. Pass an integer from 1 to 100, or leave it out for 20.',
      );
    },
  );
});

describe('searchTenant before any query', () => {
  // No client is needed for these: the checks run before one is touched (a client that throws proves it).
  const client = {
    $queryRaw: () => {
      throw new Error('the database was queried');
    },
  };

  it('throws SearchQueryError inside a context', async () => {
    await expect(tenantContext.run({ tenantId: T }, () => searchTenant('   ', { client }))).rejects.toBeInstanceOf(
      SearchQueryError,
    );
    await expect(
      tenantContext.run({ tenantId: T }, () => searchTenant('ok', { client, limit: 1000 })),
    ).rejects.toMatchObject({ name: 'SearchQueryError', field: 'limit' });
  });

  it('throws the engine no-context error outside a context', async () => {
    await expect(searchTenant('invoice', { client })).rejects.toBeInstanceOf(MissingTenantContextError);
    await expect(searchTenant('invoice', { client })).rejects.toThrow(
      /^Cannot search because no tenant context is active/,
    );
  });
});
