/** Request schemas of the invitation routes (zod, strict objects like every resource's). */
import { z } from 'zod';
import { id, page } from '../resources/schemas.js';

// Stored lower-case: the unique key (tenant_id, email) is case-sensitive and the membership policy
// compares lower(email), so one spelling per address keeps "one pending invitation per address".
const email = z
  .email({ error: 'must be an email address' })
  .max(320, 'must be at most 320 characters')
  .transform((value) => value.toLowerCase());

export const invitationCreate = z.strictObject({
  email,
  role: z.enum(['owner', 'admin', 'member'], { error: 'must be owner, admin or member' }).default('member'),
});
export const invitationList = page.strict();

/** The invited user names the tenant it was invited to; who it is comes from the verified token. */
export const invitationAccept = z.strictObject({ tenantId: id });

export type InvitationCreate = z.infer<typeof invitationCreate>;
export type InvitationAccept = z.infer<typeof invitationAccept>;
