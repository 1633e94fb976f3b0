import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import type { IdempotencyRecord, StoredAnswer } from '#shared/domain/idempotency.ts';
import type { OfficeState } from '#shared/domain/referral/admission.ts';
import type { ReferralChange, ReferralCreation } from '#shared/domain/referral/change.ts';
import type { DeadlineKind } from '#shared/domain/referral/deadlines.ts';
import type { OpenReferral, Refusal } from '#shared/domain/referral/errors.ts';
import type { ReferralStatus } from '#shared/domain/referral/lifecycle.ts';
import type { ReferralRecord } from '#shared/domain/referral/referral.ts';

/** What intake reads in one request: the consent, the idempotency record, the subject's open referral, the candidates. */
export interface IntakeSnapshot {
  readonly consent?: ConsentRecord;
  readonly idempotency?: IdempotencyRecord;
  /** The subject's open referral: its id and the authority that sent it. */
  readonly openReferral?: OpenReferral;
  readonly offices: ReadonlyMap<string, OfficeState>;
}

/** The idempotency facts of a creating request, scoped to the calling principal. */
export interface IdempotentRequest {
  readonly principal: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly now: Date;
}

/** Whose feed: an authority's referrals, or a service office's. */
export interface FeedParty {
  readonly kind: 'authority' | 'service';
  readonly id: string;
}

export interface FeedQuery {
  readonly party: FeedParty;
  /** Only these statuses; absent or empty: all. */
  readonly statuses?: readonly ReferralStatus[];
  /** Only referrals changed at or after this instant (ISO 8601 as `toISOString` writes it). */
  readonly changedSince?: string;
  readonly limit: number;
  /** Where the previous page ended (its `lastKey`, checked by the caller). */
  readonly startKey?: Record<string, unknown>;
}

/** What the feed index holds of a referral: metadata and history, no ciphertext, no subject. */
export type FeedReferral = Pick<
  ReferralRecord,
  | 'referralId'
  | 'status'
  | 'consentId'
  | 'authorityId'
  | 'serviceOfficeId'
  | 'caseReference'
  | 'dataCategories'
  | 'createdAt'
  | 'updatedAt'
  | 'history'
  | 'forwardedTo'
  | 'forwardedToOfficeId'
  | 'forwardedFrom'
  | 'forwardedFromOfficeId'
  | 'erasure'
>;

export interface FeedPage {
  readonly items: readonly {
    readonly referral: FeedReferral;
    /** The next deadline, as stored with the referral. */
    readonly due?: { readonly kind: DeadlineKind; readonly at: string };
  }[];
  /** Where this page ended; absent on the last page. */
  readonly lastKey?: Record<string, unknown>;
}

/**
 * Where referrals are kept: the port the application owns; the DynamoDB adapter
 * (shared/adapters/dynamo-referral-repository.ts) implements it. Every write is one
 * transaction with its audit entry. A change made on a referral that changed since it
 * was read fails with StaleReferral (domain/referral/errors.ts): read again and retry
 * (retry.ts).
 */
export interface ReferralRepository {
  intakeSnapshot(q: {
    readonly consentId: string;
    readonly principal: string;
    readonly idempotencyKey: string;
    readonly subjectId: string;
    readonly officeIds: readonly string[];
  }): Promise<IntakeSnapshot>;
  /** The consent and the target office's state for forwarding. */
  forwardSnapshot(q: {
    readonly consentId: string;
    readonly officeId: string;
  }): Promise<{ readonly consent?: ConsentRecord; readonly office: OfficeState }>;
  get(referralId: string): Promise<ReferralRecord | undefined>;
  /** A consent as stored (a strongly consistent read), or undefined. */
  consent(consentId: string): Promise<ConsentRecord | undefined>;
  /** Records an audit entry that changes no referral (e.g. an erasure request as recorded). */
  recordEvent(audit: AuditEntryDraft): Promise<void>;
  /** The idempotency record of (principal, key), if the key was used (a strongly consistent read). */
  idempotency(principal: string, idempotencyKey: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Records an audit entry that changes no referral together with the idempotency record
   * holding `answer`, in one transaction; answers the first request's answer (or throws
   * IdempotencyKeyReused) when the key was used already, and then writes nothing.
   */
  recordEventOnce(
    audit: AuditEntryDraft,
    request: IdempotentRequest,
    answer: StoredAnswer,
  ): Promise<StoredAnswer>;
  /** Whether the consent has been withdrawn (a strongly consistent read). */
  consentWithdrawn(consentId: string): Promise<boolean>;
  /** Referrals of a subject, newest first, as the subject index projects them (ids, status, consent). */
  bySubject(
    subjectId: string,
  ): Promise<
    Pick<
      ReferralRecord,
      'referralId' | 'status' | 'consentId' | 'serviceOfficeId' | 'createdAt' | 'receivedAt'
    >[]
  >;
  /** Ids of referrals whose next deadline falls on one UTC day, due up to `until`. */
  dueOn(day: string, until: Date): Promise<string[]>;
  /**
   * Writes a new referral with its delivery (outbox), the subject's open-referral guard,
   * the office's counter, the condition that its consent is not withdrawn, its audit
   * entry and the idempotency record holding `answer`. Throws OpenReferralRace or
   * ConsentWithdrawnRace when a condition failed; answers the first request's answer
   * when the key was used already.
   */
  create(creation: ReferralCreation, request: IdempotentRequest, answer: StoredAnswer): Promise<StoredAnswer>;
  /** Records a refused intake: its audit entry and the idempotency record holding the refusal. */
  refuse(audit: AuditEntryDraft, request: IdempotentRequest, refusal: Refusal): Promise<StoredAnswer>;
  /** Records the audit entry of a refusal that creates nothing. */
  recordRefusal(audit: AuditEntryDraft): Promise<void>;
  /** Writes a change; `consumesOutbox` removes the outbox item that caused it, in the same transaction. */
  apply(change: ReferralChange, options?: { readonly consumesOutbox?: string }): Promise<void>;
  /**
   * Declines and forwards in one transaction: the decline, the new referral with its
   * delivery, the open-referral guard moved to it, both offices' counters, both audit
   * entries. Throws StaleReferral, OpenReferralGuardMoved or ConsentWithdrawnRace.
   */
  forward(decline: ReferralChange, creation: ReferralCreation): Promise<void>;
  /** One page of a party's referrals, newest change first (the feed indexes). */
  feed(q: FeedQuery): Promise<FeedPage>;
  /** Removes a consumed outbox item (idempotent). */
  removeOutbox(referralId: string, event: string): Promise<void>;
  /** Whether an outbox item is still there, i.e. not consumed yet (a strongly consistent read). */
  outboxPending(referralId: string, event: string): Promise<boolean>;
}
