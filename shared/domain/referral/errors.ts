import { Conflict, DomainError, type FieldIssue } from '#shared/domain/errors.ts';

/** The referral changed since it was read (its status or version); read it again. */
export class StaleReferral extends Conflict {
  override readonly code = 'stale-referral';
  constructor() {
    super('The referral changed meanwhile; read it again.');
  }
}

/** The subject's open-referral guard no longer names the referral being forwarded. */
export class OpenReferralGuardMoved extends Conflict {
  override readonly code = 'open-referral-moved';
  constructor() {
    super("The person's open referral is no longer this one; read the referral again.");
  }
}

/** A subject's open referral as its guard records it (older guards name no authority). */
export interface OpenReferral {
  readonly referralId: string;
  readonly authorityId?: string;
}

/** Another request opened a referral for the same subject between read and write. */
export class OpenReferralRace extends Error {
  override name = 'OpenReferralRace';
  constructor(readonly existing: OpenReferral) {
    super('open referral exists');
  }
}

/** The consent was withdrawn between read and write. */
export class ConsentWithdrawnRace extends Error {
  override name = 'ConsentWithdrawnRace';
}

/**
 * Why a transfer of a person's data is not made: a reason code (the problem type), the
 * offending fields, and non-personal facts for the caller. The HTTP status of each
 * reason is decided in one place (shared/http/refusals.ts).
 */
export interface Refusal {
  readonly reason: string;
  readonly errors?: readonly FieldIssue[];
  /** Extra members of the problem document, e.g. `existingReferralId`, `directoryVersion`. */
  readonly facts?: Readonly<Record<string, unknown>>;
  /** Where the reason alone cannot say it (a routing explanation, the coverage reasons). */
  readonly explanation?: string;
  /** The office the refused transfer was meant for (its audit entry names it). */
  readonly serviceOfficeId?: string;
}

/** A refused referral or forwarding, thrown to the HTTP layer after it was recorded. */
export class ReferralRefused extends DomainError {
  readonly code: string;
  constructor(readonly refusal: Refusal) {
    super(refusal.explanation ?? refusal.reason, { reason: refusal.reason, ...refusal.facts });
    this.code = refusal.reason;
  }
}
