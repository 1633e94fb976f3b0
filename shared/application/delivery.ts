import type { Clock } from '#shared/domain/clock.ts';
import { transition } from '#shared/domain/referral/change.ts';
import type { DeadlinePolicy } from '#shared/domain/referral/deadlines.ts';
import { StaleReferral } from '#shared/domain/referral/errors.ts';
import type { AuthorityEvent } from '#shared/domain/referral/events.ts';
import { NOT_RECEIVED } from '#shared/domain/referral/lifecycle.ts';
import type { ReferralRecord } from '#shared/domain/referral/referral.ts';
import type { QueueEnvelope } from '#shared/schemas/referral.ts';
import { type ErasureOutcome, eraseUnderConsent } from './erasure.ts';
import type { NotificationItem } from './notifier.ts';
import type { ReferralRepository } from './referral-repository.ts';

/**
 * Puts a message into a queue: an envelope into a service office's, an event into an
 * authority's. A port, so tests can inject faults.
 */
export interface Courier {
  send(queueUrl: string, message: QueueEnvelope | AuthorityEvent, deduplicationId: string): Promise<void>;
}

export interface DeliveryDependencies {
  readonly referrals: ReferralRepository;
  readonly courier: Courier;
  readonly clock: Clock;
  readonly queueUrlFor: (queueName: string) => string;
  readonly deadlines?: DeadlinePolicy;
}

/** An outbox item: a message to deliver, written in the same transaction as the change that caused it. */
export interface OutboxItem {
  readonly referralId: string;
  readonly event: string;
  readonly queueName: string;
  /** An event for the authority's queue (`event-<version>` items), sent as stored. */
  readonly message?: AuthorityEvent;
}

/** A change of the records table that the relay acts on (read from its stream). */
export type RecordChange =
  | { readonly kind: 'outbox'; readonly item: OutboxItem }
  /** A mail to an office's contact address: the office notifier's, not the relay's (notifier.ts). */
  | { readonly kind: 'notification'; readonly item: NotificationItem }
  | {
      readonly kind: 'consent';
      readonly consentId: string;
      readonly subjectId: string;
      readonly withdrawnBefore: boolean;
      readonly withdrawnAfter: boolean;
      readonly withdrawnBy?: string;
    };

export const RELAY = 'system:outbox-relay';

function envelope(
  type: QueueEnvelope['type'],
  r: ReferralRecord,
  now: Date,
  withJwe: boolean,
): QueueEnvelope {
  return {
    type,
    schemaVersion: 1,
    referralId: r.referralId,
    serviceOfficeId: r.serviceOfficeId,
    createdAt: now.toISOString(),
    ...(withJwe && r.ciphertext ? { jwe: r.ciphertext } : {}),
  };
}

/** What the relay does with one change: deliver an outbox item, or revoke after a withdrawal. */
export async function handleRecordChange(
  deps: DeliveryDependencies,
  change: RecordChange,
): Promise<{ delivered?: OutboxItem; revoked?: number; erasure?: ErasureOutcome }> {
  if (change.kind === 'notification') return {};
  if (change.kind === 'outbox') {
    await deliverOutboxItem(deps, change.item);
    return { delivered: change.item };
  }
  if (change.withdrawnAfter && !change.withdrawnBefore) {
    const erasure = await revokeReferralsOfConsent(deps, {
      id: change.consentId,
      subjectId: change.subjectId,
      ...(change.withdrawnBy !== undefined ? { withdrawnBy: change.withdrawnBy } : {}),
    });
    return { revoked: erasure.revoked, erasure };
  }
  return {};
}

/**
 * Delivers one outbox item. An authority's event is sent as stored. For an office: reads
 * the referral, sends its envelope, and records the
 * delivery (accepted → queued, audit entry, outbox item removed) in one transaction.
 * Running it again is harmless: a referral that is already queued (or further) is not
 * sent again for `notify`, a repeated send within five minutes is dropped by SQS's
 * deduplication, and the office client deduplicates by referral id. A crash between
 * send and mark is recovered by the stream's retry of the same record.
 */
export async function deliverOutboxItem(deps: DeliveryDependencies, item: OutboxItem): Promise<void> {
  const now = deps.clock.now();
  const queueUrl = deps.queueUrlFor(item.queueName);
  const dedupe = `${item.referralId}:${item.event}`;
  const done = () => deps.referrals.removeOutbox(item.referralId, item.event);
  // An authority's event says what happened when it happened: sent as written, whatever
  // the referral became since. Deduplicated by its event id (SQS, and the client).
  if (item.message) {
    await deps.courier.send(queueUrl, item.message, item.message.eventId);
    return done();
  }
  const referral = await deps.referrals.get(item.referralId);
  if (!referral) return done();

  // An erasure request and each reminder: ids and times only; none once it is confirmed.
  if (item.event.startsWith('erasure-')) {
    if (referral.erasure && referral.erasure.confirmedAt === undefined) {
      await deps.courier.send(queueUrl, envelope('referral.erasure-request', referral, now, false), dedupe);
    }
    return done();
  }
  if (item.event === 'revoke') {
    await deps.courier.send(queueUrl, envelope('referral.revocation', referral, now, false), dedupe);
    return done();
  }
  // Received, revoked or expired meanwhile, or the consent is being withdrawn (the
  // withdrawal revokes it): nothing to announce.
  if (
    !NOT_RECEIVED.includes(referral.status) ||
    (await deps.referrals.consentWithdrawn(referral.consentId))
  ) {
    return done();
  }
  if (item.event === 'notify' && referral.status === 'queued') return done();

  const type = item.event === 'notify' ? 'referral.notification' : 'referral.re-announcement';
  await deps.courier.send(queueUrl, envelope(type, referral, now, true), dedupe);
  if (item.event !== 'notify' || referral.status !== 'accepted') return done();
  try {
    await deps.referrals.apply(transition(referral, 'queued', RELAY, now, { deadlines: deps.deadlines }), {
      consumesOutbox: item.event,
    });
  } catch (error) {
    // Moved on meanwhile (e.g. received before it was marked queued): the delivery is
    // still done; only the outbox item is left to remove.
    if (!(error instanceof StaleReferral)) throw error;
    return done();
  }
}

/**
 * A withdrawn consent revokes every referral under it that is not yet received (status
 * revoked, the ciphertext deleted, the open-referral guard released, a revocation message
 * so that the office's client drops the notification unread), asks every office that
 * received one to erase it (erasure.ts), and deletes the ciphertext of any that ended
 * unread, each with its audit entry.
 */
export async function revokeReferralsOfConsent(
  deps: Pick<DeliveryDependencies, 'referrals' | 'clock' | 'deadlines'>,
  consent: { readonly id: string; readonly subjectId: string; readonly withdrawnBy?: string },
): Promise<ErasureOutcome> {
  return eraseUnderConsent(
    {
      referrals: deps.referrals,
      clock: deps.clock,
      ...(deps.deadlines !== undefined ? { deadlines: deps.deadlines } : {}),
    },
    consent,
    consent.withdrawnBy ?? RELAY,
    'consent-withdrawn',
  );
}
