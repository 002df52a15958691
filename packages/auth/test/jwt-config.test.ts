/** loadJwtConfig: the one rule both apps read; every refusal names the variable and the fix. */
import { describe, expect, it } from 'vitest';
import { JwtConfigError, loadJwtConfig } from '../src/index.js';

const LONG = 'x'.repeat(32);

function refusal(env: Record<string, string>): JwtConfigError {
  try {
    loadJwtConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(JwtConfigError);
    return error as JwtConfigError;
  }
  throw new Error(`loadJwtConfig accepted ${JSON.stringify(Object.keys(env))}`);
}

describe('what is accepted', () => {
  it('JWT_SECRET alone: HS256, audience authenticated, no issuer', () => {
    const config = loadJwtConfig({ JWT_SECRET: 'dev' });
    expect(config).toMatchObject({ jwksUrl: undefined, audience: 'authenticated', issuer: undefined });
    expect(new TextDecoder().decode(config.hs256Secret)).toBe('dev');
  });

  it('empty is unset, for every variable', () => {
    const config = loadJwtConfig({
      JWT_SECRET: 'dev',
      JWKS_URL: '',
      SUPABASE_URL: '',
      JWT_AUDIENCE: '',
      JWT_ISSUER: '',
    });
    expect(config).toMatchObject({ jwksUrl: undefined, audience: 'authenticated', issuer: undefined });
  });

  it('SUPABASE_URL: the key set and the issuer of the project; JWT_SECRET not needed, even in production', () => {
    const config = loadJwtConfig({ NODE_ENV: 'production', SUPABASE_URL: 'https://abc.supabase.co/' });
    expect(config.hs256Secret).toBeUndefined();
    expect(config.jwksUrl?.href).toBe('https://abc.supabase.co/auth/v1/.well-known/jwks.json');
    expect(config.issuer).toBe('https://abc.supabase.co/auth/v1');
  });

  it('JWKS_URL and JWT_ISSUER override what SUPABASE_URL implies', () => {
    const config = loadJwtConfig({
      SUPABASE_URL: 'https://abc.supabase.co',
      JWKS_URL: 'https://keys.test/jwks.json',
      JWT_ISSUER: 'https://issuer.test',
    });
    expect(config.jwksUrl?.href).toBe('https://keys.test/jwks.json');
    expect(config.issuer).toBe('https://issuer.test');
  });

  it.each(['http://127.0.0.1:54321/jwks', 'http://localhost:8000/jwks', 'http://[::1]:9/jwks'])(
    'plain http on loopback: %s',
    (url) => {
      expect(loadJwtConfig({ JWKS_URL: url }).jwksUrl?.href).toBe(new URL(url).href);
    },
  );
});

describe('refusals', () => {
  it('nothing configured', () => {
    const error = refusal({ JWT_SECRET: '', JWKS_URL: '' });
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toMatch(
      /^Cannot verify tokens because none of JWT_SECRET, JWKS_URL or SUPABASE_URL is set\. Set/,
    );
  });

  it('a short JWT_SECRET in production', () => {
    expect(refusal({ NODE_ENV: 'production', JWT_SECRET: 'short' }).message).toMatch(
      /JWT_SECRET in production because it is shorter than 32 characters/,
    );
    expect(loadJwtConfig({ NODE_ENV: 'production', JWT_SECRET: LONG }).hs256Secret).toHaveLength(32);
  });

  it.each([
    ['JWKS_URL', 'http://keys.example.com/jwks.json', /not an https URL.*plain http only on 127\.0\.0\.1/],
    ['JWKS_URL', 'http://10.0.0.5/jwks.json', /not an https URL/],
    ['JWKS_URL', 'ftp://keys.test/jwks.json', /not an https URL/],
    ['JWKS_URL', 'keys.test/jwks.json', /JWKS_URL is not a URL\. Set it to the JSON Web Key Set URL/],
    ['JWKS_URL', 'https://user:pw@keys.test/jwks.json', /credentials or a #fragment/],
    ['SUPABASE_URL', 'http://abc.supabase.co', /SUPABASE_URL is not an https URL/],
    ['SUPABASE_URL', 'https://abc.supabase.co/auth/v1', /not the bare project URL/],
    ['SUPABASE_URL', 'https://abc.supabase.co/auth/v1/.well-known/jwks.json', /not the bare project URL/],
  ])('%s=%s', (variable, value, message) => {
    const error = refusal({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('pw@');
  });

  it.each(['JWT_AUDIENCE', 'JWT_ISSUER'])('%s with stray whitespace (it would never match)', (variable) => {
    const error = refusal({ JWT_SECRET: 'dev', [variable]: 'authenticated ' });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`because ${variable} has leading or trailing whitespace`));
  });
});
