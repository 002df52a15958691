import { describe, expect, it } from 'vitest';
import { InvalidSupabaseContextError, InvalidTenantContextError, validateTenantContext } from '../../src/index.js';
import { rlsSettingsFor, setConfigSql } from '../../../prisma/src/connection/rls-settings.js';

const T = '7c0a4d0e-1b7f-4f43-9d55-0c8f3f3c2a11';
const U = '0b6f6c8e-6f7e-4a0a-8a51-3f1e8f0a9b22';
const claims = { sub: U, role: 'authenticated', email: 'a@example.test', app_metadata: { provider: 'email' } };

describe('Supabase fields of a tenant context', () => {
  it('accepts a role and verified claims, deep-copied and frozen', () => {
    const input = { tenantId: T, userId: U, role: 'authenticated', claims: structuredClone(claims) };
    const ctx = validateTenantContext(input);
    expect(ctx).toEqual({ tenantId: T, userId: U, role: 'authenticated', claims });
    input.claims.app_metadata.provider = 'changed';
    expect((ctx.claims!.app_metadata as { provider: string }).provider).toBe('email');
    expect(Object.isFrozen(ctx.claims!.app_metadata)).toBe(true);
  });

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  it.each([
    ['service_role (BYPASSRLS on Supabase)', { role: 'service_role' }, 'role'],
    ['a role outside the allow-list', { role: 'postgres' }, 'role'],
    ['a role that is not an identifier', { role: 'authenticated; reset role' }, 'role'],
    ['an upper-case role', { role: 'Authenticated' }, 'role'],
    ['claims that are an array', { role: 'authenticated', claims: [] }, 'claims'],
    ['claims that are a class instance', { role: 'authenticated', claims: new Date() }, 'claims'],
    ['cyclic claims', { role: 'authenticated', claims: cyclic }, 'claims'],
    ['claims with a function', { role: 'authenticated', claims: { sub: U, f: () => 1 } }, 'claims'],
    ['claims with undefined', { role: 'authenticated', claims: { sub: U, x: undefined } }, 'claims'],
    ['claims with NaN', { role: 'authenticated', claims: { sub: U, n: Number.NaN } }, 'claims'],
    ['claims over 8 KB', { role: 'authenticated', claims: { sub: U, pad: 'x'.repeat(9000) } }, 'claims'],
    ['a claims.role other than role', { role: 'anon', claims: { role: 'authenticated' } }, 'claims.role'],
    ['a claims.role without role', { claims: { role: 'authenticated' } }, 'claims.role'],
    ['a claims.role of service_role', { role: 'authenticated', claims: { role: 'service_role' } }, 'claims.role'],
    ['a non-string sub', { role: 'authenticated', claims: { sub: 42 } }, 'claims.sub'],
    ['a sub other than userId', { role: 'authenticated', userId: T, claims: { sub: U } }, 'claims.sub'],
  ])('rejects %s', (_label, fields, field) => {
    let thrown: unknown;
    try {
      validateTenantContext({ tenantId: T, ...fields });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidSupabaseContextError);
    expect(thrown).toBeInstanceOf(InvalidTenantContextError);
    expect((thrown as InvalidSupabaseContextError).field).toBe(field);
    expect((thrown as Error).message).toMatch(/^Cannot start a tenant context because .+\. .+/);
    expect((thrown as Error).message).not.toContain('UUID');
  });
});

describe('RLS settings with Supabase fields', () => {
  it('are unchanged without a context or without Supabase fields', () => {
    expect(rlsSettingsFor(undefined)).toEqual(['app.tenant_id', '', 'app.workspace_id', '', 'app.user_id', '']);
    expect(rlsSettingsFor(validateTenantContext({ tenantId: T }))).toEqual([
      'app.tenant_id',
      T,
      'app.workspace_id',
      '',
      'app.user_id',
      '',
    ]);
  });

  it('add the claims, neutralise the legacy claim settings and switch role last', () => {
    const settings = rlsSettingsFor(validateTenantContext({ tenantId: T, userId: U, role: 'authenticated', claims }));
    expect(settings).toEqual([
      'app.tenant_id',
      T,
      'app.workspace_id',
      '',
      'app.user_id',
      U,
      'request.jwt.claims',
      JSON.stringify(claims),
      'request.jwt.claim.sub',
      U,
      'request.jwt.claim.role',
      'authenticated',
      'request.jwt.claim.email',
      'a@example.test',
      'request.jwt.claim',
      '',
      'role',
      'authenticated',
    ]);
    expect(setConfigSql(settings.length / 2)).toMatch(
      /^select set_config\(\$1, \$2, true\)(, set_config\(\$\d+, \$\d+, true\)){8}$/,
    );
  });

  it('send claims without switching role when only claims are given', () => {
    const settings = rlsSettingsFor(validateTenantContext({ tenantId: T, claims: { sub: U } }));
    expect(settings.filter((_, i) => i % 2 === 0)).not.toContain('role');
    expect(settings).toContain(JSON.stringify({ sub: U }));
  });
});

describe('README "Deploying on Supabase" example', () => {
  it('is the compiled code of examples/supabase.ts', async () => {
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const read = (relative: string) => readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');
    const readme = [
      ...(read('../../../../README.md') + read('../../../../docs/supabase.md')).matchAll(
        /<!-- supabase-snippet: ([\w-]+) -->\s*```ts\n([\s\S]*?)```/g,
      ),
    ];
    const example = [
      ...read('../../examples/supabase.ts').matchAll(
        /\/\/ supabase-snippet: ([\w-]+)\n([\s\S]*?)\/\/ end-supabase-snippet/g,
      ),
    ];
    expect(readme.map((m) => m[1])).toEqual(['supabase-context']);
    expect(readme.map((m) => [m[1], m[2]!.trim()])).toEqual(example.map((m) => [m[1], m[2]!.trim()]));
  });
});
