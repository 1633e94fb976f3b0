import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { type Directory, parseDirectory } from '#shared/domain/directory/index.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { type RoutingDecision, type RoutingInput, routeReferral } from '#shared/domain/routing/index.ts';

const EXAMPLE = loadDirectory(new URL('../../../config/directory.example.json', import.meta.url).pathname);

const AGS = {
  bretten: '08215007',
  bruchsal: '08215009',
  ettlingen: '08215017',
  stutensee: '08215109',
  malsch: '08215046',
} as const;

const ALL_TYPES = { serviceTypes: ['MBE', 'JMD', 'IM'], providerIds: [] };

/** A 35-year-old in Bruchsal with an employment permit, consent to every service type. */
function person(overrides: Partial<RoutingInput> = {}): RoutingInput {
  return {
    dateOfBirth: '1991-06-01',
    municipality: AGS.bruchsal,
    residenceStatus: 'employment',
    housing: 'other',
    languages: ['de'],
    consentScope: ALL_TYPES,
    referralDate: '2026-11-15',
    ...overrides,
  };
}

const refugeeInAU = { residenceStatus: 'refugee-protection', housing: 'anschlussunterbringung' } as const;

/** The example directory edited, then validated like any deployment's file. */
function variant(edit: (d: Directory) => void): Directory {
  const copy = structuredClone(EXAMPLE);
  edit(copy);
  return parseDirectory(copy);
}

function routedOffice(decision: RoutingDecision): string {
  if (decision.kind !== 'routed')
    throw new Error(`expected routed, got ${decision.reason}: ${decision.message}`);
  return decision.office.id;
}

function outcome(decision: RoutingDecision): string {
  return decision.kind === 'routed' ? decision.office.id : `refused:${decision.reason}`;
}

describe('routing by age', () => {
  it.each([
    // The 12th birthday: 2026-11-15.
    ['day before the 12th birthday', '2014-11-15', '2026-11-14', 'refused:under-minimum-age'],
    ['on the 12th birthday', '2014-11-15', '2026-11-15', 'jmd-caritas-bruchsal'],
    ['day after the 12th birthday', '2014-11-15', '2026-11-16', 'jmd-caritas-bruchsal'],
    // The 27th birthday: 2026-11-15.
    ['day before the 27th birthday', '1999-11-15', '2026-11-14', 'jmd-caritas-bruchsal'],
    ['on the 27th birthday', '1999-11-15', '2026-11-15', 'mbe-caritas-bruchsal'],
    ['day after the 27th birthday', '1999-11-15', '2026-11-16', 'mbe-caritas-bruchsal'],
    // 29 February birthdays: the 12th falls in a leap year, the 27th in a common year.
    [
      'leap-day child on 28 Feb of the leap year it turns 12',
      '2012-02-29',
      '2024-02-28',
      'refused:under-minimum-age',
    ],
    [
      'leap-day child on 29 Feb of the leap year it turns 12',
      '2012-02-29',
      '2024-02-29',
      'jmd-caritas-bruchsal',
    ],
    [
      'leap-day person on 28 Feb of the common year they turn 27',
      '2000-02-29',
      '2027-02-28',
      'jmd-caritas-bruchsal',
    ],
    [
      'leap-day person on 1 Mar of the common year they turn 27',
      '2000-02-29',
      '2027-03-01',
      'mbe-caritas-bruchsal',
    ],
  ])('%s', (_name, dateOfBirth, referralDate, expected) => {
    expect(outcome(routeReferral(person({ dateOfBirth, referralDate }), EXAMPLE))).toBe(expected);
  });

  it('explains an under-age refusal without a rule or candidates', () => {
    const decision = routeReferral(person({ dateOfBirth: '2016-01-01' }), EXAMPLE);
    expect(decision).toMatchObject({
      kind: 'refused',
      reason: 'under-minimum-age',
      candidates: [],
      directoryVersion: '2026-11-01.1',
    });
    if (decision.kind === 'refused')
      expect(decision.message).toBe(
        'Person is 10, below the minimum age 12 of every routing rule valid on 2026-11-15.',
      );
  });
});

