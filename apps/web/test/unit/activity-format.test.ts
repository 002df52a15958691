/**
 * How the Activity page turns an audit event into text: the cursor it accepts, the row key without
 * the tenant, an update's old → new per column, an insert's or delete's values, and long or odd
 * values cut and quoted as JSON (so nothing a user typed becomes markup or an unbounded line).
 */
import { describe, expect, it } from 'vitest';
import { changeLines, parseActivityCursor, rowKeyText, valueText } from '../../src/server/activity';

describe('parseActivityCursor', () => {
  it('accepts no cursor and a positive bigint', () => {
    expect(parseActivityCursor(undefined)).toEqual({ ok: true, before: undefined });
    expect(parseActivityCursor('')).toEqual({ ok: true, before: undefined });
    expect(parseActivityCursor('42')).toEqual({ ok: true, before: 42n });
    expect(parseActivityCursor('9223372036854775807')).toEqual({ ok: true, before: 9223372036854775807n });
  });

  it.each([['0'], ['-1'], ['007'], ['1.5'], ['9223372036854775808'], ['abc'], ["1' or 1=1"]])(
    'refuses %s with a message that does not quote it',
    (raw) => {
      const parsed = parseActivityCursor(raw);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).not.toContain(raw);
    },
  );

  it('refuses a cursor sent twice', () => {
    expect(parseActivityCursor(['1', '2']).ok).toBe(false);
  });
});

describe('rowKeyText', () => {
  it('names the key columns without the tenant', () => {
    expect(rowKeyText({ tenant_id: 't', id: 'abc' })).toBe('id "abc"');
    expect(rowKeyText({ tenant_id: 't', user_id: 'u' })).toBe('user_id "u"');
    expect(rowKeyText({ tenant_id: 't' })).toBe('—');
  });
});

describe('changeLines', () => {
  it('lists an update as old → new per changed column', () => {
    expect(
      changeLines('UPDATE', { title: { old: 'a', new: 'b' }, done: { old: false, new: true }, tenant_id: {} }),
    ).toEqual([
      { field: 'title', text: '"a" → "b"' },
      { field: 'done', text: 'false → true' },
    ]);
  });

  it('lists an insert or a delete as the row’s values, and nothing for no changes', () => {
    expect(changeLines('INSERT', { tenant_id: 't', name: 'x', deleted_at: null })).toEqual([
      { field: 'name', text: '"x"' },
      { field: 'deleted_at', text: 'null' },
    ]);
    expect(changeLines('DELETE', null)).toEqual([]);
    expect(changeLines('UPDATE', [1, 2])).toEqual([]);
  });

  it('keeps markup as JSON text and cuts long values at 80 characters', () => {
    expect(valueText('<b onmouseover="x">')).toBe('"<b onmouseover=\\"x\\">"');
    const long = valueText('x'.repeat(500));
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
    expect(valueText({ nested: [1, 2] })).toBe('{"nested":[1,2]}');
    expect(valueText(undefined)).toBe('null');
  });
});
