'use client';
import { useEffect } from 'react';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    document.title = 'Something went wrong · Tenantry';
  }, []);
  return (
    <main className="centered">
      <div className="card narrow empty" role="alert">
        <p className="eyebrow">Error</p>
        <h1>Something went wrong</h1>
        <p className="muted">
          We could not load this page. Try again; if it keeps failing, the database may be unreachable.
        </p>
        {error.digest ? <p className="muted small">Reference: {error.digest}</p> : null}
        <button type="button" className="button primary" onClick={reset}>
          Try again
        </button>
      </div>
    </main>
  );
}
