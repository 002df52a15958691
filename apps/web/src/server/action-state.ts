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

/** Control characters (C0, DEL, C1): never in a name or title, and Postgres cannot store NUL at all. */
export function hasControlCharacters(value: string): boolean {
  return /\p{Cc}/u.test(value);
}

/**
 * The problem with a submitted name or title, or undefined when it is fine: the one rule for the
 * forms (nameFrom) and the JSON route handlers.
 */
export function nameProblem(value: string, label: string): string | undefined {
  if (value === '') return `Cannot save because the ${label} is empty. Type a ${label}.`;
  if (value.length > 120) return `Cannot save because the ${label} is longer than 120 characters. Shorten it.`;
  if (hasControlCharacters(value))
    return `Cannot save because the ${label} contains control characters (NUL, tab, newline, ...). Remove them.`;
  return undefined;
}

export function nameFrom(formData: FormData, field: string, label: string): string {
  const raw = formData.get(field);
  const value = typeof raw === 'string' ? raw.trim() : '';
  const problem = nameProblem(value, label);
  if (problem) throw new InputError(problem);
  return value;
}

/**
 * Server actions are public endpoints that anyone can call with any argument (the action id is in
 * the page; Next decodes a JSON or multipart body into the argument). The form-bound actions take a
 * FormData; anything else is answered as a form error instead of a TypeError (a 500).
 */
export function formDataProblem(formData: unknown): ActionState | undefined {
  return formData instanceof FormData
    ? undefined
    : { error: 'Cannot run this action because it was not sent from its form. Submit the form on the page.' };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function idFrom(formData: FormData, field: string): string {
  const raw = formData.get(field);
  if (typeof raw !== 'string' || !UUID.test(raw))
    throw new InputError('Cannot find this item because the form sent no valid id. Reload the page.');
  return raw.toLowerCase();
}
