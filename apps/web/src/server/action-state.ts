/** What a server action hands back to its form (useActionState): an error to show, or success. */
export interface ActionState {
  error?: string;
  /** Set on success, so a form can tell a new success from the previous one (and clear its inputs). */
  doneAt?: number;
}

export const initialActionState: ActionState = {};

/** A mistake in what was submitted; its message is shown next to the form. */
export class InputError extends Error {
  override name = 'InputError';
}

export function nameFrom(formData: FormData, field: string, label: string): string {
  const raw = formData.get(field);
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (value === '') throw new InputError(`Cannot save because the ${label} is empty. Type a ${label}.`);
  if (value.length > 120)
    throw new InputError(`Cannot save because the ${label} is longer than 120 characters. Shorten it.`);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function idFrom(formData: FormData, field: string): string {
  const raw = formData.get(field);
  if (typeof raw !== 'string' || !UUID.test(raw))
    throw new InputError('Cannot find this item because the form sent no valid id. Reload the page.');
  return raw.toLowerCase();
}
