import { describe, expect, it } from 'vitest';
import {
  ConsentService,
  type ConsentStore,
  type CreatedResponse,
  type CreatingRequest,
  newConsentId,
} from '#shared/application/consents.ts';
import { type AuditEntryDraft, RecordIdSchema } from '#shared/domain/audit/entry.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { DependencyUnavailable, Forbidden, NotFound, UnprocessableContent } from '#shared/domain/errors.ts';
import { replay } from '#shared/domain/idempotency.ts';
import { subjectIdFor } from '#shared/domain/pseudonym.ts';
import type { Principal } from '#shared/identity/principal.ts';
import {
  ConsentId,
  ConsentView,
  parseRecordConsentRequest,
  type RecordConsentRequestInput,
} from '#shared/schemas/consent.ts';
import { requestBody, SECRET } from '#test/unit/consent/fixtures.ts';

/** The ConsentStore contract, in memory, with the same all-or-nothing writes. */
class InMemoryConsentStore implements ConsentStore {
  readonly records = new Map<string, ConsentRecord>();
  readonly drafts: AuditEntryDraft[] = [];
  readonly idempotency = new Map<
    string,
    { requestHash: string; status: number; body: unknown; createdAt: string }
  >();
  readonly referrals = new Set<string>();
  /** Runs before a withdrawal commits: lets a test change the record underneath. */
  beforeWithdraw: (() => void) | undefined;

  async get(id: string) {
    const r = this.records.get(id);
    return r ? structuredClone(r) : undefined;
  }

  async create(
    record: ConsentRecord,
    draft: AuditEntryDraft,
    request: CreatingRequest,
  ): Promise<CreatedResponse> {
    const key = `${request.principal}#${request.idempotencyKey}`;
    const previous = this.idempotency.get(key);
    if (previous) return { ...(replay(previous, request.requestHash) as CreatedResponse), replayed: true };
    if (this.records.has(record.id)) throw new Error('duplicate consent id');
    this.records.set(record.id, structuredClone(record));
    this.drafts.push(draft);
    this.idempotency.set(key, {
      ...request.response,
      requestHash: request.requestHash,
      createdAt: request.now.toISOString(),
    });
    return { ...request.response, replayed: false };
  }

  async withdraw(previous: ConsentRecord, next: ConsentRecord, draft: AuditEntryDraft) {
    this.beforeWithdraw?.();
    const stored = this.records.get(previous.id);
    if (!stored || stored.version !== previous.version || stored.withdrawnAt !== undefined)
      return 'conflict' as const;
    this.records.set(next.id, structuredClone(next));
    this.drafts.push(draft);
    return 'committed' as const;
  }

  async serviceHoldsReferralUnder(consent: ConsentRecord, officeId: string) {
    return this.referrals.has(`${consent.id}|${officeId}`);
  }
}

const NOW = '2026-03-02T12:00:00.000Z';
const RECORDER: Principal = { kind: 'authority', id: 'abh-lk-karlsruhe' };
const OTHER_AUTHORITY: Principal = { kind: 'authority', id: 'abh-bruchsal' };
const SERVICE: Principal = { kind: 'service', id: 'mbe-caritas-bruchsal' };
const DPO: Principal = { kind: 'dpo', scope: 'lk-karlsruhe' };
const OPERATOR: Principal = { kind: 'operator' };

