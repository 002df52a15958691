/** The forms' input rules (action-state.ts): the same for every server action and JSON route. */
import { describe, expect, it } from 'vitest';
import { InputError, formDataProblem, nameFrom, nameProblem } from '@/server/action-state';

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.set(key, value);
  return data;
};

describe('names and titles', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['tab', 'a\tb'],
    ['newline', 'a\nb'],
    ['escape', '\u001b[0m'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
  ])('refuses a %s inside, naming the field', (_label, value) => {
    expect(() => nameFrom(form({ name: value }), 'name', 'project name')).toThrow(InputError);
    expect(nameProblem(value, 'project name')).toMatch(/project name contains control characters/);
  });

  it('trims surrounding whitespace (a trailing newline from a paste is fine) and keeps Unicode', () => {
    expect(nameFrom(form({ name: '  Équipe 東京\n' }), 'name', 'project name')).toBe('Équipe 東京');
  });

  it('still refuses empty and too-long names', () => {
    expect(nameProblem('', 'task title')).toMatch(/empty/);
    expect(nameProblem('x'.repeat(121), 'task title')).toMatch(/longer than 120/);
    expect(nameProblem('x'.repeat(120), 'task title')).toBeUndefined();
  });
});

describe('the argument of a form action', () => {
  it.each([
    ['a string', 'x'],
    ['an object', { name: 'x' }],
    ['a number', 1],
    ['nothing', undefined],
    ['null', null],
  ])('is refused when it is %s', (_label, value) => {
    expect(formDataProblem(value)?.error).toMatch(/not sent from its form/);
  });

  it('is accepted when it is a FormData', () => {
    expect(formDataProblem(form({ name: 'x' }))).toBeUndefined();
  });
});
