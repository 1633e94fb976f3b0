import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDirectory } from '#shared/api/directory.ts';
import { previewRouting } from '#shared/api/routing.ts';
import { berlinDateOf } from '#shared/domain/consent/calendar.ts';
import { DirectorySummary } from '#shared/schemas/directory.ts';
import { RoutingPreview } from '#shared/schemas/routing.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
let handler: ProxyHandler;

const AUTHORITY = 'authority:abh-bruchsal';
const BRUCHSAL = '08215009';

function facts(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    dateOfBirth: '2007-03-01',
    municipality: BRUCHSAL,
    residenceStatus: 'family-reunification',
    housing: 'other',
    languages: ['ar'],
    consentScope: { serviceTypes: ['MBE', 'JMD', 'IM'], providerIds: [] },
    referralDate: '2026-11-15',
    ...overrides,
  };
}

/** `principal: null` sends an unsigned request. */
const preview = (body: unknown, principal: string | null = AUTHORITY) =>
  invoke(handler, apiEvent(previewRouting, { principal: principal ?? undefined, stage: emu.stage, body }));

async function itemCount(): Promise<number> {
  let count = 0;
  for (const suffix of ['records', 'audit']) {
    const out = await emu.dynamodb.send(new ScanCommand({ TableName: `rex-${emu.stage}-${suffix}` }));
    count += out.Items?.length ?? 0;
  }
  return count;
}

beforeAll(async () => {
  await emu.createTables();
  Object.assign(process.env, emu.env());
  handler = (await import('#functions/routing-preview.ts')).handler as unknown as ProxyHandler;
});

describe('POST /v1/routing/preview', () => {
  it('routes a 19-year-old in Bruchsal to JMD, to the provider chosen in the consent', async () => {
    const res = await preview(facts({ preferredProviderId: 'ib-mittelbaden' }));
    expect(res.status).toBe(200);
    const body = RoutingPreview.parse(res.body);
    expect(body).toMatchObject({
      office: { id: 'jmd-ib-bruchsal', type: 'JMD' },
      provider: { id: 'ib-mittelbaden', name: 'Internationaler Bund (IB) Mittelbaden' },
      ruleId: 'jmd-12-26',
      referralDate: '2026-11-15',
    });
    expect(body.office.name).toContain('Jugendmigrationsdienst');
    expect(body.reason).toContain('provider chosen in consent');
    expect(body.candidates).toEqual([
      {
        officeId: 'jmd-caritas-bruchsal',
        providerId: 'caritas-bruchsal',
        outcome: 'other-provider-preferred',
      },
      { officeId: 'jmd-ib-bruchsal', providerId: 'ib-mittelbaden', outcome: 'chosen' },
    ]);
  });

  it('routes a 45-year-old in Bruchsal to MBE, breaking ties without load', async () => {
    const res = await preview(facts({ dateOfBirth: '1981-06-01', languages: [] }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      office: { id: 'mbe-caritas-bruchsal', type: 'MBE' },
      provider: { id: 'caritas-bruchsal' },
      ruleId: 'mbe-27-plus',
    });
    expect(res.body.candidates.map((c: { outcome: string }) => c.outcome)).toEqual([
      'chosen',
      'later-in-stable-order',
    ]);
  });

  it('routes on today in Europe/Berlin when no referral date is given', async () => {
    const { referralDate: _, ...withoutDate } = facts({ dateOfBirth: '1981-06-01' });
    const before = berlinDateOf(new Date());
    const res = await preview(withoutDate);
    expect(res.status).toBe(200);
    expect([before, berlinDateOf(new Date())]).toContain(res.body.referralDate);
  });

  it('refuses a person under 12 with 422 and the typed reason', async () => {
    const res = await preview(facts({ dateOfBirth: '2016-01-01' }));
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      type: 'tag:referral-exchange,2026:problem:routing-refused',
      status: 422,
      refusal: 'under-minimum-age',
      referralDate: '2026-11-15',
      candidates: [],
    });
    expect(res.body.detail).toContain('minimum age 12');
  });

  it('refuses when the consent allows none of the responsible offices', async () => {
    const res = await preview(facts({ consentScope: { serviceTypes: ['MBE'], providerIds: [] } }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ refusal: 'consent-excludes-all-candidates', ruleId: 'jmd-12-26' });
  });

  it('is for authorities only', async () => {
    for (const principal of ['service:mbe-caritas-bruchsal', 'dpo:lk-karlsruhe', 'operator']) {
      const res = await preview(facts(), principal);
      expect(res.status).toBe(403);
    }
    expect((await preview(facts(), null)).status).toBe(401);
  });

  it('names every offending field of bad input, unknown properties included', async () => {
    const res = await preview(
      facts({
        municipality: '1234',
        housing: 'tent',
        languages: ['xx'],
        referralDate: '2026-02-30',
        openReferralCounts: { 'mbe-caritas-bruchsal': 4 },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'housing',
      'languages[0]',
      'municipality',
      'openReferralCounts',
      'referralDate',
    ]);
  });

  it('refuses a date of birth after the referral date with 400', async () => {
    const res = await preview(facts({ dateOfBirth: '2026-12-01' }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'dateOfBirth', reason: expect.any(String) }]);
  });

  it('stores nothing', async () => {
    expect(await itemCount()).toBe(0);
  });
});

describe('GET /v1/directory', () => {
  const directoryOf = (principal: string | null) =>
    invoke(handler, apiEvent(getDirectory, { principal: principal ?? undefined, stage: emu.stage }));

  it("answers the directory's public part to offices, authorities and DPOs: names, places, contacts", async () => {
    for (const principal of ['service:mbe-caritas-bruchsal', AUTHORITY, 'dpo:lk-karlsruhe']) {
      const res = await directoryOf(principal);
      expect(res.status, principal).toBe(200);
      const summary = DirectorySummary.parse(res.body);
      expect(summary.municipalities).toContainEqual({ ags: BRUCHSAL, name: 'Bruchsal' });
      const office = summary.serviceOffices.find((o) => o.id === 'mbe-diakonie-bruchsal')!;
      expect(office).toMatchObject({
        type: 'MBE',
        providerName: 'Diakonisches Werk im Landkreis Karlsruhe',
        contact: { email: 'mbe-bruchsal@diakonie-lk-karlsruhe.example.org' },
      });
      expect(office.municipalities).toContain(BRUCHSAL);
      expect(summary.serviceTypes.map((t) => t.code)).toEqual(expect.arrayContaining(['MBE', 'JMD', 'IM']));
      // What the clerk desk offers by name and explains routing with: the providers and the rules.
      expect(summary.providers).toContainEqual({
        id: 'ib-mittelbaden',
        name: 'Internationaler Bund (IB) Mittelbaden',
      });
      expect(summary.routingRules.find((r) => r.id === 'jmd-12-26')).toMatchObject({
        serviceType: 'JMD',
        when: { minAge: 12, maxAgeExclusive: 27 },
      });
      expect(summary.routingRules.map((r) => r.id)).toEqual(
        expect.arrayContaining(['im-anschlussunterbringung', 'jmd-12-26', 'mbe-27-plus']),
      );
    }
  });

  it('never carries the people, credentials or queues of the directory, and wants a credential', async () => {
    const text = JSON.stringify((await directoryOf('service:mbe-caritas-bruchsal')).body);
    for (const secret of ['demo.invalid', 'arn:aws:iam', 'queueName', 'people', 'iamPrincipals']) {
      expect(text).not.toContain(secret);
    }
    expect((await directoryOf(null)).status).toBe(401);
  });
});
