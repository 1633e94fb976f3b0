/**
 * The events an authority receives on its own queue (docs/referrals.md, events): what
 * a client does with a message body. Ids, codes and times only; deduplicate by
 * `eventId` (a redelivery carries the same one); within one referral they arrive in
 * order (the referral is the FIFO message group).
 */
import {
  type AuthorityEventMessage,
  AuthorityEventMessage as EventSchema,
} from '#shared/schemas/referral.ts';

export type { AuthorityEventMessage };

/** The body of an event message, checked against the event schema of version 1. */
export function parseAuthorityEvent(
  body: string,
): { ok: true; event: AuthorityEventMessage } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the message body is not JSON' };
  }
  const parsed = EventSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(event)'))];
    return { ok: false, reason: `not an authority event of version 1 (${fields.slice(0, 5).join(', ')})` };
  }
  return { ok: true, event: parsed.data };
}
