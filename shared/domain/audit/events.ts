/**
 * The kinds of audit event. A closed set: a new kind of event is a format change
 * (docs/audit-format.md). In a module of its own, without the entry schemas, so
 * that the data-protection officer's page lists exactly these (web/dpo/).
 */
export const AUDIT_EVENTS = [
  'consent.recorded',
  'consent.withdrawn',
  'consent.expired',
  'referral.accepted',
  'referral.refused',
  'referral.queued',
  'referral.re-announced',
  'referral.received',
  'referral.contacted',
  'referral.closed',
  'referral.declined',
  'referral.forwarded',
  'referral.revoked',
  'referral.expired',
  'referral.ciphertext-deleted',
  'referral.erasure-requested',
  'referral.erasure-reminded',
  'referral.erasure-confirmed',
  'erasure.requested',
  'keys.published',
  'keys.retired',
  'report.generated',
  'export.made',
] as const;
