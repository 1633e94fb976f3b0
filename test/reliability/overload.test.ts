import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiThrottle } from '../../infra/limits.ts';
import { type RunningPlatform, startLocalPlatform } from '../support/local-platform.ts';

/**
 * Promise 7 (docs/reliability.md): the local gateway enforces the throttling the stack
 * deploys; a burst beyond it gets 429 with Retry-After, never a 5xx, and nothing that
 * was accepted is lost.
 */
let platform: RunningPlatform;
beforeAll(async () => {
  platform = await startLocalPlatform();
});
afterAll(async () => {
  await platform?.interrupt();
});

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const consentBody = () => ({
  subject: {
    azrNumber: `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`,
    dateOfBirth: '1990-05-17',
  },
  givenBy: { role: 'subject' },
  givenAt: new Date(Date.now() - 3_600_000).toISOString(),
  scope: { serviceTypes: ['MBE'], providerIds: [] },
  purposes: ['migration-counselling'],
  dataCategories: ['identity', 'address'],
  evidence: { formId: 'rex-consent', formVersion: '2026-03', language: 'de', sha256: 'c'.repeat(64) },
});

describe('overload', () => {
  it('answers a burst beyond the limits with 429 and Retry-After, never 5xx, and loses no accepted request', async () => {
    const burst = apiThrottle.burstLimit + 60;
    const responses = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        platform.request(AUTHORITY, '/v1/consents', {
          method: 'POST',
          headers: { 'idempotency-key': `overload-${i}-${Date.now()}` },
          body: consentBody(),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const throttled = responses.filter((r) => r.status === 429);
    const created = responses.filter((r) => r.status === 201);
    expect(throttled.length).toBeGreaterThan(0);
    expect(created.length).toBeGreaterThan(0);
    expect(created.length + throttled.length).toBe(burst);
    for (const r of throttled) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
    }
    const ids = await Promise.all(created.map(async (r) => ((await r.json()) as { id: string }).id));
    await Promise.all(throttled.map((r) => r.arrayBuffer()));
    // Let the bucket refill, then every accepted consent is there.
    await new Promise((r) => setTimeout(r, 2_500));
    for (const id of ids) {
      const res = await platform.request(AUTHORITY, `/v1/consents/${id}`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
});
