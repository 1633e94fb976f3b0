import type { Courier } from '#shared/adapters/courier.ts';
import {
  type ReferralRecord,
  type ReferralStore,
  referralFromItem,
  StaleReferral,
} from '#shared/adapters/referral-store.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { referralAuditDraft } from '#shared/domain/referral/audit.ts';
import { type DeadlinePolicy, defaultDeadlines, nextDeadline } from '#shared/domain/referral/deadlines.ts';
import { NOT_RECEIVED } from '#shared/domain/referral/lifecycle.ts';
import type { QueueEnvelope } from '#shared/schemas/referral.ts';

export interface DeliveryDependencies {
  readonly store: Pick<
    ReferralStore,
    'get' | 'bySubject' | 'transition' | 'outboxDone' | 'removeOutbox' | 'consentWithdrawn'
  >;
  readonly courier: Courier;
  readonly clock: Clock;
  readonly queueUrlFor: (queueName: string) => string;
  readonly queueNameFor: (officeId: string) => string;
  readonly deadlines?: DeadlinePolicy;
}

export interface OutboxItem {
  readonly referralId: string;
  readonly event: string;
  readonly queueName: string;
}

const RELAY = 'system:outbox-relay';

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

/** The referral and whether its consent was withdrawn. */
async function readReferralAndConsent(
  deps: DeliveryDependencies,
  referralId: string,
): Promise<{ referral?: ReferralRecord; consentWithdrawn: boolean }> {
  const referral = await deps.store.get(referralId);
  if (!referral) return { consentWithdrawn: false };
  return { referral, consentWithdrawn: await deps.store.consentWithdrawn(referral.consentId) };
}

/**
 * Delivers one outbox item: reads the referral, sends its envelope, and records the
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
  const { referral, consentWithdrawn } = await readReferralAndConsent(deps, item.referralId);
  const done = () => deps.store.removeOutbox(item.referralId, item.event);

  if (!referral) return done();

  if (item.event === 'revoke') {
    await deps.courier.send(queueUrl, envelope('referral.revocation', referral, now, false), dedupe);
    return done();
  }

  const undelivered = NOT_RECEIVED.includes(referral.status);
  if (!undelivered || consentWithdrawn) {
    // Received, revoked or expired meanwhile, or the consent is being withdrawn (the
    // withdrawal revokes it): nothing to announce.
    return done();
  }
  if (item.event === 'notify' && referral.status === 'queued') return done();

  const type = item.event === 'notify' ? 'referral.notification' : 'referral.re-announcement';
  await deps.courier.send(queueUrl, envelope(type, referral, now, true), dedupe);

  if (item.event !== 'notify') return done();
  try {
    await deps.store.transition({
      from: referral,
      to: 'queued',
      history: { status: 'queued', at: now.toISOString(), by: RELAY },
      due: nextDeadline(
        { ...referral, status: 'queued', hasCiphertext: referral.ciphertext !== undefined },
        deps.deadlines ?? defaultDeadlines,
      ),
      releaseOpenGuard: false,
      draft: referralAuditDraft('referral.queued', RELAY, referral, deps.clock),
      extra: [deps.store.outboxDone(item.referralId, item.event)],
    });
  } catch (error) {
    // Moved on meanwhile (e.g. received before it was marked queued): the delivery is
    // still done; only the outbox item is left to remove.
    if (error instanceof StaleReferral) return done();
    throw error;
  }
}

/**
 * A withdrawn consent revokes every referral under it that is not yet received: status
 * revoked, the ciphertext deleted, the open-referral guard released, an audit entry, and
 * a revocation message to the office's queue (through the outbox) so that its client
 * drops the notification unread.
 */
export async function revokeReferralsOfConsent(
  deps: DeliveryDependencies,
  consent: { readonly id: string; readonly subjectId: string; readonly withdrawnBy?: string },
): Promise<number> {
  let revoked = 0;
  for (const candidate of await deps.store.bySubject(consent.subjectId)) {
    if (candidate.consentId !== consent.id || !NOT_RECEIVED.includes(candidate.status)) continue;
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = attempt === 0 ? candidate : await deps.store.get(candidate.referralId);
      if (!current || !NOT_RECEIVED.includes(current.status)) break;
      try {
        await revokeOne(deps, current, consent.withdrawnBy ?? RELAY);
        revoked++;
        break;
      } catch (error) {
        if (!(error instanceof StaleReferral)) throw error;
      }
    }
  }
  return revoked;
}

export async function revokeOne(
  deps: Pick<DeliveryDependencies, 'store' | 'clock' | 'queueNameFor'>,
  r: ReferralRecord,
  actor: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.transition({
    from: r,
    to: 'revoked',
    history: { status: 'revoked', at: now.toISOString(), by: actor, reason: 'consent-withdrawn' },
    due: undefined,
    remove: ['ciphertext'],
    releaseOpenGuard: true,
    outbox: { event: 'revoke', queueName: deps.queueNameFor(r.serviceOfficeId) },
    draft: referralAuditDraft('referral.revoked', actor, r, deps.clock, 'consent-withdrawn'),
  });
}

export { referralFromItem };
