import { type ReferralRecord, type ReferralStore, StaleReferral } from '#shared/adapters/referral-store.ts';
import type { AuditEvent } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { referralAuditDraft } from '#shared/domain/referral/audit.ts';
import {
  type Deadline,
  type DeadlinePolicy,
  defaultDeadlines,
  dueBucket,
  nextDeadline,
} from '#shared/domain/referral/deadlines.ts';

export interface DeadlineDependencies {
  readonly store: Pick<ReferralStore, 'get' | 'transition' | 'dueOn'>;
  readonly clock: Clock;
  readonly queueNameFor: (officeId: string) => string;
  readonly deadlines?: DeadlinePolicy;
  /** How many days back the job looks for overdue referrals (a job that was down catches up). */
  readonly lookBackDays?: number;
}

export interface DeadlineRun {
  readonly reAnnounced: number;
  readonly expired: number;
  readonly ciphertextsDeleted: number;
}

const ACTOR = 'system:deadlines';
const DAY_MS = 86_400_000;

/**
 * The scheduled deadline job: every referral whose next deadline has passed is
 * re-announced, expired or has its ciphertext deleted, each in one transaction with its
 * audit entry and its next deadline. The deadline index is read by day bucket; the
 * referral itself is re-read and its deadline recomputed, so a stale index entry or a
 * second run does nothing twice.
 */
export async function runDeadlines(deps: DeadlineDependencies): Promise<DeadlineRun> {
  const now = deps.clock.now();
  const policy = deps.deadlines ?? defaultDeadlines;
  const counts = { reAnnounced: 0, expired: 0, ciphertextsDeleted: 0 };
  const lookBack = deps.lookBackDays ?? 30;
  for (let d = lookBack; d >= 0; d--) {
    const day = dueBucket(new Date(now.getTime() - d * DAY_MS));
    for (const id of await deps.store.dueOn(day, now)) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const r = await deps.store.get(id);
        if (!r) break;
        const due = nextDeadline({ ...r, hasCiphertext: r.ciphertext !== undefined }, policy);
        if (!due || due.at.getTime() > now.getTime()) break;
        try {
          await act(deps, r, due, policy);
          if (due.kind === 're-announce') counts.reAnnounced++;
          else if (due.kind === 'expire') counts.expired++;
          else counts.ciphertextsDeleted++;
          // Several deadlines may have passed while the job was down: handle the next one too.
          attempt = -1;
        } catch (error) {
          if (!(error instanceof StaleReferral)) throw error;
        }
      }
    }
  }
  return counts;
}

function draft(deps: DeadlineDependencies, event: AuditEvent, r: ReferralRecord, reason?: string) {
  return referralAuditDraft(event, ACTOR, r, deps.clock, reason);
}

async function act(
  deps: DeadlineDependencies,
  r: ReferralRecord,
  due: Deadline,
  policy: DeadlinePolicy,
): Promise<void> {
  const at = deps.clock.now().toISOString();
  const queueName = deps.queueNameFor(r.serviceOfficeId);
  switch (due.kind) {
    case 're-announce': {
      const reAnnouncements = r.reAnnouncements + 1;
      await deps.store.transition({
        from: r,
        to: r.status,
        due: nextDeadline({ ...r, reAnnouncements, hasCiphertext: r.ciphertext !== undefined }, policy),
        set: { reAnnouncements },
        releaseOpenGuard: false,
        outbox: { event: `re-announce-${reAnnouncements}`, queueName },
        draft: draft(deps, 'referral.re-announced', r, `re-announcement-${reAnnouncements}`),
      });
      return;
    }
    case 'expire':
      await deps.store.transition({
        from: r,
        to: 'expired',
        history: { status: 'expired', at, by: ACTOR, reason: 'not-received-in-time' },
        due: nextDeadline({ ...r, status: 'expired', hasCiphertext: r.ciphertext !== undefined }, policy),
        releaseOpenGuard: true,
        outbox: { event: 'revoke', queueName },
        draft: draft(deps, 'referral.expired', r, 'not-received-in-time'),
      });
      return;
    case 'delete-ciphertext':
      await deps.store.transition({
        from: r,
        to: r.status,
        due: undefined,
        remove: ['ciphertext'],
        releaseOpenGuard: false,
        draft: draft(deps, 'referral.ciphertext-deleted', r, 'deadline'),
      });
      return;
  }
}
