import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { parseDirectory } from '#shared/domain/directory/index.ts';
import {
  ageOn,
  REFUSAL_REASONS,
  RESIDENCE_STATUSES,
  type RoutingInput,
  routeReferral,
} from '#shared/domain/routing/index.ts';

const EXAMPLE = loadDirectory(new URL('../../../config/directory.example.json', import.meta.url).pathname);
const OFFICE_IDS = EXAMPLE.serviceOffices.map((o) => o.id);
const PROVIDER_IDS = EXAMPLE.providers.map((p) => p.id);
const KNOWN_AGS = EXAMPLE.municipalities.map((m) => m.ags);

const dayMs = 86_400_000;
const isoDay = (day: number) => new Date(day * dayMs).toISOString().slice(0, 10);
const REFERRAL_FIRST = Date.UTC(2023, 0, 1) / dayMs; // before the example rules start
const REFERRAL_LAST = Date.UTC(2028, 11, 31) / dayMs;

const routingInput: fc.Arbitrary<RoutingInput> = fc
  .record({
    referralDay: fc.integer({ min: REFERRAL_FIRST, max: REFERRAL_LAST }),
    ageInDays: fc.integer({ min: 0, max: 90 * 366 }),
    municipality: fc.constantFrom(...KNOWN_AGS, '09162000'),
    residenceStatus: fc.constantFrom(...RESIDENCE_STATUSES),
    housing: fc.constantFrom('anschlussunterbringung' as const, 'other' as const),
    languages: fc.shuffledSubarray(['de', 'ar', 'uk', 'ru', 'fa', 'tr', 'en', 'ku', 'fr', 'ti'], {
      maxLength: 4,
    }),
    serviceTypes: fc.subarray(['MBE', 'JMD', 'IM']),
    providerIds: fc.subarray(PROVIDER_IDS),
    preferredProviderId: fc.option(fc.constantFrom(...PROVIDER_IDS), { nil: undefined }),
    openReferralCounts: fc.option(fc.dictionary(fc.constantFrom(...OFFICE_IDS), fc.nat(20)), {
      nil: undefined,
    }),
  })
  .map((r) => ({
    dateOfBirth: isoDay(r.referralDay - r.ageInDays),
    municipality: r.municipality,
    residenceStatus: r.residenceStatus,
    housing: r.housing,
    languages: r.languages,
    consentScope: { serviceTypes: r.serviceTypes, providerIds: r.providerIds },
    referralDate: isoDay(r.referralDay),
    ...(r.preferredProviderId === undefined ? {} : { preferredProviderId: r.preferredProviderId }),
    ...(r.openReferralCounts === undefined ? {} : { openReferralCounts: r.openReferralCounts }),
  }));

describe('routeReferral properties', () => {
  it('is deterministic: the same input gives the same decision', () => {
    fc.assert(
      fc.property(routingInput, (input) => {
        expect(routeReferral(structuredClone(input), EXAMPLE)).toEqual(routeReferral(input, EXAMPLE));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of entries in the directory', () => {
    const shuffled = <T>(items: readonly T[]) => fc.shuffledSubarray([...items], { minLength: items.length });
    const reordered = fc
      .record({
        serviceOffices: shuffled(EXAMPLE.serviceOffices),
        routingRules: shuffled(EXAMPLE.routingRules),
        municipalities: shuffled(EXAMPLE.municipalities),
      })
      .map((parts) => parseDirectory({ ...structuredClone(EXAMPLE), ...structuredClone(parts) }));
    fc.assert(
      fc.property(routingInput, reordered, (input, directory) => {
        expect(routeReferral(input, directory)).toEqual(routeReferral(input, EXAMPLE));
      }),
      { numRuns: 300 },
    );
  });

  it('routes only to an office the consent allows, that covers the municipality, under a rule valid that day', () => {
    fc.assert(
      fc.property(routingInput, (input) => {
        const decision = routeReferral(input, EXAMPLE);
        if (decision.kind === 'refused') {
          expect(REFUSAL_REASONS).toContain(decision.reason);
          expect(decision.message.length).toBeGreaterThan(0);
          return;
        }
        const { office } = decision;
        const { serviceTypes, providerIds } = input.consentScope;
        expect(serviceTypes.includes(office.type) || providerIds.includes(office.providerId)).toBe(true);
        expect(office.municipalities).toContain(input.municipality);
        const rule = EXAMPLE.routingRules.find((r) => r.id === decision.ruleId);
        expect(rule?.serviceType).toBe(office.type);
        expect(rule && rule.validFrom <= input.referralDate).toBe(true);
        const age = ageOn(input.dateOfBirth, input.referralDate);
        expect(age).toBeGreaterThanOrEqual(rule?.when.minAge ?? 0);
        expect(age).toBeLessThan(rule?.when.maxAgeExclusive ?? Number.POSITIVE_INFINITY);
        expect(decision.candidates.filter((c) => c.outcome === 'chosen')).toEqual([
          { officeId: office.id, providerId: office.providerId, outcome: 'chosen' },
        ]);
      }),
      { numRuns: 1000 },
    );
  });

  it('always routes someone of 12 or more in the district whose consent names every service type', () => {
    fc.assert(
      fc.property(routingInput, (generated) => {
        const input = {
          ...generated,
          consentScope: { serviceTypes: ['MBE', 'JMD', 'IM'], providerIds: [] },
          municipality: KNOWN_AGS[0]!,
        };
        fc.pre(input.referralDate >= '2024-01-12' && ageOn(input.dateOfBirth, input.referralDate) >= 12);
        expect(routeReferral(input, EXAMPLE).kind).toBe('routed');
      }),
      { numRuns: 300 },
    );
  });
});
