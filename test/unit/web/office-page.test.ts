import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NATIONALITY_CODES } from '#shared/domain/consent/nationality.ts';
import { DATA_CATEGORIES } from '#shared/domain/data-categories.ts';
import { ReferralPayloadV1, ReferralPerson } from '#shared/schemas/referral.ts';
import { LANGUAGES } from '#web/common/i18n.ts';
import { MESSAGES } from '#web/office/i18n.ts';
import { languageName, nationalityName, PERSON_FORM, personForm } from '#web/office/labels.ts';

/** Every leaf path of the person schema (`address.postalCode`, `needs.topics`, …). */
function leafPaths(schema: { shape: Record<string, unknown> }, prefix = ''): string[] {
  return Object.entries(schema.shape).flatMap(([key, member]) => {
    let inner = member as {
      shape?: Record<string, unknown>;
      unwrap?: () => unknown;
      def?: { innerType?: unknown };
    };
    while (!inner.shape && typeof inner.unwrap === 'function') inner = inner.unwrap() as typeof inner;
    return inner.shape && !['languages'].includes(key)
      ? leafPaths(inner as { shape: Record<string, unknown> }, `${prefix}${key}.`)
      : [`${prefix}${key}`];
  });
}

const payload = ReferralPayloadV1.parse({
  schema: 'referral-exchange.referral.v1',
  referralId: 'ref_01jd3k8m2q7v5x9c4b6n1r0t8w',
  consentId: 'con_1',
  createdAt: '2026-11-02T08:00:00.000Z',
  authority: { id: 'abh-lk-karlsruhe', name: 'Landratsamt Karlsruhe' },
  serviceOfficeId: 'mbe-caritas-bruchsal',
  caseReference: 'ABH-2026/0042',
  dataCategories: ['identity', 'address', 'nationality-and-languages', 'family', 'needs'],
  person: {
    familyName: 'Haddad',
    givenNames: '',
    dateOfBirth: '1981-03-02',
    azrNumber: '123456789012',
    nationality: 'XXA',
    languages: ['uk', 'ru'],
    address: { municipality: '08215009', postalCode: '76646' },
    housing: 'anschlussunterbringung',
    family: { maritalStatus: 'widowed', children: 2 },
  },
  note: 'Bitte auf Ukrainisch.',
});

describe("the office page's form of the person", () => {
  it('labels every field of the person schema, in German and English, under its data category', () => {
    const labelled = DATA_CATEGORIES.flatMap((c) => PERSON_FORM[c].map((f) => f.path)).sort();
    expect(labelled).toEqual(leafPaths(ReferralPerson).sort());
    for (const category of DATA_CATEGORIES) {
      for (const field of PERSON_FORM[category]) {
        expect(field.label.de, field.path).toMatch(/\S/);
        expect(field.label.en, field.path).toMatch(/\S/);
      }
    }
  });

  it('shows dates as TT.MM.JJJJ, codes in words, the municipality by name, in category order', () => {
    const sections = personForm('de', payload, {
      municipalityName: (ags) => (ags === '08215009' ? 'Bruchsal' : undefined),
    });
    expect(sections.map((s) => s.heading)).toEqual([
      'Personalien',
      'Anschrift',
      'Staatsangehörigkeit und Sprachen',
      'Familie',
      'Beratungsbedarf',
    ]);
    const value = (path: string) => sections.flatMap((s) => s.rows).find((r) => r.path === path)?.value;
    expect(value('dateOfBirth')).toBe('02.03.1981');
    expect(value('givenNames')).toBe('—');
    expect(value('nationality')).toBe('staatenlos');
    expect(value('languages')).toBe('Ukrainisch, Russisch');
    expect(value('address.municipality')).toBe('Bruchsal (08215009)');
    expect(value('housing')).toBe('Anschlussunterbringung');
    expect(value('family.maritalStatus')).toBe('verwitwet');
    expect(value('family.children')).toBe('2');
    expect(value('note')).toBe('Bitte auf Ukrainisch.');
    // Absent fields are not shown at all.
    expect(value('phone')).toBeUndefined();
    const english = personForm('en', payload, { municipalityName: () => undefined });
    expect(english[0]!.heading).toBe('Identity');
    expect(english.flatMap((s) => s.rows).find((r) => r.path === 'dateOfBirth')?.value).toBe('2 March 1981');
    expect(english.flatMap((s) => s.rows).find((r) => r.path === 'address.municipality')?.value).toBe(
      '08215009',
    );
  });

  it('names every nationality code the consent accepts, in both languages', () => {
    for (const lang of LANGUAGES) {
      for (const code of NATIONALITY_CODES) {
        const name = nationalityName(lang, code);
        expect(name, `${lang} ${code}`).not.toBe(code);
        expect(name).toMatch(/\S/);
      }
    }
    expect(nationalityName('de', 'SYR')).toBe('Syrien');
    expect(nationalityName('de', 'XKX')).toBe('Kosovo');
    expect(languageName('de', 'ar')).toBe('Arabisch');
  });

  it('has every text of index.html in both languages; the page starts in German and asks for no AWS key', () => {
    const html = readFileSync('web/office/index.html', 'utf8');
    expect(html).toContain('<html lang="de">');
    const keys = [...html.matchAll(/data-i18n(?:-label|-placeholder)?="([^"]+)"/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(30);
    for (const key of keys) {
      expect(MESSAGES.de, key).toHaveProperty([key]);
      expect(MESSAGES.en, key).toHaveProperty([key]);
    }
    expect(Object.keys(MESSAGES.en).sort()).toEqual(Object.keys(MESSAGES.de).sort());
    expect(html).not.toMatch(/access-key|secret-access|session-token/i);
  });
});
