/**
 * The signed-in shell: brand, tenant switcher, navigation, search box, user, sign out. The tenancy is verified here and again
 * by every data call and action (React `cache` makes it one check per request).
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import { signOut, switchTenant } from '@/app/actions';
import { TenantSwitcher } from '@/components/tenant-switcher';
import { switchableTenants } from '@/server/tenancy';
import { currentTenancy } from '@/server/with-tenant';

export const dynamic = 'force-dynamic';

export default async function AppLayout({ children }: { children: ReactNode }) {
  const tenancy = await currentTenancy();
  const tenants = await switchableTenants(tenancy);
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/workspaces" className="brand">
            <span className="brand-mark" aria-hidden>
              T
            </span>
            Tenantry
          </Link>
          <TenantSwitcher tenants={tenants} activeId={tenancy.tenant.id} action={switchTenant} />
          <nav className="topnav" aria-label="Main">
            <Link href="/workspaces">Workspaces</Link>
            <Link href="/activity">Activity</Link>
          </nav>
          <div className="topbar-spacer" />
          {/* A plain GET form: the search is a URL (/search?q=), rendered on the server. */}
          <search className="search-box">
            <form action="/search" method="get" aria-label="Search">
              <input
                type="search"
                name="q"
                placeholder="Search…"
                aria-label="Search projects and tasks"
                maxLength={200}
                required
              />
            </form>
          </search>
          <span className="user" data-testid="user-email">
            {tenancy.email}
          </span>
          <form action={signOut}>
            <button type="submit" className="button ghost small">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <main className="content">{children}</main>
    </>
  );
}