describe('Integrationsmanagement for refugees in Anschlussunterbringung', () => {
  it.each([
    ['Bruchsal runs its own IM', AGS.bruchsal, 'im-stadt-bruchsal'],
    ['Ettlingen runs its own IM', AGS.ettlingen, 'im-stadt-ettlingen'],
    ['Bretten has the district IM', AGS.bretten, 'im-lk-karlsruhe'],
    ['Stutensee has the district IM', AGS.stutensee, 'im-lk-karlsruhe'],
  ])('%s', (_name, municipality, expected) => {
    const decision = routeReferral(person({ ...refugeeInAU, municipality }), EXAMPLE);
    expect(routedOffice(decision)).toBe(expected);
    expect(decision).toMatchObject({ ruleId: 'im-anschlussunterbringung', serviceType: 'IM' });
  });

  it('comes ahead of JMD for a young refugee', () => {
    const decision = routeReferral(person({ ...refugeeInAU, dateOfBirth: '2007-03-03' }), EXAMPLE);
    expect(routedOffice(decision)).toBe('im-stadt-bruchsal');
  });

  it('does not apply outside Anschlussunterbringung or to other residence statuses', () => {
    expect(routedOffice(routeReferral(person({ residenceStatus: 'refugee-protection' }), EXAMPLE))).toMatch(
      /^mbe-/,
    );
    expect(
      routedOffice(
        routeReferral(person({ housing: 'anschlussunterbringung', residenceStatus: 'employment' }), EXAMPLE),
      ),
    ).toMatch(/^mbe-/);
  });

  it('falls through to MBE where no IM office operates, and says so', () => {
    const withoutIm = variant((d) => {
      const district = d.serviceOffices.find((o) => o.id === 'im-lk-karlsruhe')!;
      district.municipalities = district.municipalities.filter((ags) => ags !== AGS.bretten);
    });
    const decision = routeReferral(person({ ...refugeeInAU, municipality: AGS.bretten }), withoutIm);
    expect(routedOffice(decision)).toBe('mbe-caritas-bruchsal');
    expect(decision.kind === 'routed' && decision.reason).toContain(
      'rule im-anschlussunterbringung (IM) matches but no IM office covers the municipality',
    );
    // Next door, the district IM still operates.
    expect(
      routedOffice(routeReferral(person({ ...refugeeInAU, municipality: AGS.stutensee }), withoutIm)),
    ).toBe('im-lk-karlsruhe');
  });
});

