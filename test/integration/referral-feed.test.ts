import { describe, expect, it } from 'vitest';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import { withdrawConsent } from '#shared/api/consents.ts';
import { getReferral, listReferrals } from '#shared/api/referrals.ts';
import { runDeadlines } from '#shared/application/deadlines.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { authorityQueue, officeQueue } from '#shared/resources.ts';
import { AuthorityEventMessage } from '#shared/schemas/referral.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, CANARY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';

/**
 * The authority's closed loop against real DynamoDB Local and fauxqs: the feed (its
 * indexes, paging, filters, who sees what), the office contact in the answers, and the
 * events on the authority's own queue.
 */
const p = useReferralPlatform();
const DAY = 86_400_000;

/** An authority of its own for the feed's order and paging: no other test refers for it. */
const FEED_AUTHORITY = 'authority:abh-bruchsal';
const OTHER_AUTHORITY = 'authority:abh-ettlingen';

const feed = (principal: string, query: Record<string, string> = {}) =>
  invoke(p.handler('referrals'), apiEvent(listReferrals, { principal, stage: p.emu.stage, query }));
const view = (id: string, principal = AUTHORITY) =>
  invoke(p.handler('referrals'), apiEvent(getReferral, { principal, stage: p.emu.stage, params: { id } }));

async function referFor(principal: string, dateOfBirth: string) {
  const person = p.newPerson(dateOfBirth);
  const consentId = await p.consentFor(person, {}, principal);
  const res = await p.submit(p.referralBody(consentId, person), undefined, principal);
  expect(res.status).toBe(202);
  return {
    referralId: res.body.referralId as string,
    officeId: res.body.serviceOffice.id as string,
    consentId,
    body: res.body,
  };
}

/** Events drained from an authority's queue but not yet claimed by a test, by referral. */
const pending: Record<string, unknown>[] = [];

/** Every event for one referral that arrives on the authority's queue within the wait. */
async function eventsOf(authorityId: string, referralId: string, expected: number) {
  const claim = () => {
    const mine = pending.filter((e) => e.referralId === referralId);
    pending.splice(0, pending.length, ...pending.filter((e) => e.referralId !== referralId));
    return mine;
  };
  const got: Record<string, unknown>[] = [];
  await until(async () => {
    pending.push(...(await p.drainEvents(authorityId)));
    got.push(...claim());
    return got.length >= expected ? true : undefined;
  }, `${expected} event(s) for ${referralId}`);
  // Nothing more arrives: exactly this many.
  await new Promise((r) => setTimeout(r, 600));
  pending.push(...(await p.drainEvents(authorityId)));
  got.push(...claim());
  return got;
}

const authorityIdOf = (principal: string) => principal.slice('authority:'.length);

describe('the office contact', () => {
  it('is in the 202 answer and in GET, as the directory holds it', async () => {
    const { referralId, officeId, body } = await referFor(AUTHORITY, '1979-04-04');
    const office = p.directory.serviceOffices.find((o) => o.id === officeId)!;
    expect(office.contact.openingHours).toBeDefined();
    expect(body.serviceOffice.contact).toEqual(office.contact);
    const got = await view(referralId);
    expect(got.status).toBe(200);
    expect(got.body.serviceOffice).toMatchObject({
      id: officeId,
      name: office.name,
      contact: office.contact,
    });
    expect(got.body.updatedAt).toEqual(expect.any(String));
    expect(got.body.due).toMatchObject({ kind: 're-announce', at: expect.any(String) });
  });
});

