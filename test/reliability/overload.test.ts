import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiThrottle } from '#infra/limits.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { recordFigures, withConcurrency } from '#test/support/reliability.ts';
import { CANARY, consentRequest, randomAzrNumber, referralRequest } from '#test/support/sample-requests.ts';

/**
 * Promise 7 (docs/reliability.md): the local gateway enforces the throttling the stack
 * deploys; a burst of referrals beyond it gets 429 with Retry-After, never a 5xx, and
 * no referral that was accepted is lost. A caller that retries a 429 after Retry-After
 * with the same Idempotency-Key ends with exactly one referral per key.
 */
let platform: RunningPlatform;
const OFFICE = 'mbe-caritas-bruchsal';
beforeAll(async () => {
  platform = await startLocalPlatform();
  const { publicJwk } = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
  const published = await platform.request(`service:${OFFICE}`, `/v1/services/${OFFICE}/keys`, {
    method: 'PUT',
    body: { keys: [publicJwk] },
  });
  expect(published.status, await published.text()).toBeLessThan(300);
});
afterAll(async () => {
  await platform?.interrupt();
});

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refill = () => sleep((1_000 * apiThrottle.burstLimit) / apiThrottle.rateLimitPerSecond + 500);

/** A request as a well-behaved client sends it: a 429 is retried after its Retry-After. */
async function politely(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await send();
    if (res.status !== 429 || attempt === 20) return res;
    await res.arrayBuffer();
    await sleep(Number(res.headers.get('retry-after') ?? 1) * 1_000);
  }
}

describe('overload', () => {
  it('answers a burst of referrals beyond the limits with 429 and Retry-After, never 5xx, and loses none it accepted', {
    timeout: 120_000,
  }, async () => {
    // Three times the burst limit: the local gateway shares its process with the handlers,
    // so requests are admitted at the pace the event loop takes them, and the bucket
    // refills meanwhile (50/s); in AWS the edge admits them as they arrive.
    const burst = 3 * apiThrottle.burstLimit;
    const people = Array.from({ length: burst }, () => ({
      azrNumber: randomAzrNumber(),
      familyName: CANARY.familyName,
      givenNames: CANARY.givenNames,
      dateOfBirth: '1990-05-17',
    }));
    const consentIds = await withConcurrency(people, 10, async (person) => {
      // The person chose Caritas: every referral goes to its MBE office in Bruchsal.
      const body = consentRequest(person, {
        scope: { serviceTypes: ['MBE'], providerIds: ['caritas-bruchsal'] },
      });
      const key = randomUUID();
      const res = await politely(() =>
        platform.request(AUTHORITY, '/v1/consents', {
          method: 'POST',
          headers: { 'idempotency-key': key },
          body,
        }),
      );
      expect(res.status, await res.clone().text()).toBe(201);
      return ((await res.json()) as { id: string }).id;
    });
    await refill();

    const submissions = people.map((person, i) => ({
      key: `overload-${randomUUID()}`,
      body: referralRequest(consentIds[i]!, person),
    }));
    const submit = (s: (typeof submissions)[number]) =>
      platform.request(AUTHORITY, '/v1/referrals', {
        method: 'POST',
        headers: { 'idempotency-key': s.key },
        body: s.body,
      });
    const responses = await Promise.all(submissions.map(submit));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const throttled = responses.filter((r) => r.status === 429);
    const accepted = responses.filter((r) => r.status === 202);
    expect(throttled.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.length + throttled.length).toBe(burst);
    for (const r of throttled) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      await r.arrayBuffer();
    }
    const acceptedIds = await Promise.all(
      accepted.map(async (r) => ((await r.json()) as { referralId: string }).referralId),
    );

    // The throttled ones, retried after Retry-After under their keys: each ends in one referral.
    await refill();
    const retried = await withConcurrency(
      submissions.filter((_, i) => statuses[i] === 429),
      10,
      async (s) => {
        const res = await politely(() => submit(s));
        expect(res.status, await res.clone().text()).toBe(202);
        return ((await res.json()) as { referralId: string }).referralId;
      },
    );
    const all = [...acceptedIds, ...retried];
    expect(new Set(all).size).toBe(burst);

    // Nothing accepted is lost: every referral exists and the relay puts it in its office's queue.
    await refill();
    const deadline = Date.now() + 60_000;
    let waiting = all;
    while (waiting.length > 0 && Date.now() < deadline) {
      const still = await withConcurrency(waiting, 8, async (id) => {
        const res = await politely(() => platform.request(AUTHORITY, `/v1/referrals/${id}`));
        expect(res.status).toBe(200);
        const { status } = (await res.json()) as { status: string };
        return status === 'accepted' ? id : undefined;
      });
      waiting = still.filter((id): id is string => id !== undefined);
      if (waiting.length > 0) await sleep(500);
    }
    expect(waiting).toEqual([]);
    recordFigures('overload', {
      promise: 'Overload answers 429 and loses nothing accepted',
      sizes: { burst, burstLimit: apiThrottle.burstLimit, ratePerSecond: apiThrottle.rateLimitPerSecond },
      outcome: {
        acceptedInBurst: accepted.length,
        throttled: throttled.length,
        answered5xx: statuses.filter((s) => s >= 500).length,
        acceptedAfterRetry: retried.length,
        referrals: new Set(all).size,
        lost: waiting.length,
      },
    });
  });
});
