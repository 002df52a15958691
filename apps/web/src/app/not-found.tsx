import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found' };

export default function NotFound() {
  return (
    <main className="centered">
      <div className="card narrow empty">
        <p className="eyebrow">404</p>
        <h1>Nothing here</h1>
        <p className="muted">This page does not exist, or it belongs to a tenant you are not using right now.</p>
        <Link className="button primary" href="/workspaces">
          Back to your workspaces
        </Link>
      </div>
    </main>
  );
}
