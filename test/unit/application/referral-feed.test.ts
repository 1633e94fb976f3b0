import { beforeEach, describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { decodeFeedCursor, encodeFeedCursor, listReferrals } from '#shared/application/referral-feed.ts';
import { Forbidden, InvalidRequest } from '#shared/domain/errors.ts';
import { createReferral, transition } from '#shared/domain/referral/change.ts';
import { newReferralId } from '#shared/domain/referral/referral.ts';
import { ReferralFeedQuery } from '#shared/schemas/referral.ts';
import { InMemoryReferrals } from './referral-fakes.ts';

/** The feed over the repository port, without I/O: who sees what, order, filters, cursors. */

const directory = loadDirectory('config/directory.example.json');
const AUTHORITY = { kind: 'authority', id: 'abh-lk-karlsruhe' } as const;
const OFFICE = 'mbe-caritas-bruchsal';
const t0 = Date.parse('2026-03-02T12:00:00.000Z');
let repo: InMemoryReferrals;

function add(minutes: number, authorityId: string = AUTHORITY.id, serviceOfficeId: string = OFFICE) {
  const at = new Date(t0 + minutes * 60_000);
  const { referral } = createReferral(
    {
      referralId: newReferralId(at),
      subjectId: `sub_${'a'.repeat(64)}`,
      consentId: 'con_01abc',
      authorityId,
      serviceOfficeId,
      serviceType: 'MBE',
      providerId: 'caritas-karlsruhe',
      purpose: 'migration-counselling',
      dataCategories: ['identity', 'address'],
      caseReference: 'AZ 1',
      ciphertext: 'jwe',
    },
    `authority:${authorityId}`,
    at,
  );
  repo.referrals.set(referral.referralId, referral);
  return referral;
}
const query = (q: Record<string, string> = {}) => ReferralFeedQuery.parse(q);
const ids = (page: { items: { referralId: string }[] }) => page.items.map((i) => i.referralId);

beforeEach(() => {
  repo = new InMemoryReferrals();
});

describe('listReferrals', () => {
  it("gives an authority its own referrals and an office its own, newest change first, with the office's contact", async () => {
    const a = add(1);
    const b = add(2);
    add(3, 'abh-bruchsal');
    const c = add(4, AUTHORITY.id, 'mbe-diakonie-bruchsal');
    repo.referrals.set(a.referralId, transition(a, 'received', 'service:x', new Date(t0 + 10 * 60_000)).to);
    const page = await listReferrals({ referrals: repo, directory }, AUTHORITY, query());
    expect(ids(page)).toEqual([a.referralId, c.referralId, b.referralId]);
    expect(page.items[0]).toMatchObject({
      status: 'received',
      updatedAt: new Date(t0 + 10 * 60_000).toISOString(),
      serviceOffice: { id: OFFICE, contact: directory.serviceOffices.find((o) => o.id === OFFICE)!.contact },
    });
    expect(page.items[1]!.due).toMatchObject({ kind: 're-announce' });
    const office = await listReferrals(
      { referrals: repo, directory },
      { kind: 'service', id: OFFICE },
      query(),
    );
    expect(ids(office)).toHaveLength(3);
    expect(ids(office)).not.toContain(c.referralId);
    for (const item of office.items) expect(item.serviceOffice.id).toBe(OFFICE);
    await expect(
      listReferrals({ referrals: repo, directory }, { kind: 'dpo', scope: 'lk-karlsruhe' }, query()),
    ).rejects.toBeInstanceOf(Forbidden);
  });

  it('filters by statuses and changedSince (inclusive, any offset), and pages with a cursor', async () => {
    const rs = [1, 2, 3, 4, 5].map((m) => add(m));
    repo.referrals.set(
      rs[0]!.referralId,
      transition(rs[0]!, 'queued', 'system:x', new Date(t0 + 9 * 60_000)).to,
    );
    const queued = await listReferrals(
      { referrals: repo, directory },
      AUTHORITY,
      query({ status: 'queued' }),
    );
    expect(ids(queued)).toEqual([rs[0]!.referralId]);
    const both = await listReferrals(
      { referrals: repo, directory },
      AUTHORITY,
      query({ status: 'queued,accepted' }),
    );
    expect(both.items).toHaveLength(5);
    const since = new Date(t0 + 4 * 60_000 + 3_600_000).toISOString().replace('Z', '+01:00');
    const recent = await listReferrals(
      { referrals: repo, directory },
      AUTHORITY,
      query({ changedSince: since }),
    );
    expect(ids(recent)).toEqual([rs[0]!.referralId, rs[4]!.referralId, rs[3]!.referralId]);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listReferrals(
        { referrals: repo, directory },
        AUTHORITY,
        query({ limit: '2', ...(cursor ? { cursor } : {}) }),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids(both));
  });
});

describe('feed cursors', () => {
  const party = { kind: 'authority', id: AUTHORITY.id } as const;
  const id = `ref_${'0'.repeat(26)}`;
  const key = {
    pk: `REFERRAL#${id}`,
    sk: 'REFERRAL',
    authorityId: AUTHORITY.id,
    changedKey: `2026-03-02T12:00:00.000Z#${id}`,
  };

  it('round-trip for their own party only', () => {
    const cursor = encodeFeedCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeFeedCursor(cursor, party)).toEqual(key);
    for (const other of [
      { kind: 'authority', id: 'abh-bruchsal' },
      { kind: 'service', id: AUTHORITY.id },
    ] as const) {
      expect(() => decodeFeedCursor(cursor, other)).toThrow(InvalidRequest);
    }
  });

  it.each([
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['an array', encodeFeedCursor([] as unknown as Record<string, unknown>)],
    ['another item', encodeFeedCursor({ ...key, pk: 'CONSENT#con_1' })],
    ['a foreign sort key', encodeFeedCursor({ ...key, changedKey: '2026#ref_other' })],
    ['an extra member', encodeFeedCursor({ ...key, gsi1pk: 'x' })],
    ['a missing member', encodeFeedCursor({ pk: key.pk, sk: key.sk, authorityId: key.authorityId })],
  ])('refuse %s, naming query.cursor', (_what, cursor) => {
    try {
      decodeFeedCursor(cursor, party);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequest);
      expect((error as InvalidRequest).issues).toEqual([
        { field: 'query.cursor', reason: expect.any(String) },
      ]);
    }
  });
});
