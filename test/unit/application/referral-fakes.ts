import type {
  FeedPage,
  FeedQuery,
  IdempotentRequest,
  IntakeSnapshot,
  ReferralRepository,
} from '#shared/application/referral-repository.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { type IdempotencyRecord, replay, type StoredAnswer } from '#shared/domain/idempotency.ts';
import type { OfficeState } from '#shared/domain/referral/admission.ts';
import type { ReferralChange, ReferralCreation } from '#shared/domain/referral/change.ts';
import { defaultDeadlines, nextDeadline } from '#shared/domain/referral/deadlines.ts';
import {
  ConsentWithdrawnRace,
  OpenReferralRace,
  type Refusal,
  StaleReferral,
} from '#shared/domain/referral/errors.ts';
import type { AuthorityEvent } from '#shared/domain/referral/events.ts';
import type { OfficeNotification } from '#shared/domain/referral/notification.ts';
import { type ReferralRecord, updatedAtOf } from '#shared/domain/referral/referral.ts';

/**
 * The referral repository in memory, with the adapter's conditions (version and status
 * of a change, the open-referral guard, a withdrawn consent), so that the application's
 * services are tested without I/O.
 */
export class InMemoryReferrals implements ReferralRepository {
  readonly referrals = new Map<string, ReferralRecord>();
  readonly consents = new Map<string, ConsentRecord>();
  readonly offices = new Map<string, OfficeState>();
  readonly openBySubject = new Map<string, string>();
  readonly openAuthority = new Map<string, string>();
  readonly idempotencyRecords = new Map<string, IdempotencyRecord>();
  readonly audit: AuditEntryDraft[] = [];
  readonly outbox: { referralId: string; event: string }[] = [];
  /** The events written for the authorities' queues, in the order of their changes. */
  readonly events: AuthorityEvent[] = [];
  /** The mails to offices' contact addresses, in the order of their changes. */
  readonly notifications: OfficeNotification[] = [];
  /** Called before a change is written: a test moves the referral on meanwhile. */
  beforeWrite: (() => void) | undefined;

