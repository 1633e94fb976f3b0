import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { AUTHORITY, useReferralPlatform } from '#test/support/referral-fixture.ts';
import {
  CountingSink,
  DeliveryHistory,
  handlerReceiptApi,
  MemorySeenStore,
  type OfficeClient,
  percentiles,
  pollUntil,
  recordConsentRetrying,
  recordFigures,
  retrying,
  scanAll,
  sequenceAndVerify,
  sized,
  sqsInbox,
  withConcurrency,
} from '#test/support/reliability.ts';

/**
 * Promise 1 (docs/reliability.md): exactly once to the consumer. K idempotency keys,
 * each a different person with their own consent, submitted R times each (the first two
 * as a parallel duplicate pair), C keys at a time; then every office queue is drained
 * by the office's real inbox loop. Promise 5 is checked on the same history: the audit
 * log, sequenced and exported through the DPO API, verifies and holds exactly the
 * entries the history implies.
 */
const K = sized('REX_EO_KEYS', 60, 1000);
const R = Math.max(2, sized('REX_EO_REPEATS', 3, 10));
const C = sized('REX_EO_CONCURRENCY', 20, 50);
const TIMEOUT = 60_000 + K * 1_500;

// A DynamoDB Local of its own: this file writes a lot (docs/reliability.md, findings).
const p = useReferralPlatform({ ownDynamoDb: true });