describe('ties between offices of the same type', () => {
  // Bruchsal has two MBE offices: Caritas (de ar tr en) and Diakonie (de ru uk en),
  // and two JMD offices: IB (de ar ku tr en) and Caritas (de uk ru en).
  it.each([
    [
      'provider chosen in consent: Diakonie',
      { preferredProviderId: 'diakonie-lk-karlsruhe' },
      'mbe-diakonie-bruchsal',
    ],
    [
      'provider chosen in consent: Caritas',
      { preferredProviderId: 'caritas-bruchsal' },
      'mbe-caritas-bruchsal',
    ],
    [
      'provider choice beats language',
      { preferredProviderId: 'diakonie-lk-karlsruhe', languages: ['ar'] },
      'mbe-diakonie-bruchsal',
    ],
    [
      'a preferred provider without an office here is ignored',
      { preferredProviderId: 'ib-mittelbaden', languages: ['uk'] },
      'mbe-diakonie-bruchsal',
    ],
    ['language: Arabic', { languages: ['ar'] }, 'mbe-caritas-bruchsal'],
    ['language: Ukrainian', { languages: ['uk'] }, 'mbe-diakonie-bruchsal'],
    ['language not spoken anywhere is skipped', { languages: ['fa', 'uk'] }, 'mbe-diakonie-bruchsal'],
    ['languages in order of preference', { languages: ['en', 'ru', 'ar'] }, 'mbe-diakonie-bruchsal'],
    ['first preferred language wins', { languages: ['ar', 'ru'] }, 'mbe-caritas-bruchsal'],
    [
      'language beats load',
      { languages: ['ar'], openReferralCounts: { 'mbe-caritas-bruchsal': 9, 'mbe-diakonie-bruchsal': 0 } },
      'mbe-caritas-bruchsal',
    ],
    [
      'fewest open referrals',
      { openReferralCounts: { 'mbe-caritas-bruchsal': 5, 'mbe-diakonie-bruchsal': 2 } },
      'mbe-diakonie-bruchsal',
    ],
    [
      'a missing count is zero',
      { openReferralCounts: { 'mbe-caritas-bruchsal': 1 } },
      'mbe-diakonie-bruchsal',
    ],
    [
      'equal load: office id ascending',
      { openReferralCounts: { 'mbe-caritas-bruchsal': 3, 'mbe-diakonie-bruchsal': 3 } },
      'mbe-caritas-bruchsal',
    ],
    ['no tie-break applies: office id ascending', {}, 'mbe-caritas-bruchsal'],
  ] as [string, Partial<RoutingInput>, string][])('%s', (_name, overrides, expected) => {
    expect(routedOffice(routeReferral(person(overrides), EXAMPLE))).toBe(expected);
  });

  it('gives the reason and what became of every candidate', () => {
    const decision = routeReferral(
      person({ dateOfBirth: '2007-05-05', preferredProviderId: 'ib-mittelbaden' }),
      EXAMPLE,
    );
    expect(decision).toEqual({
      kind: 'routed',
      office: EXAMPLE.serviceOffices.find((o) => o.id === 'jmd-ib-bruchsal'),
      serviceType: 'JMD',
      ruleId: 'jmd-12-26',
      reason:
        'Person is 19 (12–26): JMD by rule jmd-12-26; municipality 08215009 is covered by 2 JMD offices; ' +
        'jmd-ib-bruchsal chosen: provider chosen in consent.',
      candidates: [
        {
          officeId: 'jmd-caritas-bruchsal',
          providerId: 'caritas-bruchsal',
          outcome: 'other-provider-preferred',
        },
        { officeId: 'jmd-ib-bruchsal', providerId: 'ib-mittelbaden', outcome: 'chosen' },
      ],
      directoryVersion: '2026-11-01.1',
    });
  });

  it('records each tie-break step in the candidates and the reason', () => {
    const decision = routeReferral(
      person({
        languages: ['de'],
        openReferralCounts: { 'mbe-caritas-bruchsal': 4, 'mbe-diakonie-bruchsal': 1 },
      }),
      EXAMPLE,
    );
    expect(decision.kind === 'routed' && decision.reason).toBe(
      'Person is 35 (27+): MBE by rule mbe-27-plus; municipality 08215009 is covered by 2 MBE offices; ' +
        'mbe-diakonie-bruchsal chosen: fewest open referrals (1).',
    );
    expect(decision.candidates.map((c) => c.outcome)).toEqual(['more-open-referrals', 'chosen']);
    const byLanguage = routeReferral(person({ languages: ['uk'] }), EXAMPLE);
    expect(byLanguage.kind === 'routed' && byLanguage.reason).toContain(
      "mbe-diakonie-bruchsal chosen: speaks the person's preferred language.",
    );
    expect(byLanguage.candidates.map((c) => c.outcome)).toEqual(['fewer-preferred-languages', 'chosen']);
    const byOrder = routeReferral(person(), EXAMPLE);
    expect(byOrder.kind === 'routed' && byOrder.reason).toContain('first by office id among equals');
    expect(byOrder.candidates.map((c) => c.outcome)).toEqual(['chosen', 'later-in-stable-order']);
  });

  it('does not depend on the order of offices or rules in the directory', () => {
    const reversed = variant((d) => {
      d.serviceOffices.reverse();
      d.routingRules.reverse();
      d.municipalities.reverse();
    });
    for (const overrides of [{}, { languages: ['en'] }, { dateOfBirth: '2010-01-01' }, refugeeInAU]) {
      expect(routeReferral(person(overrides), reversed)).toEqual(routeReferral(person(overrides), EXAMPLE));
    }
  });

  it('ignores inherited property names in the open-referral counts', () => {
    const named = variant((d) => {
      const office = d.serviceOffices.find((o) => o.id === 'mbe-caritas-bruchsal')!;
      office.id = 'constructor';
      office.queueName = 'constructor';
    });
    expect(
      routedOffice(routeReferral(person({ openReferralCounts: { 'mbe-diakonie-bruchsal': 1 } }), named)),
    ).toBe('constructor');
  });
});

