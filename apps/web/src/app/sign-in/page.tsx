import type { Metadata } from 'next';
import { signInAsDemoUser } from '@/app/actions';
import { ActionForm, SubmitButton } from '@/components/forms';
import { webConfig } from '@/server/config';
import { DEMO_USERS } from '@/server/demo-users';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

const REASONS: Record<string, string> = {
  'signed-out': 'Sign in to continue. (A session that expired or was not valid ends here too.)',
  tenant: 'Your session does not name a tenant you belong to. Sign in again to pick one.',
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ reason?: string }> }) {
  const { reason } = await searchParams;
  const enabled = webConfig().devSignIn;
  return (
    <main className="centered">
      <div className="card narrow sign-in">
        <div className="brand large">
          <span className="brand-mark" aria-hidden>
            T
          </span>
          Tenantry
        </div>
        <h1>Sign in</h1>
        {reason && REASONS[reason] ? (
          <p className="notice" role="status">
            {REASONS[reason]}
          </p>
        ) : null}
        {enabled ? (
          <>
            <p className="dev-banner" data-testid="dev-banner">
              <strong>Development only.</strong> Sign in as a seeded demo user, no password. This page is disabled in
              production builds.
            </p>
            <ul className="demo-users">
              {DEMO_USERS.map((user) => (
                <li key={user.email}>
                  <ActionForm action={signInAsDemoUser} label={`Sign in as ${user.email}`}>
                    <input type="hidden" name="email" value={user.email} />
                    <SubmitButton variant="secondary">
                      <span className="avatar" aria-hidden>
                        {user.name[0]}
                      </span>
                      <span className="demo-user-text">
                        <span className="demo-user-name">{user.name}</span>
                        <span className="muted small">
                          {user.email} · {user.tenants.join(', ')}
                        </span>
                      </span>
                    </SubmitButton>
                  </ActionForm>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="muted">
            Sign-in is provided by your identity provider: its session cookie carries a JWT signed with JWT_SECRET.
          </p>
        )}
      </div>
    </main>
  );
}