function setup() {
  const store = new InMemoryConsentStore();
  const clock = new FixedClock(NOW);
  let n = 0;
  const service = new ConsentService({
    store,
    clock,
    secret: async () => SECRET,
    newId: () => `con_test${String(++n).padStart(4, '0')}`,
  });
  const record = async (
    body: Partial<RecordConsentRequestInput> = {},
    key = 'key-00000001',
    principal = RECORDER,
  ) => service.record({ principal, idempotencyKey: key, body: parseRecordConsentRequest(requestBody(body)) });
  return { store, clock, service, record };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('recording a consent', () => {
  it('answers 201 with the view, stores the record without identity data and writes one audit draft', async () => {
    const { store, record } = setup();
    const res = await record();
    expect(res.status).toBe(201);
    const view = ConsentView.parse(res.body);
    expect(view).toMatchObject({
      id: 'con_test0001',
      subjectId: subjectIdFor(requestBody().subject, SECRET),
      recordedBy: 'authority:abh-lk-karlsruhe',
      recordedAt: NOW,
      givenAt: '2026-03-02T09:15:00.000Z',
      status: 'active',
    });
    expect(store.records.size).toBe(1);
    expect(JSON.stringify([...store.records.values()])).not.toMatch(/Müller|Anna|1990-05-17|SYR/);
    expect(store.drafts).toEqual([
      {
        entryId: expect.any(String),
        time: NOW,
        event: 'consent.recorded',
        actor: 'authority:abh-lk-karlsruhe',
        subjectId: view.subjectId,
        authorityId: 'abh-lk-karlsruhe',
        serviceOfficeId: null,
        dataCategories: ['contact', 'identity', 'needs'],
        legalBasis: { article: 'GDPR Art. 6(1)(a)', consentId: 'con_test0001' },
        purpose: null,
        referralId: null,
        reason: null,
      },
    ]);
  });

  it('names the purpose in the audit draft when the consent has exactly one', async () => {
    const { store, record } = setup();
    await record({ purposes: ['migration-counselling'] });
    expect(store.drafts[0]?.purpose).toBe('migration-counselling');
  });

  it('refuses a principal other than an authority, writing nothing', async () => {
    const { store, record } = setup();
    for (const principal of [SERVICE, DPO, OPERATOR]) {
      expect(await rejection(record({}, 'key-00000001', principal))).toBeInstanceOf(Forbidden);
    }
    expect(store.records.size + store.drafts.length + store.idempotency.size).toBe(0);
  });

  it('refuses a consent that breaks the rules with every field named, writing nothing', async () => {
    const { store, record } = setup();
    const error = await rejection(
      record({
        givenAt: '2026-03-03T12:00:00Z',
        subject: { familyName: 'X', givenNames: '', dateOfBirth: '2015-01-01', nationality: 'SYR' },
      }),
    );
    expect(error).toBeInstanceOf(UnprocessableContent);
    expect((error as UnprocessableContent).issues.map((i) => i.field).sort()).toEqual([
      'givenAt',
      'givenBy.role',
    ]);
    expect(store.records.size + store.drafts.length).toBe(0);
  });

  it('answers a retry with the same key and body with the first response', async () => {
    const { store, record } = setup();
    const first = await record();
    const second = await record();
    expect(second).toEqual(first);
    expect(store.records.size).toBe(1);
    expect(store.drafts).toHaveLength(1);
  });

  it('refuses the same key with another body', async () => {
    const { store, record } = setup();
    await record();
    const error = await rejection(record({ purposes: ['migration-counselling'] }));
    expect(error).toBeInstanceOf(UnprocessableContent);
    expect((error as UnprocessableContent).code).toBe('idempotency-key-reused');
    expect(store.records.size).toBe(1);
  });

  it('keeps keys apart per principal', async () => {
    const { store, record } = setup();
    await record({}, 'key-00000001', RECORDER);
    await record({}, 'key-00000001', OTHER_AUTHORITY);
    expect(store.records.size).toBe(2);
  });
});

describe('reading a consent', () => {
  it('shows any consent to every authority and to data-protection officers', async () => {
    const { service, record } = setup();
    const { body } = await record();
    const id = (body as ConsentView).id;
    for (const principal of [RECORDER, OTHER_AUTHORITY, DPO]) {
      expect(await service.get({ principal, id })).toEqual(body);
    }
  });

  it('shows a consent to a service office only when it holds a referral under it, else 404', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    expect(await rejection(service.get({ principal: SERVICE, id }))).toBeInstanceOf(NotFound);
    store.referrals.add(`${id}|mbe-diakonie-bruchsal`);
    expect(await rejection(service.get({ principal: SERVICE, id }))).toBeInstanceOf(NotFound);
    store.referrals.add(`${id}|${SERVICE.kind === 'service' ? SERVICE.id : ''}`);
    expect((await service.get({ principal: SERVICE, id })).id).toBe(id);
  });

  it('refuses operators with 403, even for an unknown id', async () => {
    const { service, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    expect(await rejection(service.get({ principal: OPERATOR, id }))).toBeInstanceOf(Forbidden);
    expect(await rejection(service.get({ principal: OPERATOR, id: 'con_unknown1' }))).toBeInstanceOf(
      Forbidden,
    );
  });

  it('answers 404 for an unknown id', async () => {
    const { service } = setup();
    expect(await rejection(service.get({ principal: RECORDER, id: 'con_unknown1' }))).toBeInstanceOf(
      NotFound,
    );
  });

  it('evaluates the status when read: expired from validUntil on', async () => {
    const { service, clock, record } = setup();
    const id = ((await record({ validUntil: '2026-04-01T00:00:00Z' })).body as ConsentView).id;
    expect((await service.get({ principal: RECORDER, id })).status).toBe('active');
    clock.set('2026-04-01T00:00:00Z');
    expect((await service.get({ principal: RECORDER, id })).status).toBe('expired');
  });
});

describe('withdrawing a consent', () => {
  it('lets the recording authority withdraw, with one audit draft carrying the reason', async () => {
    const { service, store, clock, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    clock.advance(60_000);
    const view = await service.withdraw({ principal: RECORDER, id, body: { reason: 'subject-request' } });
    expect(view).toMatchObject({
      status: 'withdrawn',
      withdrawnAt: '2026-03-02T12:01:00.000Z',
      withdrawnBy: 'authority:abh-lk-karlsruhe',
      withdrawalReason: 'subject-request',
    });
    expect(store.records.get(id)?.version).toBe(2);
    expect(store.drafts[1]).toMatchObject({
      event: 'consent.withdrawn',
      actor: 'authority:abh-lk-karlsruhe',
      authorityId: 'abh-lk-karlsruhe',
      serviceOfficeId: null,
      dataCategories: ['contact', 'identity', 'needs'],
      legalBasis: { article: 'GDPR Art. 6(1)(a)', consentId: id },
      reason: 'subject-request',
      time: '2026-03-02T12:01:00.000Z',
    });
  });

  it('lets another authority withdraw; the audit names the recording authority', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    const view = await service.withdraw({ principal: OTHER_AUTHORITY, id, body: {} });
    expect(view.withdrawnBy).toBe('authority:abh-bruchsal');
    expect(view.withdrawalReason).toBeUndefined();
    expect(store.drafts[1]).toMatchObject({
      actor: 'authority:abh-bruchsal',
      authorityId: 'abh-lk-karlsruhe',
      reason: null,
    });
  });

  it('lets a service office holding a referral under the consent withdraw it', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    store.referrals.add(`${id}|mbe-caritas-bruchsal`);
    const view = await service.withdraw({ principal: SERVICE, id, body: { reason: 'subject-request' } });
    expect(view.withdrawnBy).toBe('service:mbe-caritas-bruchsal');
    expect(store.drafts[1]).toMatchObject({
      actor: 'service:mbe-caritas-bruchsal',
      serviceOfficeId: 'mbe-caritas-bruchsal',
    });
  });

  it('answers 404 to a service office without a referral under it, and changes nothing', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    expect(await rejection(service.withdraw({ principal: SERVICE, id, body: {} }))).toBeInstanceOf(NotFound);
    expect(store.records.get(id)?.withdrawnAt).toBeUndefined();
    expect(store.drafts).toHaveLength(1);
  });

  it('refuses data-protection officers and operators', async () => {
    const { service, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    for (const principal of [DPO, OPERATOR]) {
      expect(await rejection(service.withdraw({ principal, id, body: {} }))).toBeInstanceOf(Forbidden);
    }
  });

  it('answers 404 for an unknown id', async () => {
    const { service } = setup();
    expect(
      await rejection(service.withdraw({ principal: RECORDER, id: 'con_unknown1', body: {} })),
    ).toBeInstanceOf(NotFound);
  });

  it('is idempotent: a second withdrawal answers the first one and writes no second draft', async () => {
    const { service, store, clock, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    const first = await service.withdraw({ principal: RECORDER, id, body: { reason: 'subject-request' } });
    clock.advance(1000);
    const second = await service.withdraw({ principal: OTHER_AUTHORITY, id, body: { reason: 'other' } });
    expect(second).toEqual(first);
    expect(store.drafts.filter((d) => d.event === 'consent.withdrawn')).toHaveLength(1);
  });

  it('after losing a race to another withdrawal, answers that one without a draft of its own', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    store.beforeWithdraw = () => {
      store.beforeWithdraw = undefined;
      const stored = store.records.get(id)!;
      store.records.set(id, {
        ...stored,
        withdrawnAt: NOW,
        withdrawnBy: 'authority:abh-ettlingen',
        version: 2,
      });
    };
    const view = await service.withdraw({ principal: RECORDER, id, body: {} });
    expect(view.withdrawnBy).toBe('authority:abh-ettlingen');
    expect(store.drafts.filter((d) => d.event === 'consent.withdrawn')).toHaveLength(0);
  });

  it('after another change of the record, re-reads and withdraws', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    store.beforeWithdraw = () => {
      store.beforeWithdraw = undefined;
      const stored = store.records.get(id)!;
      store.records.set(id, { ...stored, version: stored.version + 1 });
    };
    const view = await service.withdraw({ principal: RECORDER, id, body: {} });
    expect(view.status).toBe('withdrawn');
    expect(store.records.get(id)?.version).toBe(3);
    expect(store.drafts.filter((d) => d.event === 'consent.withdrawn')).toHaveLength(1);
  });

  it('gives up with 503 when the record keeps changing', async () => {
    const { service, store, record } = setup();
    const id = ((await record()).body as ConsentView).id;
    store.beforeWithdraw = () => {
      const stored = store.records.get(id)!;
      store.records.set(id, { ...stored, version: stored.version + 1 });
    };
    expect(await rejection(service.withdraw({ principal: RECORDER, id, body: {} }))).toBeInstanceOf(
      DependencyUnavailable,
    );
    expect(store.drafts).toHaveLength(1);
  });

  it('can withdraw an expired consent', async () => {
    const { service, clock, record } = setup();
    const id = ((await record({ validUntil: '2026-04-01T00:00:00Z' })).body as ConsentView).id;
    clock.set('2026-05-01T00:00:00Z');
    expect((await service.withdraw({ principal: RECORDER, id, body: {} })).status).toBe('withdrawn');
  });
});

describe('newConsentId', () => {
  it('is con_ + 26 Crockford base-32 characters, a consent id and an audit record id', () => {
    const id = newConsentId(new Date('2026-03-02T12:00:00Z'));
    expect(id).toMatch(/^con_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(ConsentId.safeParse(id).success).toBe(true);
    expect(RecordIdSchema.safeParse(id).success).toBe(true);
  });

  it('sorts by creation time and does not repeat', () => {
    const earlier = newConsentId(new Date('2026-03-02T12:00:00Z'));
    const later = newConsentId(new Date('2026-03-02T12:00:00.001Z'));
    expect(earlier < later).toBe(true);
    const many = new Set(Array.from({ length: 1000 }, () => newConsentId(new Date(0))));
    expect(many.size).toBe(1000);
  });
});
