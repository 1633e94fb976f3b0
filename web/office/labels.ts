/**
 * The person's data as the paper form shows it: one section per data category (its
 * label from shared/domain/data-categories.ts), each field with its German label, dates
 * as TT.MM.JJJJ, codes in words — the municipality by name, languages and nationality by
 * name (Intl.DisplayNames). Pure: builds rows of text, the page turns them into markup.
 */
import { DATA_CATEGORIES, DATA_CATEGORY_INFO, type DataCategory } from '#shared/domain/data-categories.ts';
import type { ResidenceStatus } from '#shared/domain/routing/person-facts.ts';
import type { ReferralPayloadV1, ReferralPerson } from '#shared/schemas/referral.ts';
import { formatDate, type Language } from '#web/common/i18n.ts';
import { ALPHA_2, DOCUMENT_NATIONALITIES } from './countries.ts';

type Words = Readonly<Record<Language, string>>;

/** A field of the form: where its value is in the person, its label and how it is shown. */
export interface FormField {
  /** Dotted path into ReferralPerson, e.g. `address.postalCode`. */
  readonly path: string;
  readonly label: Words;
  readonly kind: 'text' | 'date' | 'number' | 'nationality' | 'languages' | 'municipality' | 'enum' | 'list';
  /** For `enum`: the words of each value. */
  readonly values?: Readonly<Record<string, Words>>;
}

const w = (de: string, en: string): Words => ({ de, en });

export const SEX = {
  female: w('weiblich', 'female'),
  male: w('männlich', 'male'),
  diverse: w('divers', 'diverse'),
  unspecified: w('keine Angabe', 'not stated'),
} as const satisfies Record<NonNullable<ReferralPerson['sex']>, Words>;

export const HOUSING = {
  anschlussunterbringung: w('Anschlussunterbringung', 'municipal follow-up housing (Anschlussunterbringung)'),
  other: w('andere Unterkunft', 'other accommodation'),
} as const satisfies Record<NonNullable<ReferralPerson['housing']>, Words>;

export const RESIDENCE_STATUS = {
  'asylum-seeker': w('Aufenthaltsgestattung (Asylverfahren, § 55 AsylG)', 'asylum seeker (§ 55 AsylG)'),
  tolerated: w('Duldung (§ 60a AufenthG)', 'tolerated (Duldung, § 60a AufenthG)'),
  'refugee-protection': w(
    'Asyl, Flüchtlings- oder subsidiärer Schutz (§ 25 Abs. 1–2 AufenthG)',
    'asylum, refugee or subsidiary protection (§ 25(1)–(2) AufenthG)',
  ),
  'temporary-protection': w('vorübergehender Schutz (§ 24 AufenthG)', 'temporary protection (§ 24 AufenthG)'),
  humanitarian: w('andere humanitäre Aufenthaltserlaubnis', 'other humanitarian residence permit'),
  'family-reunification': w(
    'Familiennachzug (§§ 27–36 AufenthG)',
    'family reunification (§§ 27–36 AufenthG)',
  ),
  employment: w('Erwerbstätigkeit (§§ 18–21 AufenthG)', 'employment (§§ 18–21 AufenthG)'),
  education: w('Ausbildung oder Studium (§§ 16–17 AufenthG)', 'education or studies (§§ 16–17 AufenthG)'),
  'settlement-permit': w(
    'Niederlassungserlaubnis oder Daueraufenthalt-EU',
    'settlement permit or EU long-term residence',
  ),
  'eu-free-movement': w('Freizügigkeit (EU/EWR/Schweiz)', 'EU free movement'),
  'late-repatriate': w('Spätaussiedler (§ 4 BVFG)', 'late repatriate (§ 4 BVFG)'),
  other: w('sonstiger Status', 'other status'),
} as const satisfies Record<ResidenceStatus, Words>;

