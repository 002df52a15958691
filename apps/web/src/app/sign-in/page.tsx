import type { Metadata } from 'next';
import { signInAsDemoUser } from '@/app/actions';
import { ActionForm, SubmitButton } from '@/components/forms';
import { webConfig } from '@/server/config';
import { DEMO_USERS } from '@/server/demo-users';
import { devSignInProblem } from '@/server/session';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

const REASONS: Record<string, string> = {
  'signed-out': 'Sign in to continue. (A session that expired or was not valid ends here too.)',
  tenant: 'Your session does not name a tenant you belong to. Sign in again to pick one.',
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ reason?: string }> }) {
  const { reason } = await searchParams;
  const enabled = webConfig().devSignIn;
  // With only a key set configured there is no secret to mint the dev session with: say so instead of offering it.
  const problem = enabled ? devSignInProblem() : undefined;
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
        {problem ? (
          <p className="notice" role="alert" data-testid="dev-sign-in-problem">
            {problem}
          </p>
        ) : enabled ? (
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
            Sign-in is provided by your identity provider: its session cookie carries a JWT this app verifies with
            JWT_SECRET (HS256) or the provider&apos;s key set (JWKS_URL or SUPABASE_URL).
          </p>
        )}
      </div>
    </main>
  );
}
