import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { NATIONALITY_CODES } from '#shared/domain/consent/nationality.ts';
import { DATA_CATEGORIES, PURPOSES } from '#shared/domain/data-categories.ts';
import { REFERRAL_STATUSES } from '#shared/domain/referral/lifecycle.ts';
import { PERSON_FIELD_CATEGORIES } from '#shared/domain/referral/person.ts';
import { CANDIDATE_OUTCOMES, REFUSAL_REASONS, routeReferral } from '#shared/domain/routing/index.ts';
import { RESIDENCE_STATUSES } from '#shared/domain/routing/person-facts.ts';
import { RecordConsentRequest } from '#shared/schemas/consent.ts';
import { directorySummary } from '#shared/schemas/directory.ts';
import { SubmitReferralRequest } from '#shared/schemas/referral.ts';
import { RoutingPreviewRequest, routingPreviewOf } from '#shared/schemas/routing.ts';
import {
  consentRequestOf,
  controlIdOf,
  FormProblems,
  type FormValues,
  fieldCategory,
  givenAtOf,
  needsGuardian,
  REFERRAL_FIELDS,
  referralRequestOf,
  routingFactsOf,
  SubmissionKeys,
  sha256Hex,
  validUntilOf,
  visibleFields,
} from '#web/authority/form.ts';
import { MESSAGES } from '#web/authority/i18n.ts';
import {
  nationalityCodesWithoutName,
  nationalityName,
  nationalityOptions,
} from '#web/authority/nationalities.ts';
import {
  categoryLabel,
  languageOptions,
  OUTCOME_WORDS,
  purposeLabel,
  REFUSAL_WORDS,
  RESIDENCE_STATUS_WORDS,
  type RoutingFacts,
  refusalWords,
  routedWords,
  STATUS_WORDS,
} from '#web/authority/words.ts';
import { LANGUAGES } from '#web/common/i18n.ts';

const directory = loadDirectory('config/directory.example.json');
const routing = directorySummary(directory);
const BRUCHSAL = '08215009';

/** Codes a person must never read: ids of rules, offices and providers, and the API's codes. */
const CODES = [
  ...directory.routingRules.map((r) => r.id),
  ...directory.serviceOffices.map((o) => o.id),
  ...directory.providers.map((p) => p.id),
  ...REFUSAL_REASONS,
  ...CANDIDATE_OUTCOMES,
  BRUCHSAL,
  // A one-word code such as `chosen` is also an English word; the hyphenated ones are not.
].filter((code) => /[-0-9]/.test(code));