type Family = NonNullable<ReferralPerson['family']>;
export const MARITAL_STATUS = {
  single: w('ledig', 'single'),
  married: w('verheiratet', 'married'),
  partnership: w('eingetragene Lebenspartnerschaft', 'registered partnership'),
  separated: w('getrennt lebend', 'separated'),
  divorced: w('geschieden', 'divorced'),
  widowed: w('verwitwet', 'widowed'),
} as const satisfies Record<NonNullable<Family['maritalStatus']>, Words>;

type Work = NonNullable<ReferralPerson['educationAndWork']>;
export const GERMAN_LEVEL = {
  none: w('keine', 'none'),
  A1: w('A1', 'A1'),
  A2: w('A2', 'A2'),
  B1: w('B1', 'B1'),
  B2: w('B2', 'B2'),
  C1: w('C1', 'C1'),
  C2: w('C2', 'C2'),
} as const satisfies Record<NonNullable<Work['germanLevel']>, Words>;

/** Every field of the person, by data category, in the order of the paper form. */
export const PERSON_FORM: Readonly<Record<DataCategory, readonly FormField[]>> = {
  identity: [
    { path: 'familyName', label: w('Familienname', 'Family name'), kind: 'text' },
    { path: 'givenNames', label: w('Vornamen', 'Given names'), kind: 'text' },
    { path: 'dateOfBirth', label: w('Geburtsdatum', 'Date of birth'), kind: 'date' },
    { path: 'sex', label: w('Geschlecht', 'Sex'), kind: 'enum', values: SEX },
    { path: 'azrNumber', label: w('AZR-Nummer', 'AZR number'), kind: 'text' },
  ],
  contact: [
    { path: 'phone', label: w('Telefon', 'Telephone'), kind: 'text' },
    { path: 'email', label: w('E-Mail', 'E-mail'), kind: 'text' },
  ],
  address: [
    { path: 'address.street', label: w('Straße und Hausnummer', 'Street and number'), kind: 'text' },
    { path: 'address.postalCode', label: w('Postleitzahl', 'Postal code'), kind: 'text' },
    { path: 'address.city', label: w('Ort', 'Town'), kind: 'text' },
    { path: 'address.municipality', label: w('Gemeinde', 'Municipality'), kind: 'municipality' },
    { path: 'housing', label: w('Unterbringung', 'Accommodation'), kind: 'enum', values: HOUSING },
  ],
  'nationality-and-languages': [
    { path: 'nationality', label: w('Staatsangehörigkeit', 'Nationality'), kind: 'nationality' },
    {
      path: 'languages',
      label: w('Sprachen (nach Vorrang)', 'Languages (in order of preference)'),
      kind: 'languages',
    },
  ],
  'residence-status': [
    {
      path: 'residenceStatus',
      label: w('Aufenthaltsstatus', 'Residence status'),
      kind: 'enum',
      values: RESIDENCE_STATUS,
    },
    { path: 'residenceTitle', label: w('Aufenthaltstitel', 'Residence title'), kind: 'text' },
    { path: 'dateOfEntry', label: w('Einreisedatum', 'Date of entry'), kind: 'date' },
  ],
  family: [
    {
      path: 'family.maritalStatus',
      label: w('Familienstand', 'Marital status'),
      kind: 'enum',
      values: MARITAL_STATUS,
    },
    {
      path: 'family.householdSize',
      label: w('Personen im Haushalt', 'People in the household'),
      kind: 'number',
    },
    { path: 'family.children', label: w('Kinder', 'Children'), kind: 'number' },
  ],
  'education-and-work': [
    { path: 'educationAndWork.schooling', label: w('Schulbildung', 'Schooling'), kind: 'text' },
    {
      path: 'educationAndWork.vocationalTraining',
      label: w('Berufsausbildung', 'Vocational training'),
      kind: 'text',
    },
    { path: 'educationAndWork.employment', label: w('Beschäftigung', 'Employment'), kind: 'text' },
    {
      path: 'educationAndWork.germanLevel',
      label: w('Deutschkenntnisse (GER)', 'German level (CEFR)'),
      kind: 'enum',
      values: GERMAN_LEVEL,
    },
  ],
  needs: [
    { path: 'needs.topics', label: w('Themen', 'Topics'), kind: 'list' },
    { path: 'needs.note', label: w('Beratungsbedarf (Notiz)', 'Counselling needs (note)'), kind: 'text' },
  ],
};