describe('rule validity dates', () => {
  const jmdFrom = (validFrom: string, validUntil?: string) =>
    variant((d) => {
      const rule = d.routingRules.find((r) => r.id === 'jmd-12-26')!;
      rule.validFrom = validFrom;
      if (validUntil) rule.validUntil = validUntil;
    });
  const young = person({ dateOfBirth: '2007-05-05' });

  it.each([
    ['not yet valid', jmdFrom('2026-11-16'), 'refused:no-rule-applies'],
    ['valid from its first day', jmdFrom('2026-11-15'), 'jmd-caritas-bruchsal'],
    ['valid on its last day', jmdFrom('2024-01-12', '2026-11-15'), 'jmd-caritas-bruchsal'],
    ['expired', jmdFrom('2024-01-12', '2026-11-14'), 'refused:no-rule-applies'],
  ])('a rule %s', (_name, directory, expected) => {
    expect(outcome(routeReferral(young, directory))).toBe(expected);
  });

  it('switches to the next version of a rule on its first day', () => {
    // From 2027 this deployment lets JMD serve people until their 28th birthday.
    const versions = variant((d) => {
      const rule = d.routingRules.find((r) => r.id === 'jmd-12-26')!;
      rule.validUntil = '2026-12-31';
      d.routingRules.push({
        ...structuredClone(rule),
        validFrom: '2027-01-01',
        when: { minAge: 12, maxAgeExclusive: 28 },
      });
      delete d.routingRules[d.routingRules.length - 1]!.validUntil;
    });
    const twentySeven = { dateOfBirth: '1999-06-01' };
    expect(
      routedOffice(routeReferral(person({ ...twentySeven, referralDate: '2026-12-31' }), versions)),
    ).toMatch(/^mbe-/);
    expect(
      routedOffice(routeReferral(person({ ...twentySeven, referralDate: '2027-01-01' }), versions)),
    ).toMatch(/^jmd-/);
  });

  it('refuses when no rule at all is valid on the date', () => {
    const decision = routeReferral(person({ referralDate: '2024-01-11' }), EXAMPLE);
    expect(decision).toMatchObject({ kind: 'refused', reason: 'no-rule-applies' });
    expect(decision.kind === 'refused' && decision.message).toBe(
      'No routing rule of directory version 2026-11-01.1 is valid on 2024-01-11.',
    );
  });
});

describe('consent scope', () => {
  it('refuses when the consent allows none of the responsible offices', () => {
    const decision = routeReferral(
      person({ dateOfBirth: '2007-05-05', consentScope: { serviceTypes: ['MBE'], providerIds: [] } }),
      EXAMPLE,
    );
    expect(decision).toMatchObject({
      kind: 'refused',
      reason: 'consent-excludes-all-candidates',
      ruleId: 'jmd-12-26',
      candidates: [
        { officeId: 'jmd-caritas-bruchsal', outcome: 'excluded-by-consent' },
        { officeId: 'jmd-ib-bruchsal', outcome: 'excluded-by-consent' },
      ],
    });
    expect(decision.kind === 'refused' && decision.message).toBe(
      'Rule jmd-12-26 applies (JMD); the consent scope allows none of the 2 JMD offices covering municipality 08215009: jmd-caritas-bruchsal, jmd-ib-bruchsal.',
    );
  });

  it('does not fall back to a service the person consented to but that is not responsible', () => {
    const decision = routeReferral(
      person({ ...refugeeInAU, consentScope: { serviceTypes: ['MBE'], providerIds: [] } }),
      EXAMPLE,
    );
    expect(outcome(decision)).toBe('refused:consent-excludes-all-candidates');
  });

  it('refuses an empty scope: a consent must name recipients', () => {
    const decision = routeReferral(person({ consentScope: { serviceTypes: [], providerIds: [] } }), EXAMPLE);
    expect(outcome(decision)).toBe('refused:consent-excludes-all-candidates');
  });

  it('allows an office by its provider alone', () => {
    const decision = routeReferral(
      person({
        dateOfBirth: '2007-05-05',
        consentScope: { serviceTypes: [], providerIds: ['ib-mittelbaden'] },
      }),
      EXAMPLE,
    );
    expect(routedOffice(decision)).toBe('jmd-ib-bruchsal');
    expect(decision.candidates).toEqual([
      { officeId: 'jmd-caritas-bruchsal', providerId: 'caritas-bruchsal', outcome: 'excluded-by-consent' },
      { officeId: 'jmd-ib-bruchsal', providerId: 'ib-mittelbaden', outcome: 'chosen' },
    ]);
    expect(decision.kind === 'routed' && decision.reason).toContain(
      '1 excluded by consent; jmd-ib-bruchsal chosen: the only candidate',
    );
  });

  it('allows by service type OR provider', () => {
    const decision = routeReferral(
      person({ consentScope: { serviceTypes: ['JMD'], providerIds: ['diakonie-lk-karlsruhe'] } }),
      EXAMPLE,
    );
    expect(routedOffice(decision)).toBe('mbe-diakonie-bruchsal');
  });
});