function expectWords(text: string): void {
  expect(text).toMatch(/\S/);
  expect(text).not.toMatch(/[{}]|\[/);
  for (const code of CODES) expect(text, code).not.toContain(code);
}

function values(text: Record<string, string>, checked: Record<string, string[]> = {}): FormValues {
  return { text: (name) => (text[name] ?? '').trim(), checked: (name) => checked[name] ?? [] };
}

const facts = (over: Partial<RoutingFacts> = {}): RoutingFacts => ({
  dateOfBirth: '2007-03-01',
  municipality: BRUCHSAL,
  residenceStatus: 'family-reunification',
  housing: 'other',
  languages: ['ar'],
  ...over,
});

describe('the clerk desk explains routing in words', () => {
  it('has a sentence for every refusal reason of the routing code, in both languages', () => {
    expect(Object.keys(REFUSAL_WORDS).sort()).toEqual([...REFUSAL_REASONS].sort());
    for (const lang of LANGUAGES)
      for (const reason of REFUSAL_REASONS) {
        const text = refusalWords(
          lang,
          reason,
          { referralDate: '2026-11-15', ruleId: 'jmd-12-26', candidates: [{ officeId: 'jmd-ib-bruchsal' }] },
          facts(),
          routing,
        );
        expectWords(text);
        expect(text).not.toBe(REFUSAL_WORDS[reason][lang]);
      }
  });

  it('has words for every candidate outcome of the routing code, and names why the chosen office won', () => {
    expect(Object.keys(OUTCOME_WORDS).sort()).toEqual([...CANDIDATE_OUTCOMES].sort());
    for (const lang of LANGUAGES)
      for (const outcome of CANDIDATE_OUTCOMES) {
        expectWords(OUTCOME_WORDS[outcome][lang]);
        const text = routedWords(
          lang,
          {
            office: { id: 'jmd-ib-bruchsal', name: 'JMD Bruchsal', type: 'JMD' },
            provider: { id: 'ib-mittelbaden', name: 'IB Mittelbaden' },
            ruleId: 'jmd-12-26',
            referralDate: '2026-11-15',
            candidates: [
              { officeId: 'jmd-caritas-bruchsal', providerId: 'caritas-bruchsal', outcome },
              { officeId: 'jmd-ib-bruchsal', providerId: 'ib-mittelbaden', outcome: 'chosen' },
            ],
          },
          facts(),
          routing,
        );
        expectWords(text);
      }
  });

  it('explains real decisions of the example directory in German', () => {
    const decide = (
      f: RoutingFacts,
      scope = { serviceTypes: ['MBE', 'JMD', 'IM'], providerIds: [] as string[] },
    ) => {
      const decision = routeReferral(
        { ...f, languages: [...f.languages], consentScope: scope, referralDate: '2026-11-15' },
        directory,
      );
      if (decision.kind !== 'routed') throw new Error(decision.message);
      return routedWords('de', routingPreviewOf(decision, directory, '2026-11-15'), f, routing);
    };
    const young = decide(facts({ preferredProviderId: 'ib-mittelbaden' }), {
      serviceTypes: ['JMD'],
      providerIds: ['ib-mittelbaden'],
    });
    expectWords(young);
    expect(young).toContain('Die Person ist 19 Jahre alt');
    expect(young).toContain('Jugendmigrationsdienst (JMD)');
    expect(young).toContain('Personen von 12 bis 26 Jahren');
    expect(young).toContain('Für Bruchsal sind 2 Stellen');
    expect(young).toContain('in der Einwilligung gewählt');
    // A refugee in follow-up housing where IM is passed over for want of an office is told so.
    const im = routing.routingRules.find((r) => r.id === 'im-anschlussunterbringung')!;
    const noIm = {
      ...routing,
      serviceOffices: routing.serviceOffices.filter((o) => o.type !== 'IM'),
    };
    const adult = facts({
      dateOfBirth: '1990-01-01',
      housing: 'anschlussunterbringung',
      residenceStatus: 'tolerated',
    });
    const mbe = routeReferral(
      {
        ...adult,
        languages: [],
        consentScope: { serviceTypes: ['MBE'], providerIds: [] },
        referralDate: '2026-11-15',
      },
      { ...directory, serviceOffices: directory.serviceOffices.filter((o) => o.type !== 'IM') },
    );
    if (mbe.kind !== 'routed') throw new Error('expected MBE');
    const text = routedWords('de', routingPreviewOf(mbe, directory, '2026-11-15'), adult, noIm);
    expect(im.serviceType).toBe('IM');
    expect(text).toContain(
      'Vorrangig wäre der Dienst Integrationsmanagement (IM), aber für Bruchsal gibt es keine Stelle',
    );
    expect(text).toContain('bei Gleichstand');
    expectWords(text);
  });

  it('names every referral status and residence status in words', () => {
    for (const lang of LANGUAGES) {
      for (const status of REFERRAL_STATUSES) expectWords(STATUS_WORDS[status][lang]);
      for (const status of RESIDENCE_STATUSES)
        if (lang === 'de' || status.includes('-'))
          expect(RESIDENCE_STATUS_WORDS[status][lang]).not.toContain(status);
      for (const c of DATA_CATEGORIES) expect(categoryLabel(lang, c)).not.toBe(c);
      for (const p of PURPOSES) expect(purposeLabel(lang, p)).not.toBe(p);
    }
    expect(STATUS_WORDS.contacted.de).toBe('Kontakt aufgenommen');
    expect(categoryLabel('de', 'nationality-and-languages')).toBe('Staatsangehörigkeit und Sprachen');
  });

  it('offers every nationality and language by name', () => {
    expect(nationalityCodesWithoutName()).toEqual([]);
    for (const lang of LANGUAGES) {
      const options = nationalityOptions(lang);
      expect(options.map((o) => o.value).sort()).toEqual([...NATIONALITY_CODES].sort());
      for (const o of options) expect(o.label, o.value).not.toBe(o.value);
    }
    expect(nationalityName('de', 'SYR')).toBe('Syrien');
    expect(nationalityName('de', 'XXA')).toBe('staatenlos');
    expect(nationalityName('en', 'DEU')).toBe('Germany');
    const languages = languageOptions('de');
    expect(languages.find((l) => l.value === 'ar')?.label).toBe('Arabisch');
    expect(languages.find((l) => l.value === 'fa')?.label).toBe('Persisch');
  });
});

describe('the consent form', () => {
  const now = new Date('2026-11-15T10:00:00Z');
  const filled = {
    familyName: 'Haddad',
    givenNames: 'Rana',
    dateOfBirth: '02.03.1981',
    nationality: 'SYR',
    signedOn: '15.11.2026',
    givenBy: 'subject',
    formId: 'rex-consent',
    formVersion: '2026-03',
    formLanguage: 'ar',
  };
  const groups = {
    serviceTypes: ['MBE'],
    purposes: ['migration-counselling', 'contact-feedback'],
    dataCategories: ['identity', 'address', 'nationality-and-languages'],
  };
  const digest = 'a'.repeat(64);

  it('makes a request the API accepts, with TT.MM.JJJJ dates and the digest, never the file', () => {
    const { request, identity } = consentRequestOf(values(filled, groups), digest, now);
    const parsed = RecordConsentRequest.parse(request);
    expect(parsed.subject).toEqual({
      familyName: 'Haddad',
      givenNames: 'Rana',
      dateOfBirth: '1981-03-02',
      nationality: 'SYR',
    });
    expect(parsed.givenAt).toBe(now.toISOString());
    expect(parsed.evidence).toEqual({
      formId: 'rex-consent',
      formVersion: '2026-03',
      language: 'ar',
      sha256: digest,
    });
    expect(identity.familyName).toBe('Haddad');
    // With an AZR number, the names are not sent.
    const azr = consentRequestOf(values({ ...filled, azrNumber: '123456789012' }, groups), digest, now);
    expect(azr.request.subject).toEqual({ azrNumber: '123456789012', dateOfBirth: '1981-03-02' });
    // A provider chosen is the scope's provider.
    const chosen = consentRequestOf(
      values({ ...filled, providerId: 'caritas-bruchsal' }, groups),
      digest,
      now,
    );
    expect(chosen.request.scope).toEqual({ serviceTypes: ['MBE'], providerIds: ['caritas-bruchsal'] });
  });

  it('names every problem before sending: bad date, no file, no guardian for a 15-year-old, nothing chosen', () => {
    const attempt = (text: Record<string, string>, g: Record<string, string[]>, sha?: string) => {
      try {
        consentRequestOf(values(text, g), sha, now);
        return [];
      } catch (error) {
        if (!(error instanceof FormProblems)) throw error;
        return error.problems.map((p) => `${p.id} ${p.key}`);
      }
    };
    expect(attempt({ ...filled, dateOfBirth: '31.02.2011' }, groups, digest)).toEqual([
      'c-dateOfBirth badDate',
    ]);
    expect(attempt(filled, groups)).toEqual(['c-scan needFile']);
    expect(attempt({ ...filled, dateOfBirth: '16.11.2010' }, groups, digest)).toEqual([
      'c-givenBy-subject needGuardian',
    ]);
    expect(attempt({ ...filled, dateOfBirth: '15.11.2010' }, groups, digest)).toEqual([]);
    expect(attempt({ ...filled, dateOfBirth: '16.11.2010', givenBy: 'guardian' }, groups, digest)).toEqual(
      [],
    );
    expect(attempt({ ...filled, nationality: '' }, {}, digest)).toEqual([
      'c-nationality required',
      'c-scope chooseOne',
      'c-purposes chooseOne',
      'c-categories chooseOne',
    ]);
  });

  it('dates the signature as the guardian rule counts it, and the end of validity inclusively', () => {
    expect(givenAtOf('2026-11-15', now)).toBe(now.toISOString());
    expect(givenAtOf('2026-11-10', now)).toBe('2026-11-10T11:00:00.000Z');
    expect(givenAtOf('2026-07-10', now)).toBe('2026-07-10T10:00:00.000Z');
    expect(validUntilOf('2027-03-31')).toBe('2027-03-31T22:00:00.000Z');
    expect(needsGuardian('2010-11-16', '2026-11-15')).toBe(true);
    expect(needsGuardian('2010-11-15', '2026-11-15')).toBe(false);
  });

  it("computes the scan's SHA-256 as the form's digest", async () => {
    const bytes = new TextEncoder().encode('%PDF-1.7 signed consent');
    expect(await sha256Hex(bytes.buffer as ArrayBuffer)).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });
});

describe('the referral form', () => {
  const consent = {
    id: 'con_01KB8Z3H5TQ4W9X2M7N6P0R1SV',
    dataCategories: ['identity', 'address', 'nationality-and-languages'] as const,
    scope: { serviceTypes: ['JMD'], providerIds: ['ib-mittelbaden'] },
  };
  const typed = {
    caseReference: 'ABH-2026/0042',
    familyName: 'Haddad',
    givenNames: 'Rana',
    dateOfBirth: '01.03.2007',
    nationality: 'SYR',
    language1: 'ar',
    language2: 'de',
    language3: 'ar',
    municipality: BRUCHSAL,
    street: 'Kaiserstraße 1',
    postalCode: '76646',
    city: 'Bruchsal',
    // Typed before the consent was known, or left over: not covered, never sent.
    phone: '+49 171 5550199',
    residenceStatus: 'tolerated',
    note: 'call in the morning',
  };

  it('shows and sends only fields of consented categories, and leaves empty ones out', () => {
    const shown = visibleFields([...consent.dataCategories]);
    expect(shown).toContain('municipality');
    expect(shown).not.toContain('phone');
    expect(shown).not.toContain('residenceStatus');
    const request = referralRequestOf(values(typed), {
      ...consent,
      dataCategories: [...consent.dataCategories],
    });
    expect(SubmitReferralRequest.parse(request)).toEqual({
      consentId: consent.id,
      caseReference: 'ABH-2026/0042',
      person: {
        familyName: 'Haddad',
        givenNames: 'Rana',
        dateOfBirth: '2007-03-01',
        nationality: 'SYR',
        languages: ['ar', 'de'],
        address: { street: 'Kaiserstraße 1', postalCode: '76646', city: 'Bruchsal', municipality: BRUCHSAL },
      },
    });
    for (const member of Object.keys(request.person))
      expect(consent.dataCategories).toContain(
        PERSON_FIELD_CATEGORIES[member as keyof typeof PERSON_FIELD_CATEGORIES],
      );
  });

  it('routes on what intake routes on: other when not stated, the first provider named', () => {
    const request = referralRequestOf(values(typed), {
      ...consent,
      dataCategories: [...consent.dataCategories],
    });
    const routingFacts = routingFactsOf(request.person, consent);
    expect(RoutingPreviewRequest.parse(routingFacts)).toEqual({
      dateOfBirth: '2007-03-01',
      municipality: BRUCHSAL,
      residenceStatus: 'other',
      housing: 'other',
      languages: ['ar', 'de'],
      consentScope: consent.scope,
      preferredProviderId: 'ib-mittelbaden',
    });
  });

  it('every field of the form belongs to the category of its fieldset in index.html', () => {
    const html = readFileSync('web/authority/index.html', 'utf8');
    for (const field of REFERRAL_FIELDS) {
      const at = html.indexOf(`id="r-${field.name}"`);
      expect(at, field.name).toBeGreaterThan(0);
      const fieldset = html.lastIndexOf('<fieldset data-category="', at);
      const category = html.slice(fieldset).match(/data-category="([^"]+)"/)?.[1];
      expect(category, field.name).toBe(fieldCategory(field.name));
    }
  });

  it('maps field paths of API problems to the controls of the form', () => {
    expect(controlIdOf('person.address.postalCode')).toBe('r-postalCode');
    expect(controlIdOf('person.languages[1]')).toBe('r-language1');
    expect(controlIdOf('subject.nationality')).toBe('c-nationality');
    expect(controlIdOf('evidence.sha256')).toBe('c-scan');
    expect(controlIdOf('dataCategories[1]')).toBe('c-categories');
    expect(controlIdOf('givenBy.role')).toBe('c-givenBy-subject');
    const html = readFileSync('web/authority/index.html', 'utf8');
    for (const field of REFERRAL_FIELDS) {
      const id = controlIdOf(field.name === 'note' ? 'note' : `person.${field.name}`);
      if (field.name.startsWith('language') || field.name === 'needsNote') continue;
      expect(html, field.name).toContain(`id="${id}"`);
    }
  });
});

