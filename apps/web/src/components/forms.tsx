'use client';
/**
 * Forms bound to server actions with useActionState: the action's error is shown under the form,
 * the submit button says when it is working. Works without JavaScript too (plain form posts).
 */
import { useActionState, type ReactNode } from 'react';
import { useFormStatus } from 'react-dom';
import { initialActionState, type ActionState } from '@/server/action-state';

type Action = (state: ActionState, formData: FormData) => Promise<ActionState>;

export function ActionForm({
  action,
  children,
  className,
  label,
}: {
  action: Action;
  children: ReactNode;
  className?: string;
  label?: string;
}) {
  const [state, formAction] = useActionState(action, initialActionState);
  return (
    <form action={formAction} className={className} aria-label={label}>
      {children}
      {state.error ? (
        <p role="alert" className="form-error">
          {state.error}
        </p>
      ) : null}
    </form>
  );
}

export function SubmitButton({
  children,
  variant = 'primary',
  title,
}: {
  children: ReactNode;
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  title?: string;
}) {
  const { pending } = useFormStatus();
  return (
    <button type="submit" className={`button ${variant}`} disabled={pending} aria-busy={pending} title={title}>
      {children}
    </button>
  );
}

/** A name with a small "Rename" disclosure holding the rename form. */
export function RenameForm({
  action,
  id,
  field,
  value,
  label,
}: {
  action: Action;
  id: string;
  field: string;
  value: string;
  label: string;
}) {
  return (
    <details className="rename">
      <summary className="button ghost small">Rename</summary>
      <ActionForm action={action} className="inline-form" label={`Rename ${label}`}>
        <input type="hidden" name="id" value={id} />
        <input name={field} defaultValue={value} aria-label={`New ${label} name`} maxLength={120} required />
        <SubmitButton variant="secondary">Save</SubmitButton>
      </ActionForm>
    </details>
  );
}