describe('the feed', () => {
  it('lists the authority its own referrals, newest change first, paged by an opaque cursor', async () => {
    const a = await referFor(FEED_AUTHORITY, '1971-01-01');
    const b = await referFor(FEED_AUTHORITY, '1972-02-02');
    const c = await referFor(FEED_AUTHORITY, '1973-03-03');
    // Wait until the relay queued all three, then change the first: it becomes the newest.
    for (const { referralId } of [a, b, c])
      await until(async () =>
        (await view(referralId, FEED_AUTHORITY)).body.status === 'queued' ? true : undefined,
      );
    expect((await p.receipt(a.referralId, a.officeId)).status).toBe(200);

    const ids = await until(async () => {
      const page = await feed(FEED_AUTHORITY);
      expect(page.status).toBe(200);
      const items = page.body.items as { referralId: string; status: string }[];
      return items.length === 3 && items[0]!.referralId === a.referralId && items[0]!.status === 'received'
        ? items.map((i) => i.referralId)
        : undefined;
    }, 'the feed index to show the receipt');
    expect(new Set(ids)).toEqual(new Set([a.referralId, b.referralId, c.referralId]));

    const first = await feed(FEED_AUTHORITY, { limit: '2' });
    expect(first.body.items.map((i: { referralId: string }) => i.referralId)).toEqual(ids.slice(0, 2));
    expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await feed(FEED_AUTHORITY, { limit: '2', cursor: first.body.nextCursor });
    expect(second.status).toBe(200);
    expect(second.body.items.map((i: { referralId: string }) => i.referralId)).toEqual(ids.slice(2));
    expect(second.body.nextCursor).toBeUndefined();

    const item = first.body.items[0];
    expect(item).toMatchObject({
      referralId: a.referralId,
      status: 'received',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      due: { kind: 'delete-ciphertext', at: expect.any(String) },
      serviceOffice: { id: a.officeId, contact: { email: expect.any(String) } },
    });
    expect(item.history.map((h: { status: string }) => h.status)).toEqual(['accepted', 'queued', 'received']);
    expect(Date.parse(item.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.body.items[1].updatedAt));
    // Metadata only: the canary person data never reaches the feed.
    const text = JSON.stringify([first.body, second.body]);
    for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
    expect(text).not.toContain('sub_');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ|\.[A-Za-z0-9_-]{40,}\./);

    // Filters: one status, several, and changed since the receipt.
    const received = await feed(FEED_AUTHORITY, { status: 'received' });
    expect(received.body.items.map((i: { referralId: string }) => i.referralId)).toEqual([a.referralId]);
    const several = await feed(FEED_AUTHORITY, { status: 'queued,received' });
    expect(several.body.items).toHaveLength(3);
    const none = await feed(FEED_AUTHORITY, { status: 'closed,declined' });
    expect(none.body).toEqual({ items: [] });
    const since = await feed(FEED_AUTHORITY, { changedSince: item.updatedAt });
    expect(since.body.items.map((i: { referralId: string }) => i.referralId)).toEqual([a.referralId]);
    // The same instant with another offset is the same instant.
    const berlin = new Date(Date.parse(item.updatedAt) + 3_600_000).toISOString().replace('Z', '+01:00');
    const sinceBerlin = await feed(FEED_AUTHORITY, { changedSince: berlin });
    expect(sinceBerlin.body.items.map((i: { referralId: string }) => i.referralId)).toEqual([a.referralId]);
    // A status filter with a page size: short pages still lead on to every match.
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await feed(FEED_AUTHORITY, {
        status: 'queued',
        limit: '1',
        ...(cursor ? { cursor } : {}),
      });
      paged.push(...page.body.items.map((i: { referralId: string }) => i.referralId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged.sort()).toEqual([b.referralId, c.referralId].sort());
  });

  it("shows an office only its own referrals, and another authority none of this one's", async () => {
    const { referralId, officeId } = await referFor(FEED_AUTHORITY, '1974-04-04');
    const other = p.directory.serviceOffices.find((o) => o.id !== officeId)!.id;
    const own = await until(async () => {
      const page = await feed(`service:${officeId}`, { limit: '100' });
      const ids = page.body.items.map((i: { referralId: string }) => i.referralId);
      return ids.includes(referralId) ? page : undefined;
    });
    for (const item of own.body.items) expect(item.serviceOffice.id).toBe(officeId);
    const foreign = await feed(`service:${other}`, { limit: '100' });
    expect(foreign.status).toBe(200);
    expect(foreign.body.items.map((i: { referralId: string }) => i.referralId)).not.toContain(referralId);
    const otherAuthority = await feed(OTHER_AUTHORITY);
    expect(otherAuthority.body).toEqual({ items: [] });
    // GET of another's referral: 404, as before.
    expect((await view(referralId, OTHER_AUTHORITY)).status).toBe(404);
  });

  it("refuses another party's cursor and every bad parameter with a 400 naming the field", async () => {
    await referFor(FEED_AUTHORITY, '1975-05-05');
    await referFor(FEED_AUTHORITY, '1976-06-06');
    const mine = await until(async () => {
      const page = await feed(FEED_AUTHORITY, { limit: '1' });
      return page.body.nextCursor ? page : undefined;
    });
    const stolen = await feed(OTHER_AUTHORITY, { cursor: mine.body.nextCursor });
    expect(stolen.status).toBe(400);
    expect(stolen.body.errors).toEqual([{ field: 'query.cursor', reason: expect.any(String) }]);

    const cases: [Record<string, string>, string][] = [
      [{ status: 'opened' }, 'query.status'],
      [{ status: 'queued,' }, 'query.status'],
      [{ limit: '0' }, 'query.limit'],
      [{ limit: '101' }, 'query.limit'],
      [{ limit: 'ten' }, 'query.limit'],
      [{ changedSince: '2026-01-01' }, 'query.changedSince'],
      [{ cursor: 'not a cursor!' }, 'query.cursor'],
      [{ cursor: Buffer.from('{"pk":"x"}').toString('base64url') }, 'query.cursor'],
      [{ foo: 'bar' }, 'query.foo'],
    ];
    for (const [query, field] of cases) {
      const res = await feed(FEED_AUTHORITY, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(
        res.body.errors.map((e: { field: string }) => e.field),
        JSON.stringify(query),
      ).toEqual([field]);
    }
    const dpo = await feed('dpo:lk-karlsruhe');
    expect(dpo.status).toBe(403);
  });
});

describe('events on the authority queue', () => {
  it('delivers every status change exactly once, in order, with ids, codes and times only', async () => {
    const { referralId, officeId } = await referFor(AUTHORITY, '1966-06-06');
    const authorityId = authorityIdOf(AUTHORITY);
    const queued = await eventsOf(authorityId, referralId, 1);
    expect(queued.map((e) => e.type)).toEqual(['referral.queued']);
    expect((await p.receipt(referralId, officeId)).status).toBe(200);
    expect((await p.report(referralId, officeId, { status: 'contacted' })).status).toBe(200);
    expect((await p.report(referralId, officeId, { status: 'closed', reason: 'person-moved' })).status).toBe(
      200,
    );
    const later = await eventsOf(authorityId, referralId, 3);
    const all = [...queued, ...later];
    expect(all.map((e) => e.type)).toEqual([
      'referral.queued',
      'referral.received',
      'referral.contacted',
      'referral.closed',
    ]);
    for (const e of all) {
      expect(AuthorityEventMessage.safeParse(e).success, JSON.stringify(e)).toBe(true);
      expect(e).toMatchObject({ referralId, authorityId, serviceOfficeId: officeId });
    }
    expect(new Set(all.map((e) => e.eventId)).size).toBe(4);
    expect(all.at(-1)).toMatchObject({ status: 'closed', reason: 'person-moved' });
    // The times are the history's.
    const history = (await view(referralId)).body.history as { status: string; at: string }[];
    expect(all.map((e) => e.at)).toEqual(history.slice(1).map((h) => h.at));
    const text = JSON.stringify(all);
    for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
    expect(text).not.toContain('sub_');
    expect(text).not.toContain('ABH-');
    // Nothing for the other authorities.
    for (const a of p.directory.authorities.filter((x) => x.id !== authorityId)) {
      expect((await p.drainEvents(a.id)).filter((e) => e.referralId === referralId)).toEqual([]);
    }
  });

  it('reports a decline with forwarding on the old referral and the new one as forwarded', async () => {
    const person = p.newPerson('1965-05-05');
    const consentId = await p.consentFor(person);
    const body = p.referralBody(consentId, person);
    const res = await p.submit(body);
    const oldId = res.body.referralId as string;
    const officeId = res.body.serviceOffice.id as string;
    const authorityId = authorityIdOf(AUTHORITY);
    await eventsOf(authorityId, oldId, 1);
    expect((await p.receipt(oldId, officeId)).status).toBe(200);
    const target = p.directory.serviceOffices.find(
      (o) =>
        o.type === 'MBE' && o.id !== officeId && o.municipalities.includes(body.person.address.municipality),
    )!.id;
    const forwarded = await p.report(oldId, officeId, {
      status: 'declined',
      reason: 'not-responsible',
      forwardTo: target,
      person: body.person,
      note: body.note,
    });
    expect(forwarded.status).toBe(200);
    const newId = forwarded.body.forwardedTo.referralId as string;
    const old = await eventsOf(authorityId, oldId, 2);
    expect(old.map((e) => e.type)).toEqual(['referral.received', 'referral.declined']);
    expect(old[1]).toMatchObject({ reason: 'not-responsible', forwardedTo: newId });
    const fresh = await eventsOf(authorityId, newId, 2);
    expect(fresh.map((e) => e.type)).toEqual(['referral.forwarded', 'referral.queued']);
    expect(fresh[0]).toMatchObject({ status: 'accepted', serviceOfficeId: target, forwardedFrom: oldId });
    expect(JSON.stringify([...old, ...fresh])).not.toContain(CANARY.familyName);
  });

  it('reports a revocation after the consent is withdrawn', async () => {
    const { referralId, consentId } = await referFor(AUTHORITY, '1967-07-07');
    const authorityId = authorityIdOf(AUTHORITY);
    await eventsOf(authorityId, referralId, 1);
    const withdrawn = await invoke(
      p.handler('consents'),
      apiEvent(withdrawConsent, {
        principal: AUTHORITY,
        stage: p.emu.stage,
        params: { id: consentId },
        body: {},
      }),
    );
    expect(withdrawn.status).toBe(200);
    const events = await eventsOf(authorityId, referralId, 1);
    expect(events).toEqual([
      expect.objectContaining({ type: 'referral.revoked', status: 'revoked', reason: 'consent-withdrawn' }),
    ]);
  });

  it('reminds of an unread referral at each re-announcement and reports its expiry', async () => {
    const { referralId } = await referFor(AUTHORITY, '1968-08-08');
    const authorityId = authorityIdOf(AUTHORITY);
    await eventsOf(authorityId, referralId, 1);
    const created = new Date((await view(referralId)).body.createdAt);
    const referrals = new DynamoReferralRepository(
      { recordsTable: p.records(), auditTable: p.audit() },
      (officeId) => officeQueue(p.emu.stage, p.directory.serviceOffices.find((o) => o.id === officeId)!).name,
      (id) => authorityQueue(p.emu.stage, { id }).name,
    );
    const clock = new FixedClock(created);
    for (const days of [3, 9, 14]) {
      clock.set(new Date(created.getTime() + days * DAY + 60_000));
      await runDeadlines({ referrals, clock });
    }
    const events = await eventsOf(authorityId, referralId, 3);
    expect(events.map((e) => [e.type, e.reminder])).toEqual([
      ['referral.unread-reminder', 1],
      ['referral.unread-reminder', 2],
      ['referral.expired', undefined],
    ]);
    expect(events.at(-1)).toMatchObject({ status: 'expired', reason: 'not-received-in-time' });
  });
});