describe('exactly once to the consumer', () => {
  it(`K=${K} keys × R=${R} submissions, C=${C} at a time: K referrals, K deliveries, K accepted entries`, {
    timeout: TIMEOUT,
  }, async () => {
    const started = performance.now();
    const people = Array.from({ length: K }, (_, i) =>
      p.newPerson(`19${String(50 + (i % 40)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`),
    );
    const consents = await withConcurrency(people, C, async (person) => {
      const key = `consent-${p.emu.stage}-${person.azrNumber}`;
      return recordConsentRetrying(p.handler('consents'), p.emu.stage, person, key);
    });
    const consentsDone = performance.now();

    const history = new DeliveryHistory();
    const latencies: number[] = [];
    const submit = async (i: number, key: string) => {
      const t0 = performance.now();
      const res = await retrying(() => p.submit(p.referralBody(consents[i]!, people[i]!), key));
      latencies.push(performance.now() - t0);
      history.answer(key, res);
      return res;
    };
    await withConcurrency(people, C, async (_, i) => {
      const key = `eo-${p.emu.stage}-${i}`;
      await Promise.all([submit(i, key), submit(i, key)]);
      for (let r = 2; r < R; r++) await submit(i, key);
    });
    const submitted = performance.now();

    expect(Object.fromEntries(history.otherAnswers)).toEqual({});
    expect(history.splitKeys()).toEqual([]);
    expect(history.accepted.size).toBe(K);
    const acceptedIds = history.acceptedIds();
    expect(acceptedIds.size).toBe(K);

    const clients: OfficeClient[] = p.directory.serviceOffices.map((office) => ({
      officeId: office.id,
      queue: sqsInbox(p.emu.sqsEndpoint, p.queueUrls.get(office.id)!, office.id),
      api: handlerReceiptApi(() => p.handler('service'), p.emu.stage, office.id),
      sink: new CountingSink(),
      seen: new MemorySeenStore(),
      events: [],
      summaries: [],
    }));
    const written = () => clients.reduce((n, c) => n + c.sink.writes.size, 0);
    await pollUntil(clients, p.privateKeys, () => written() >= K, { timeoutMs: 60_000 + K * 200 });
    // The relay has nothing left to send, and one more round finds nothing new. (Mail
    // items, `mail-<version>`, are the office notifier's, which this test does not run.)
    const records = async () => scanAll(p.emu.dynamodb, p.records());
    const relayOutbox = (i: Record<string, unknown>) =>
      String(i.pk).startsWith('OUTBOX#') && !String(i.sk).startsWith('mail-');
    const deadline = Date.now() + 60_000;
    while ((await records()).some(relayOutbox)) {
      if (Date.now() > deadline) throw new Error('the outbox did not empty');
      await new Promise((r) => setTimeout(r, 200));
    }
    await pollUntil(clients, p.privateKeys, () => true, { timeoutMs: 1_000 });
    const drained = performance.now();

    const items = await records();
    const referrals = items.filter((i) => String(i.pk).startsWith('REFERRAL#'));
    expect(referrals).toHaveLength(K);
    expect(new Set(referrals.map((r) => r.referralId))).toEqual(acceptedIds);
    expect(referrals.every((r) => r.status === 'received')).toBe(true);

    const deliveries = new Map<string, number>();
    for (const c of clients)
      for (const [id, n] of c.sink.writes) deliveries.set(id, (deliveries.get(id) ?? 0) + n);
    const verdict = history.check(deliveries, new Map());
    expect(verdict).toMatchObject({ accepted: K, delivered: K, lost: [], unexpected: [], duplicated: [] });
    // Each delivery went to the office the referral was routed to, with its own payload.
    for (const r of referrals) {
      const client = clients.find((c) => c.officeId === r.serviceOfficeId)!;
      expect(client.sink.payloads.get(String(r.referralId))?.referralId).toBe(r.referralId);
    }

    // Idempotency records: one per key of ours, each complete (the design has no in-progress state).
    const idempotency = items.filter((i) => String(i.pk).startsWith('IDEMPOTENCY#'));
    const referralKeys = idempotency.filter((i) => String(i.pk).startsWith(`IDEMPOTENCY#${AUTHORITY}#eo-`));
    expect(referralKeys).toHaveLength(K);
    const incomplete = idempotency.filter((i) => typeof i.status !== 'number' || i.body === undefined);
    expect(incomplete).toEqual([]);
    for (const record of referralKeys) {
      const key = String(record.pk).slice(`IDEMPOTENCY#${AUTHORITY}#`.length);
      expect(record.status).toBe(202);
      expect([...history.accepted.get(key)!]).toEqual([(record.body as { referralId: string }).referralId]);
    }

    const drafts = (await scanAll(p.emu.dynamodb, p.audit())).filter((e) => e.event === 'referral.accepted');
    expect(drafts).toHaveLength(K);

    // Promise 5: the log verifies and holds exactly what the history says.
    const audit = await sequenceAndVerify(p.emu.stage);
    // A receipt may overtake the relay's mark (documented): then the referral has no queued step.
    const queued = referrals.filter((r) =>
      (r.history as { status: string }[]).some((h) => h.status === 'queued'),
    ).length;
    expect(audit.result).toMatchObject({ ok: true, entries: 3 * K + queued });
    expect(audit.byEvent).toEqual({
      'consent.recorded': K,
      'referral.accepted': K,
      'referral.received': K,
      ...(queued > 0 ? { 'referral.queued': queued } : {}),
    });
    const verified = performance.now();

    const duplicateMessages = clients.reduce(
      (n, c) => n + c.summaries.reduce((m, s) => m + s.duplicates, 0),
      0,
    );
    for (const c of clients) (c.queue as { destroy?: () => void }).destroy?.();
    recordFigures('exactly-once', {
      promise: 'Exactly once to the consumer; audit integrity under concurrency',
      sizes: { keys: K, repeats: R, concurrency: C, submissions: K * R },
      outcome: {
        referrals: referrals.length,
        deliveries: verdict.delivered,
        lost: verdict.lost.length,
        unexpected: verdict.unexpected.length,
        duplicatesWritten: verdict.duplicated.length,
        duplicateMessagesDropped: duplicateMessages,
        idempotencyRecordsIncomplete: incomplete.length,
        auditEntries: audit.entries.length,
        auditVerified: audit.result.ok,
      },
      submitLatencyMs: percentiles(latencies),
      durationsMs: {
        consents: Math.round(consentsDone - started),
        submissions: Math.round(submitted - consentsDone),
        delivery: Math.round(drained - submitted),
        auditVerification: Math.round(verified - drained),
      },
    });
  });
});