/** The label of a category in the page's language. */
export function categoryLabel(lang: Language, category: DataCategory): string {
  const info = DATA_CATEGORY_INFO[category];
  return lang === 'de' ? info.labelDe : info.label;
}

const displayNames = new Map<string, Intl.DisplayNames>();
function names(lang: Language, type: 'language' | 'region'): Intl.DisplayNames {
  const key = `${lang}:${type}`;
  let found = displayNames.get(key);
  if (!found) {
    found = new Intl.DisplayNames(lang, { type, fallback: 'code' });
    displayNames.set(key, found);
  }
  return found;
}

/** A language (ISO 639-1) by name: `ar` → Arabisch. */
export function languageName(lang: Language, code: string): string {
  return names(lang, 'language').of(code) ?? code;
}

/** A nationality (ISO 3166-1 alpha-3, or an ICAO document code) by name: `SYR` → Syrien. */
export function nationalityName(lang: Language, code: string): string {
  const document = DOCUMENT_NATIONALITIES[code];
  if (document) return document[lang];
  const alpha2 = ALPHA_2.get(code);
  return alpha2 ? (names(lang, 'region').of(alpha2) ?? code) : code;
}

export interface FormContext {
  /** The municipality's name from the directory; undefined when it is not listed. */
  readonly municipalityName: (ags: string) => string | undefined;
}

export interface FormRow {
  readonly path: string;
  readonly label: string;
  readonly value: string;
}

export interface FormSection {
  readonly category: DataCategory;
  readonly heading: string;
  readonly rows: readonly FormRow[];
}

function valueAt(person: unknown, path: string): unknown {
  let at: unknown = person;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function shown(lang: Language, field: FormField, value: unknown, ctx: FormContext): string {
  switch (field.kind) {
    case 'date':
      return formatDate(lang, String(value));
    case 'number':
      return String(value);
    case 'nationality':
      return nationalityName(lang, String(value));
    case 'languages':
      return (value as string[]).map((code) => languageName(lang, code)).join(', ');
    case 'municipality': {
      const name = ctx.municipalityName(String(value));
      return name ? `${name} (${String(value)})` : String(value);
    }
    case 'enum':
      return field.values?.[String(value)]?.[lang] ?? String(value);
    case 'list':
      return (value as string[]).map((slug) => slug.replace(/-/g, ' ')).join(', ');
    default:
      return String(value);
  }
}

/**
 * The sections of the form for a decrypted referral: every category the referral
 * carries, in the closed list's order, each with the fields that have a value. Empty
 * strings (a person without given names) are shown as "—".
 */
export function personForm(lang: Language, payload: ReferralPayloadV1, ctx: FormContext): FormSection[] {
  const sections: FormSection[] = [];
  for (const category of DATA_CATEGORIES) {
    const rows: FormRow[] = [];
    for (const field of PERSON_FORM[category]) {
      const value = valueAt(payload.person, field.path);
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      const text = shown(lang, field, value, ctx);
      rows.push({ path: field.path, label: field.label[lang], value: text === '' ? '—' : text });
    }
    if (category === 'needs' && payload.note !== undefined) {
      rows.push({
        path: 'note',
        label: lang === 'de' ? 'Hinweis der Ausländerbehörde' : 'Note from the immigration authority',
        value: payload.note,
      });
    }
    if (rows.length > 0) sections.push({ category, heading: categoryLabel(lang, category), rows });
  }
  return sections;
}
