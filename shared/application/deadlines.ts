import type { Clock } from '#shared/domain/clock.ts';
import { deadlineChange, passedDeadline } from '#shared/domain/referral/change.ts';
import { type DeadlinePolicy, defaultDeadlines, dueBucket } from '#shared/domain/referral/deadlines.ts';
import type { ReferralRepository } from './referral-repository.ts';
import { retryOnConflict } from './retry.ts';

export interface DeadlineDependencies {
  readonly referrals: ReferralRepository;
  readonly clock: Clock;
  readonly deadlines?: DeadlinePolicy;
  /** How many days back the job looks for overdue referrals (a job that was down catches up). */
  readonly lookBackDays?: number;
}

export interface DeadlineRun {
  readonly reAnnounced: number;
  readonly expired: number;
  readonly ciphertextsDeleted: number;
  readonly erasureReminders: number;
}

const ACTOR = 'system:deadlines';
const DAY_MS = 86_400_000;
const COUNTER = {
  're-announce': 'reAnnounced',
  expire: 'expired',
  'delete-ciphertext': 'ciphertextsDeleted',
  'erasure-reminder': 'erasureReminders',
} as const;

/**
 * The scheduled deadline job: every referral whose next deadline has passed is
 * re-announced, expired or has its ciphertext deleted, each in one transaction with its
 * audit entry and its next deadline. The deadline index is read by day bucket; the
 * referral itself is re-read and its deadline recomputed, so a stale index entry or a
 * second run does nothing twice. Several deadlines may have passed while the job was
 * down: each is handled in turn.
 */
export async function runDeadlines(deps: DeadlineDependencies): Promise<DeadlineRun> {
  const now = deps.clock.now();
  const policy = deps.deadlines ?? defaultDeadlines;
  const counts = { reAnnounced: 0, expired: 0, ciphertextsDeleted: 0, erasureReminders: 0 };
  const lookBack = deps.lookBackDays ?? 30;
  for (let d = lookBack; d >= 0; d--) {
    const day = dueBucket(new Date(now.getTime() - d * DAY_MS));
    for (const id of await deps.referrals.dueOn(day, now)) {
      for (;;) {
        const handled = await retryOnConflict(async () => {
          const r = await deps.referrals.get(id);
          const due = r && passedDeadline(r, now, policy);
          if (!r || !due) return undefined;
          await deps.referrals.apply(deadlineChange(r, due, ACTOR, deps.clock.now(), policy));
          return due.kind;
        });
        if (!handled) break;
        counts[COUNTER[handled]]++;
      }
    }
  }
  return counts;
}
