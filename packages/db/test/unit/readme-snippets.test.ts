/**
 * Every ```ts block in the README or docs/*.md that follows a `<!-- snippet: name -->` marker must equal the
 * block of the same name in examples/*.ts, which `pnpm typecheck` compiles. So the
 * README's examples cannot drift from code that compiles.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
// The README and every page of docs/: a snippet may live in either.
const root = path.resolve(here, '../../../..');
const readme = [
  readFileSync(path.join(root, 'README.md'), 'utf8'),
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => readFileSync(path.join(root, 'docs', f), 'utf8')),
].join('\n');
const examples = ['readme-snippets.ts', 'isolation-kit.ts']
  .map((file) => readFileSync(path.resolve(here, '../../examples', file), 'utf8'))
  .join('\n');

function readmeSnippets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- snippet: ([\w-]+) -->\s*```ts\n([\s\S]*?)```/g)) out.set(m[1]!, m[2]!.trim());
  return out;
}

function exampleSnippets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of examples.matchAll(/\/\/ snippet: ([\w-]+)\n([\s\S]*?)\/\/ end-snippet/g))
    out.set(m[1]!, m[2]!.trim());
  return out;
}

describe('README snippets', () => {
  it('every README snippet is compiled code from examples/readme-snippets.ts', () => {
    const fromReadme = readmeSnippets();
    const fromExamples = exampleSnippets();
    expect([...fromReadme.keys()].sort()).toEqual([...fromExamples.keys()].sort());
    expect(fromReadme.size).toBeGreaterThanOrEqual(5);
    for (const [name, code] of fromReadme) expect(code, `snippet ${name}`).toBe(fromExamples.get(name));
  });
});
