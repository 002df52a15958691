/**
 * Request schemas (zod, validated by RequestValidationPipe). Objects are strict: an unknown key,
 * `tenantId` included, is a 422, because the tenant comes from the verified token, never the body.
 */
import { z } from 'zod';

export const id = z.uuid({ error: 'must be a UUID' });
export const idParam = z.object({ id });

/**
 * Control characters (C0, DEL, C1: NUL, tab, newline, escape, ...) have no place in a name or title,
 * and Postgres cannot store NUL at all (it would fail the INSERT with 22021, a 500). Refused here,
 * naming the field; the error mapping answers 422 for 22021 as a backstop (error-mapping.ts).
 */
export const noControlCharacters = (value: string) => !/\p{Cc}/u.test(value);
export const CONTROL_CHARACTERS_MESSAGE = 'must not contain control characters (NUL, tab, newline, ...)';

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine(noControlCharacters, CONTROL_CHARACTERS_MESSAGE);

export const page = z.object({
  limit: z.coerce
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(20),
  cursor: id.optional(),
});

export const workspaceCreate = z.strictObject({ name });
export const workspaceUpdate = z.strictObject({ name });
export const workspaceList = page.strict();

export const projectCreate = z.strictObject({ workspaceId: id, name });
export const projectUpdate = z.strictObject({ name });
export const projectList = page.extend({ workspaceId: id.optional() }).strict();

export const taskCreate = z.strictObject({ projectId: id, title: name, done: z.boolean().optional() });
export const taskUpdate = z
  .strictObject({ title: name.optional(), done: z.boolean().optional() })
  .refine((v) => v.title !== undefined || v.done !== undefined, { error: 'send title, done or both' });
export const taskList = page
  .extend({
    projectId: id.optional(),
    done: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();

/**
 * GET /audit. `entity` is a table name as the audit triggers record it ("projects", "tasks"): a
 * lower-case SQL identifier, so a malformed one is refused naming the field, and a well-formed one no
 * table writes (a typo, a table that is not audited) is simply an empty list, the same answer as an
 * audited table with no events yet. The cursor is the last event id of the previous page: a bigint,
 * sent as a string (JSON numbers lose precision above 2^53).
 */
export const auditList = z.strictObject({
  entity: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a table name (lower-case letters, digits and _, at most 63)')
    .optional(),
  cursor: z
    .string()
    .refine(
      (v) => /^[1-9][0-9]{0,18}$/.test(v) && BigInt(v) <= 9_223_372_036_854_775_807n,
      'must be the nextCursor of a previous page',
    )
    .optional(),
  limit: page.shape.limit,
});

/**
 * GET /search. Only the shape is checked here (one `q`, one `limit`, nothing else); what a valid
 * query is (length, characters) is the library's rule, `searchTenant` throws SearchQueryError, and
 * the error mapping answers it like a bad query parameter naming `q` or `limit`: one rule, one place.
 */
export const searchQuery = z.strictObject({
  q: z.string({ error: 'must be given once, as text' }),
  limit: z.coerce.number({ error: 'must be a number' }).optional(),
});

export type Page = z.infer<typeof page>;
export type AuditList = z.infer<typeof auditList>;
export type SearchQuery = z.infer<typeof searchQuery>;
export type WorkspaceCreate = z.infer<typeof workspaceCreate>;
export type WorkspaceUpdate = z.infer<typeof workspaceUpdate>;
export type ProjectCreate = z.infer<typeof projectCreate>;
export type ProjectUpdate = z.infer<typeof projectUpdate>;
export type ProjectList = z.infer<typeof projectList>;
export type TaskCreate = z.infer<typeof taskCreate>;
export type TaskUpdate = z.infer<typeof taskUpdate>;
export type TaskList = z.infer<typeof taskList>;