describe('the Idempotency-Key of a form', () => {
  it('is the same for the same request until the API answers, new for a changed one', () => {
    let n = 0;
    const keys = new SubmissionKeys(() => `key-${++n}`);
    expect(keys.keyFor({ a: 1 })).toBe('key-1');
    expect(keys.keyFor({ a: 1 })).toBe('key-1'); // a double click, a retry after a dropped connection
    expect(keys.keyFor({ a: 2 })).toBe('key-2'); // corrected
    keys.answered();
    expect(keys.keyFor({ a: 2 })).toBe('key-3'); // sent again after an answer: a new request
  });
});

describe("the clerk desk's page", () => {
  it('names every key index.html uses, in both languages; the page starts in German', () => {
    const html = readFileSync('web/authority/index.html', 'utf8');
    expect(html).toContain('<html lang="de">');
    const keys = [...html.matchAll(/data-i18n(?:-label|-placeholder)?="([^"]+)"/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(40);
    for (const key of keys) {
      expect(MESSAGES.en, key).toHaveProperty([key]);
      expect(MESSAGES.de, key).toHaveProperty([key]);
    }
    expect(Object.keys(MESSAGES.de).sort()).toEqual(Object.keys(MESSAGES.en).sort());
    // The scan is read by a file input and never part of a form that is submitted.
    expect(html).toMatch(/<input type="file" id="c-scan"[^>]*>/);
    expect(html).not.toMatch(/<input type="file"[^>]*name=/);
    expect(html).not.toMatch(/enctype|method="post"/i);
  });
});
