import type { Refusal } from '#shared/domain/referral/errors.ts';
import { isProblemCode, PROBLEM_TYPES } from './problem-types.ts';

/**
 * The HTTP answer to each reason a referral or a forwarding is refused for: 409 where
 * the state of the exchange stands in the way (retrying later may succeed), 422 where
 * the request itself cannot be admitted. Decided here and nowhere else; docs/referrals.md
 * lists the same table. The statuses are those of PROBLEM_TYPES.
 */

const DETAILS: Readonly<Record<string, string>> = {
  'consent-not-found': 'There is no consent with this id.',
  'subject-mismatch': 'The consent was given by another person than the one referred.',
  'consent-withdrawn': 'The consent has been withdrawn.',
  'consent-expired': 'The consent has expired.',
  'data-categories-not-covered':
    'The referral carries data the consent does not cover; remove those fields or record a consent that covers them.',
  'open-referral-exists': 'The person already has an open referral; no second one is made.',
  'unknown-office': 'There is no service office with this id in the directory.',
  'forward-to-self': 'A referral cannot be forwarded to the office that declines it.',
  'recipient-not-covering-municipality':
    "The service office does not serve the person's municipality of residence.",
  'already-declined': 'The referral is already declined; it can be forwarded only when it is declined.',
};

export function refusalStatus(reason: string): 409 | 422 {
  return isProblemCode(reason) && PROBLEM_TYPES[reason].status === 409 ? 409 : 422;
}

/** The problem's `detail`: the refusal's own explanation, else the reason's sentence. */
export function refusalDetail(refusal: Refusal): string {
  return refusal.explanation ?? DETAILS[refusal.reason] ?? `The request was refused (${refusal.reason}).`;
}
