import { describe, expect, it } from 'vitest';
import { InvalidTenantContextError, TenantryError, tenantContext } from '../../src/index.js';

const T = '7c0a4d0e-1b7f-4f43-9d55-0c8f3f3c2a11';
const W = '0b6f6c8e-6f7e-4a0a-8a51-3f1e8f0a9b22';

describe('tenantContext', () => {
  it('is undefined outside run and the validated context inside it', async () => {
    expect(tenantContext.get()).toBeUndefined();
    expect(tenantContext.isActive()).toBe(false);
    const seen = await tenantContext.run({ tenantId: T.toUpperCase(), workspaceId: W }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return tenantContext.get();
    });
    expect(seen).toEqual({ tenantId: T, workspaceId: W });
    expect(Object.isFrozen(seen)).toBe(true);
    expect(tenantContext.get()).toBeUndefined();
  });

  it('keeps concurrent runs apart across awaits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `${T.slice(0, -2)}${String(i).padStart(2, '0')}`);
    const results = await Promise.all(
      ids.map((id) =>
        tenantContext.run({ tenantId: id }, async () => {
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          return tenantContext.get()?.tenantId;
        }),
      ),
    );
    expect(results).toEqual(ids);
  });

  it.each([
    ['missing tenantId', {}, 'tenantId', 'is missing'],
    ['empty tenantId', { tenantId: '' }, 'tenantId', 'is an empty string'],
    ['not a uuid', { tenantId: 'acme' }, 'tenantId', 'is not a UUID'],
    ['SQL fragment', { tenantId: "' OR 1=1 --" }, 'tenantId', 'is not a UUID'],
    ['uuid with trailing SQL', { tenantId: `${T}'; drop table tasks;--` }, 'tenantId', 'is not a UUID'],
    ['number', { tenantId: 42 }, 'tenantId', 'is a number'],
    ['bad workspaceId', { tenantId: T, workspaceId: 'ws-1' }, 'workspaceId', 'is not a UUID'],
    ['bad userId', { tenantId: T, userId: '' }, 'userId', 'is an empty string'],
    ['unicode look-alike digits', { tenantId: T.replace(/0/g, '０') }, 'tenantId', 'is not a UUID'],
    ['very long', { tenantId: T.repeat(1000) }, 'tenantId', 'is not a UUID'],
  ])('rejects %s with InvalidTenantContextError naming the field, not the value', (_label, ctx, field, reason) => {
    let thrown: unknown;
    try {
      tenantContext.run(ctx as never, () => 'ran');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidTenantContextError);
    expect(thrown).toBeInstanceOf(TenantryError);
    const error = thrown as InvalidTenantContextError;
    expect(error.field).toBe(field);
    expect(error.message).toContain(`${field} ${reason}`);
    expect(error.message).toMatch(/Pass .* as a canonical UUID/);
    const value = (ctx as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.length > 0) expect(error.message).not.toContain(value);
  });

  it('does not run the callback when the context is invalid', () => {
    let ran = false;
    expect(() => tenantContext.run({ tenantId: 'nope' }, () => (ran = true))).toThrow(InvalidTenantContextError);
    expect(ran).toBe(false);
  });
});