  async intakeSnapshot(q: Parameters<ReferralRepository['intakeSnapshot']>[0]): Promise<IntakeSnapshot> {
    const consent = this.consents.get(q.consentId);
    const idem = this.idempotencyRecords.get(`${q.principal}#${q.idempotencyKey}`);
    const open = this.openBySubject.get(q.subjectId);
    return {
      ...(consent ? { consent } : {}),
      ...(idem ? { idempotency: idem } : {}),
      ...(open
        ? { openReferral: { referralId: open, authorityId: this.openAuthority.get(q.subjectId) ?? '' } }
        : {}),
      offices: new Map(q.officeIds.map((id) => [id, this.offices.get(id) ?? { openReferrals: 0 }])),
    };
  }
  async forwardSnapshot(q: { consentId: string; officeId: string }) {
    const consent = this.consents.get(q.consentId);
    return { ...(consent ? { consent } : {}), office: this.offices.get(q.officeId) ?? { openReferrals: 0 } };
  }
  async get(id: string) {
    return this.referrals.get(id);
  }
  async consent(consentId: string) {
    return this.consents.get(consentId);
  }
  async recordEvent(audit: AuditEntryDraft) {
    this.audit.push(audit);
  }
  async idempotency(principal: string, idempotencyKey: string) {
    return this.idempotencyRecords.get(`${principal}#${idempotencyKey}`);
  }
  async recordEventOnce(audit: AuditEntryDraft, request: IdempotentRequest, answer: StoredAnswer) {
    const first = this.idempotencyRecords.get(`${request.principal}#${request.idempotencyKey}`);
    if (first) return replay(first, request.requestHash);
    this.audit.push(audit);
    this.remember(request, answer);
    return answer;
  }
  async consentWithdrawn(consentId: string) {
    return this.consents.get(consentId)?.withdrawnAt !== undefined;
  }
  async bySubject(subjectId: string) {
    return [...this.referrals.values()].filter((r) => r.subjectId === subjectId);
  }
  async dueOn() {
    return [...this.referrals.keys()];
  }
  private remember(request: IdempotentRequest, answer: StoredAnswer) {
    this.idempotencyRecords.set(`${request.principal}#${request.idempotencyKey}`, {
      ...answer,
      requestHash: request.requestHash,
      createdAt: request.now.toISOString(),
    });
  }
  private counter(officeId: string, delta: number) {
    const state = this.offices.get(officeId) ?? { openReferrals: 0 };
    this.offices.set(officeId, { ...state, openReferrals: state.openReferrals + delta });
  }
  private insert(creation: ReferralCreation) {
    const r = creation.referral;
    if (this.consents.get(r.consentId)?.withdrawnAt !== undefined) throw new ConsentWithdrawnRace();
    this.referrals.set(r.referralId, r);
    this.outbox.push({ referralId: r.referralId, event: 'notify' });
    this.counter(r.serviceOfficeId, 1);
    if (creation.authorityEvent) this.events.push(creation.authorityEvent);
    this.audit.push(creation.audit);
  }
  async create(creation: ReferralCreation, request: IdempotentRequest, answer: StoredAnswer) {
    const r = creation.referral;
    const open = this.openBySubject.get(r.subjectId);
    if (open)
      throw new OpenReferralRace({
        referralId: open,
        authorityId: this.openAuthority.get(r.subjectId) ?? '',
      });
    this.insert(creation);
    this.openBySubject.set(r.subjectId, r.referralId);
    this.openAuthority.set(r.subjectId, r.authorityId);
    this.remember(request, answer);
    return answer;
  }
  async refuse(audit: AuditEntryDraft, request: IdempotentRequest, refusal: Refusal): Promise<StoredAnswer> {
    // As the adapter: a record of the same key (a concurrent identical request) wins.
    const first = this.idempotencyRecords.get(`${request.principal}#${request.idempotencyKey}`);
    if (first) return replay(first, request.requestHash);
    this.audit.push(audit);
    this.remember(request, { refusal });
    return { refusal };
  }
  async recordRefusal(audit: AuditEntryDraft) {
    this.audit.push(audit);
  }
  private write(change: ReferralChange, releaseOpen: boolean) {
    this.beforeWrite?.();
    const stored = this.referrals.get(change.from.referralId);
    if (!stored || stored.version !== change.from.version || stored.status !== change.from.status) {
      throw new StaleReferral();
    }
    this.referrals.set(change.to.referralId, change.to);
    if (releaseOpen) {
      if (this.openBySubject.get(stored.subjectId) === stored.referralId)
        this.openBySubject.delete(stored.subjectId);
      this.counter(stored.serviceOfficeId, -1);
    }
    if (change.outbox) this.outbox.push({ referralId: stored.referralId, event: change.outbox });
    if (change.authorityEvent) this.events.push(change.authorityEvent);
    if (change.officeNotification) this.notifications.push(change.officeNotification);
    this.audit.push(change.audit);
  }
  async apply(change: ReferralChange) {
    this.write(change, change.releasesOpenReferral);
  }
  async forward(decline: ReferralChange, creation: ReferralCreation) {
    this.write(decline, false);
    this.counter(decline.from.serviceOfficeId, -1);
    this.insert(creation);
    this.openBySubject.set(creation.referral.subjectId, creation.referral.referralId);
  }
  /** The feed index in memory: the same keys, order, filters and page ends as the adapter's. */
  async feed(q: FeedQuery): Promise<FeedPage> {
    const keyOf = (r: ReferralRecord) => `${updatedAtOf(r)}#${r.referralId}`;
    const after = q.startKey ? String(q.startKey.changedKey) : undefined;
    const mine = [...this.referrals.values()]
      .filter((r) => (q.party.kind === 'authority' ? r.authorityId : r.serviceOfficeId) === q.party.id)
      .filter((r) => q.changedSince === undefined || keyOf(r) >= q.changedSince)
      .sort((a, b) => (keyOf(a) < keyOf(b) ? 1 : -1))
      .filter((r) => after === undefined || keyOf(r) < after);
    const matching = mine.filter((r) => !q.statuses?.length || q.statuses.includes(r.status));
    const page = matching.slice(0, q.limit);
    const last = page.at(-1);
    const more = last !== undefined && mine.indexOf(last) < mine.length - 1;
    return {
      items: page.map((r) => {
        const due = nextDeadline({ ...r, hasCiphertext: r.ciphertext !== undefined }, defaultDeadlines);
        return { referral: r, ...(due ? { due: { kind: due.kind, at: due.at.toISOString() } } : {}) };
      }),
      ...(more
        ? {
            lastKey: {
              pk: `REFERRAL#${last.referralId}`,
              sk: 'REFERRAL',
              [q.party.kind === 'authority' ? 'authorityId' : 'serviceOfficeId']: q.party.id,
              changedKey: keyOf(last),
            },
          }
        : {}),
    };
  }
  async removeOutbox() {}
  async outboxPending() {
    return true;
  }
}