describe('coverage', () => {
  it('refuses a municipality that is not in the directory', () => {
    const decision = routeReferral(person({ municipality: '09162000' }), EXAMPLE);
    expect(decision).toMatchObject({
      kind: 'refused',
      reason: 'no-office-covers-municipality',
      ruleId: 'mbe-27-plus',
    });
    expect(decision.kind === 'refused' && decision.message).toBe(
      'Municipality 09162000 is not in directory lk-karlsruhe version 2026-11-01.1; no office covers it.',
    );
  });

  it('refuses when the applicable service has no office in a known municipality', () => {
    const noJmdInMalsch = variant((d) => {
      const office = d.serviceOffices.find((o) => o.id === 'jmd-ib-ettlingen')!;
      office.municipalities = office.municipalities.filter((ags) => ags !== AGS.malsch);
    });
    const decision = routeReferral(
      person({ municipality: AGS.malsch, dateOfBirth: '2007-05-05' }),
      noJmdInMalsch,
    );
    expect(decision).toMatchObject({
      kind: 'refused',
      reason: 'no-office-covers-municipality',
      ruleId: 'jmd-12-26',
    });
    expect(decision.kind === 'refused' && decision.message).toBe(
      'Person is 19; rules jmd-12-26 (JMD) match but no office of their service type covers municipality 08215046.',
    );
  });
});

describe('input validation', () => {
  it.each([
    ['date of birth after the referral date', { dateOfBirth: '2026-11-16' }, 'dateOfBirth'],
    ['impossible date of birth', { dateOfBirth: '2023-02-29' }, 'dateOfBirth'],
    ['malformed municipality key', { municipality: '8215009' }, 'municipality'],
    ['unknown residence status', { residenceStatus: 'visitor' as never }, 'residenceStatus'],
    ['language that is not ISO 639-1', { languages: ['arabic'] }, 'languages[0]'],
    [
      'negative open-referral count',
      { openReferralCounts: { 'mbe-caritas-bruchsal': -1 } },
      'openReferralCounts.mbe-caritas-bruchsal',
    ],
  ] as [string, Partial<RoutingInput>, string][])(
    'refuses %s as InvalidRequest naming the field',
    (_name, overrides, field) => {
      let caught: unknown;
      try {
        routeReferral(person(overrides), EXAMPLE);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidRequest);
      const issues = (caught as InvalidRequest).issues;
      expect(issues.map((issue) => issue.field)).toContain(field);
      // Never the value: a date of birth is personal data.
      expect(JSON.stringify(issues)).not.toMatch(/2026-11-16|2023-02-29|arabic/);
    },
  );

  it('never puts the date of birth into a reason or message', () => {
    for (const overrides of [{}, { dateOfBirth: '2016-01-01' }, { municipality: '09162000' }]) {
      const decision = routeReferral(person(overrides), EXAMPLE);
      const text = decision.kind === 'routed' ? decision.reason : decision.message;
      expect(text).not.toContain(person(overrides).dateOfBirth);
    }
  });
});
