/**
 * Withdrawal is as easy as giving (GDPR Art. 7(3)): any authority of the deployment can
 * record it, and so can a service that received a referral under the consent, because the
 * person may turn to either. Recording it twice is not an error.
 */
import type { Principal } from '#shared/identity/principal.ts';
import type { ConsentRecord } from './record.ts';
import type { WithdrawalReason } from './values.ts';

export interface WithdrawContext {
  /** The principal recording the withdrawal, as a string (`authority:<id>`, `service:<id>`). */
  readonly by: string;
  readonly now: Date;
  readonly reason?: WithdrawalReason | undefined;
}

export interface WithdrawResult {
  readonly record: ConsentRecord;
  /** False when the consent was already withdrawn; the record is then returned unchanged. */
  readonly changed: boolean;
}

/**
 * Withdraws a consent. The first withdrawal counts: a second one changes nothing and is
 * reported as `changed: false`. An expired consent can still be withdrawn, so that the
 * person's declaration is on record.
 */
export function withdraw(record: ConsentRecord, ctx: WithdrawContext): WithdrawResult {
  if (record.withdrawnAt !== undefined) return { record, changed: false };
  return {
    record: {
      ...record,
      withdrawnAt: ctx.now.toISOString(),
      withdrawnBy: ctx.by,
      ...(ctx.reason !== undefined && { withdrawalReason: ctx.reason }),
      version: record.version + 1,
    },
    changed: true,
  };
}

export interface MayWithdrawContext {
  /** Whether the calling service holds a referral made under this consent. */
  readonly principalHoldsReferralUnderConsent: boolean;
}

/** Whether a principal may record the withdrawal of this consent. */
export function mayWithdraw(principal: Principal, _record: ConsentRecord, ctx: MayWithdrawContext): boolean {
  switch (principal.kind) {
    case 'authority':
      return true;
    case 'service':
      return ctx.principalHoldsReferralUnderConsent;
    default:
      // Data-protection officers oversee and operators run the platform; neither acts for the person.
      return false;
  }
}

/** Whether a principal may record a consent: only authorities collect consent forms. */
export function mayRecordConsent(principal: Principal): boolean {
  return principal.kind === 'authority';
}
