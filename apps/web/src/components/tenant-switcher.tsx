'use client';
/** The active tenant, and a menu of the user's other tenants (switching is a server action). */
import { useActionState, useRef } from 'react';
import { initialActionState, type ActionState } from '@/server/action-state';

export interface TenantChoice {
  id: string;
  name: string;
  role: string;
}

export function TenantSwitcher({
  tenants,
  activeId,
  action,
}: {
  tenants: TenantChoice[];
  activeId: string;
  action: (s: ActionState, f: FormData) => Promise<ActionState>;
}) {
  const [state, formAction, pending] = useActionState(action, initialActionState);
  const form = useRef<HTMLFormElement>(null);
  const active = tenants.find((t) => t.id === activeId);
  if (tenants.length < 2) {
    return (
      <div className="tenant-pill" data-testid="active-tenant" title="Your tenant">
        <span className="tenant-dot" aria-hidden /> {active?.name}
      </div>
    );
  }
  return (
    <form ref={form} action={formAction} className="tenant-switcher" aria-label="Switch tenant">
      <span className="tenant-dot" aria-hidden />
      <label className="visually-hidden" htmlFor="tenant-select">
        Tenant
      </label>
      <select
        id="tenant-select"
        name="tenantId"
        defaultValue={activeId}
        disabled={pending}
        data-testid="tenant-select"
        onChange={() => form.current?.requestSubmit()}
      >
        {tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <noscript>
        <button type="submit" className="button secondary small">
          Switch
        </button>
      </noscript>
      {state.error ? (
        <span role="alert" className="form-error">
          {state.error}
        </span>
      ) : null}
    </form>
  );
}
