import type { Directory } from '#shared/domain/directory/index.ts';
import { Forbidden, InvalidRequest } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/identity/principal.ts';
import type { ReferralFeedPage, ReferralFeedQuery } from '#shared/schemas/referral.ts';
import type { FeedParty, ReferralRepository } from './referral-repository.ts';
import { feedView } from './referrals.ts';

export const DEFAULT_FEED_PAGE = 50;

const CURSOR_FIELD = 'query.cursor';
const badCursor = () => new InvalidRequest([{ field: CURSOR_FIELD, reason: 'is not a cursor of this feed' }]);

/** Index key attributes of a feed page's last item, by party kind. */
const KEY_ATTRIBUTES = {
  authority: ['pk', 'sk', 'authorityId', 'changedKey'],
  service: ['pk', 'sk', 'serviceOfficeId', 'changedKey'],
} as const;

/** A page's last key as the client carries it: opaque base64url JSON. */
export function encodeFeedCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * A cursor, checked to be one of this party's feed: exactly the index's key attributes,
 * naming this authority or office and a referral item. Another party's cursor, or a
 * made-up one, is a 400 naming `query.cursor` — never a way into someone else's feed.
 */
export function decodeFeedCursor(cursor: string, party: FeedParty): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw badCursor();
  const k = key as Record<string, unknown>;
  const expected = KEY_ATTRIBUTES[party.kind];
  const names = Object.keys(k);
  if (names.length !== expected.length || !expected.every((n) => typeof k[n] === 'string')) throw badCursor();
  const partyKey = party.kind === 'authority' ? k.authorityId : k.serviceOfficeId;
  const pk = String(k.pk);
  if (partyKey !== party.id || k.sk !== 'REFERRAL' || !/^REFERRAL#ref_[0-9a-z]{26}$/.test(pk))
    throw badCursor();
  if (!String(k.changedKey).endsWith(`#${pk.slice('REFERRAL#'.length)}`) || String(k.changedKey).length > 80)
    throw badCursor();
  return k;
}

/** Whose feed a principal reads: an authority its own referrals, an office those addressed to it. */
export function feedPartyOf(principal: Principal): FeedParty {
  if (principal.kind === 'authority') return { kind: 'authority', id: principal.id };
  if (principal.kind === 'service') return { kind: 'service', id: principal.id };
  // The operation admits only these two kinds (api-handler checks it first).
  throw new Forbidden(`This operation is not available to ${principal.kind} principals.`);
}

/**
 * The feed (GET /v1/referrals): the caller's referrals, newest change first, filtered by
 * status and by `changedSince` (inclusive), paged by an opaque cursor. One index query per
 * page (a few more when a status filter leaves gaps); metadata only, no personal data.
 */
export async function listReferrals(
  deps: { readonly referrals: ReferralRepository; readonly directory: Directory },
  principal: Principal,
  query: ReferralFeedQuery,
): Promise<ReferralFeedPage> {
  const party = feedPartyOf(principal);
  const startKey = query.cursor !== undefined ? decodeFeedCursor(query.cursor, party) : undefined;
  const page = await deps.referrals.feed({
    party,
    ...(query.status ? { statuses: query.status } : {}),
    // Stored times are toISOString's form; the key condition compares strings.
    ...(query.changedSince !== undefined ? { changedSince: new Date(query.changedSince).toISOString() } : {}),
    limit: query.limit ?? DEFAULT_FEED_PAGE,
    ...(startKey ? { startKey } : {}),
  });
  return {
    items: page.items.map((item) => feedView(deps.directory, item)),
    ...(page.lastKey ? { nextCursor: encodeFeedCursor(page.lastKey) } : {}),
  };
}
