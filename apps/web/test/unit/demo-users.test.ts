/** The sign-in page's demo users are the seeded ones (DEMO in @tenantry/db/testing). */
import { describe, expect, it } from 'vitest';
import { DEMO } from '@tenantry/db/testing';
import { DEMO_USERS } from '../../src/server/demo-users';

describe('dev sign-in demo users', () => {
  it('match the seeded demo users, with their tenants', () => {
    const tenantName = new Map(DEMO.tenants.map((t) => [t.id as string, t.name as string]));
    const seeded = DEMO.users.map((u) => ({
      email: u.email,
      name: u.name,
      tenants: u.tenants.map((id) => tenantName.get(id)),
    }));
    expect(DEMO_USERS.map((u) => ({ ...u, tenants: [...u.tenants] }))).toEqual(seeded);
  });
});
