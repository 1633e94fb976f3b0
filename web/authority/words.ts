/**
 * The clerk desk's words for the API's codes: referral statuses, routing reasons and
 * refusals, residence statuses, purposes and data categories, languages. Each table is
 * a Record over the shared list, so a new code does not compile until it has words in
 * both languages, and the unit tests walk the lists themselves. Nothing here shows a
 * code to a person.
 */
import {
  DATA_CATEGORY_INFO,
  type DataCategory,
  PURPOSE_INFO,
  type Purpose,
} from '#shared/domain/data-categories.ts';
import { ISO_639_1_CODES } from '#shared/domain/directory/languages.ts';
import type { ReferralStatus } from '#shared/domain/referral/lifecycle.ts';
import { ageOn } from '#shared/domain/routing/age.ts';
import type { Housing, ResidenceStatus } from '#shared/domain/routing/person-facts.ts';
import type { CandidateOutcome, RefusalReason } from '#shared/domain/routing/schema.ts';
import type { DirectorySummary } from '#shared/schemas/directory.ts';
import type { RoutingPreview } from '#shared/schemas/routing.ts';
import { formatDate, type Language } from '#web/common/i18n.ts';

type Words = Readonly<Record<Language, string>>;
const LOCALES: Readonly<Record<Language, string>> = { de: 'de-DE', en: 'en-GB' };

export const STATUS_WORDS: Readonly<Record<ReferralStatus, Words>> = {
  accepted: { de: 'Angenommen, wird zugestellt', en: 'Accepted, being delivered' },
  queued: { de: 'Zugestellt, noch nicht geöffnet', en: 'Delivered, not opened yet' },
  received: { de: 'Von der Beratungsstelle empfangen', en: 'Received by the office' },
  contacted: { de: 'Kontakt aufgenommen', en: 'Contact made' },
  closed: { de: 'Abgeschlossen', en: 'Closed' },
  declined: { de: 'Von der Beratungsstelle abgelehnt', en: 'Declined by the office' },
  revoked: { de: 'Zurückgezogen (Einwilligung widerrufen)', en: 'Revoked (consent withdrawn)' },
  expired: { de: 'Abgelaufen (nicht abgeholt)', en: 'Expired (not collected)' },
};

/** The reasons an office gives when it closes or declines (docs/referrals.md). */
export const HISTORY_REASON_WORDS: Readonly<Record<string, Words>> = {
  'counselling-completed': { de: 'Beratung abgeschlossen', en: 'counselling completed' },
  'person-moved': { de: 'Person verzogen', en: 'person moved' },
  'not-responsible': { de: 'nicht zuständig', en: 'not responsible' },
  'no-capacity': { de: 'keine Kapazität', en: 'no capacity' },
  'person-unreachable': { de: 'Person nicht erreichbar', en: 'person unreachable' },
  'person-declined': { de: 'Person möchte keine Beratung', en: 'person declined' },
  forwarded: { de: 'weitergeleitet', en: 'forwarded' },
  other: { de: 'anderer Grund', en: 'other reason' },
};

export const DUE_WORDS: Readonly<
  Record<'re-announce' | 'expire' | 'delete-ciphertext' | 'erasure-reminder', Words>
> = {
  're-announce': { de: 'Erinnerung an die Beratungsstelle am {at}', en: 'Reminder to the office on {at}' },
  expire: { de: 'Läuft ab, wenn nicht geöffnet, am {at}', en: 'Expires if not opened on {at}' },
  'delete-ciphertext': {
    de: 'Verschlüsselte Daten werden gelöscht am {at}',
    en: 'Encrypted data deleted on {at}',
  },
  'erasure-reminder': {
    de: 'Erinnerung an die Löschung am {at}',
    en: 'Erasure reminder to the office on {at}',
  },
};

export const RESIDENCE_STATUS_WORDS: Readonly<Record<ResidenceStatus, Words>> = {
  'asylum-seeker': { de: 'Aufenthaltsgestattung (§ 55 AsylG)', en: 'Asylum seeker (§ 55 AsylG)' },
  tolerated: { de: 'Duldung (§ 60a AufenthG)', en: 'Tolerated (§ 60a AufenthG)' },
  'refugee-protection': {
    de: 'Asyl, Flüchtlings- oder subsidiärer Schutz (§ 25 Abs. 1–2 AufenthG)',
    en: 'Asylum, refugee or subsidiary protection (§ 25(1)–(2) AufenthG)',
  },
  'temporary-protection': {
    de: 'Vorübergehender Schutz (§ 24 AufenthG)',
    en: 'Temporary protection (§ 24 AufenthG)',
  },
  humanitarian: {
    de: 'Andere humanitäre Gründe (§§ 22–23, 25 Abs. 3–5, 25a, 25b AufenthG)',
    en: 'Other humanitarian grounds (§§ 22–23, 25(3)–(5), 25a, 25b AufenthG)',
  },
  'family-reunification': {
    de: 'Familiennachzug (§§ 27–36 AufenthG)',
    en: 'Family reasons (§§ 27–36 AufenthG)',
  },
  employment: { de: 'Erwerbstätigkeit (§§ 18–21 AufenthG)', en: 'Employment (§§ 18–21 AufenthG)' },
  education: {
    de: 'Studium und Ausbildung (§§ 16–17 AufenthG)',
    en: 'Study and training (§§ 16–17 AufenthG)',
  },
  'settlement-permit': {
    de: 'Niederlassungserlaubnis oder Daueraufenthalt-EU (§§ 9, 9a AufenthG)',
    en: 'Settlement permit or EU long-term residence (§§ 9, 9a AufenthG)',
  },
  'eu-free-movement': { de: 'Freizügigkeit (EU, EWR, Schweiz)', en: 'Free movement (EU, EEA, Switzerland)' },
  'late-repatriate': { de: 'Spätaussiedlung (§ 4 BVFG)', en: 'Late repatriate (§ 4 BVFG)' },
  other: { de: 'Anderer Aufenthaltsstatus', en: 'Other residence status' },
};

export const HOUSING_WORDS: Readonly<Record<Housing, Words>> = {
  anschlussunterbringung: {
    de: 'Anschlussunterbringung der Gemeinde',
    en: 'Municipal follow-up housing (Anschlussunterbringung)',
  },
  other: { de: 'Andere Wohnform', en: 'Other housing' },
};

export const SEX_WORDS: Readonly<Record<'female' | 'male' | 'diverse' | 'unspecified', Words>> = {
  female: { de: 'weiblich', en: 'female' },
  male: { de: 'männlich', en: 'male' },
  diverse: { de: 'divers', en: 'diverse' },
  unspecified: { de: 'ohne Angabe', en: 'not stated' },
};

export const MARITAL_WORDS: Readonly<
  Record<'single' | 'married' | 'partnership' | 'separated' | 'divorced' | 'widowed', Words>
> = {
  single: { de: 'ledig', en: 'single' },
  married: { de: 'verheiratet', en: 'married' },
  partnership: { de: 'eingetragene Lebenspartnerschaft', en: 'civil partnership' },
  separated: { de: 'getrennt lebend', en: 'separated' },
  divorced: { de: 'geschieden', en: 'divorced' },
  widowed: { de: 'verwitwet', en: 'widowed' },
};

export const GERMAN_LEVEL_WORDS: Readonly<Record<'none' | 'A1' | 'A2' | 'B1' | 'B2' | 'C1' | 'C2', Words>> = {
  none: { de: 'keine Deutschkenntnisse', en: 'no German' },
  A1: { de: 'A1', en: 'A1' },
  A2: { de: 'A2', en: 'A2' },
  B1: { de: 'B1', en: 'B1' },
  B2: { de: 'B2', en: 'B2' },
  C1: { de: 'C1', en: 'C1' },
  C2: { de: 'C2', en: 'C2' },
};

export const WITHDRAWAL_REASON_WORDS: Readonly<
  Record<'subject-request' | 'guardian-request' | 'recorded-in-error' | 'other', Words>
> = {
  'subject-request': { de: 'Die Person hat widerrufen', en: 'The person withdrew' },
  'guardian-request': { de: 'Die gesetzliche Vertretung hat widerrufen', en: 'The guardian withdrew' },
  'recorded-in-error': { de: 'Irrtümlich erfasst', en: 'Recorded in error' },
  other: { de: 'Anderer Grund', en: 'Other reason' },
};

export function categoryLabel(lang: Language, category: DataCategory): string {
  const info = DATA_CATEGORY_INFO[category];
  return lang === 'de' ? info.labelDe : info.label;
}

export function purposeLabel(lang: Language, purpose: Purpose): string {
  const info = PURPOSE_INFO[purpose];
  return lang === 'de' ? info.labelDe : info.label;
}

/** A language code's name in the page's language ("Arabisch"). */
export function languageName(lang: Language, code: string): string {
  return new Intl.DisplayNames([LOCALES[lang]], { type: 'language', fallback: 'code' }).of(code) ?? code;
}

/** Every ISO 639-1 language as a choice, by name. */
export function languageOptions(lang: Language): { value: string; label: string }[] {
  const collator = new Intl.Collator(LOCALES[lang]);
  return [...ISO_639_1_CODES]
    .map((value) => ({ value, label: languageName(lang, value) }))
    .sort((a, b) => collator.compare(a.label, b.label));
}

// ------------------------------------------------------------ routing in words

/** The facts a routing preview was asked with, as the page sent them. */
export interface RoutingFacts {
  readonly dateOfBirth: string;
  readonly municipality: string;
  readonly residenceStatus: ResidenceStatus;
  readonly housing: Housing;
  readonly languages: readonly string[];
  readonly preferredProviderId?: string;
}

/** Why an office lost against the chosen one: what the chosen one had. */
export const OUTCOME_WORDS: Readonly<Record<CandidateOutcome, Words>> = {
  chosen: { de: 'gewählt', en: 'chosen' },
  'excluded-by-consent': {
    de: 'von der Einwilligung nicht umfasst',
    en: 'not covered by the consent',
  },
  'other-provider-preferred': {
    de: 'die Person hat in der Einwilligung einen anderen Träger gewählt',
    en: 'the person chose another provider in the consent',
  },
  'fewer-preferred-languages': {
    de: 'spricht weniger der bevorzugten Sprachen der Person',
    en: "speaks fewer of the person's preferred languages",
  },
  'more-open-referrals': { de: 'hat mehr offene Zuweisungen', en: 'has more open referrals' },
  'later-in-stable-order': {
    de: 'bei Gleichstand gilt eine feste Reihenfolge, diese Stelle kam später',
    en: 'among equals a fixed order applies, and this office came later',
  },
};

/** Why the chosen office won, by what became of the others. */
const WON_BECAUSE: Readonly<Record<Exclude<CandidateOutcome, 'chosen' | 'excluded-by-consent'>, Words>> = {
  'other-provider-preferred': {
    de: 'sie gehört zu dem Träger, den die Person in der Einwilligung gewählt hat',
    en: 'it belongs to the provider the person chose in the consent',
  },
  'fewer-preferred-languages': {
    de: 'dort wird die bevorzugte Sprache der Person gesprochen',
    en: "it speaks the person's preferred language",
  },
  'more-open-referrals': {
    de: 'sie hat die wenigsten offenen Zuweisungen',
    en: 'it has the fewest open referrals',
  },
  'later-in-stable-order': {
    de: 'bei Gleichstand kommt sie in der festen Reihenfolge zuerst',
    en: 'among equals it comes first in the fixed order',
  },
};

export const REFUSAL_WORDS: Readonly<Record<RefusalReason, Words>> = {
  'under-minimum-age': {
    de: 'Die Person ist {age} Jahre alt. Die Beratungsdienste nehmen Zuweisungen erst ab {minAge} Jahren an; eine Zuweisung ist nicht möglich.',
    en: 'The person is {age}. The counselling services take referrals from the age of {minAge} only; no referral is possible.',
  },
  'no-office-covers-municipality': {
    de: 'Zuständig wäre {service}, aber für {municipality} ist keine Stelle dieses Dienstes eingetragen. Bitte wenden Sie sich an die Koordination im Landratsamt.',
    en: 'The responsible service would be {service}, but no office of it serves {municipality}. Please contact the coordination at the district office.',
  },
  'consent-excludes-all-candidates': {
    de: 'Zuständig ist {service}. Die Einwilligung umfasst aber keine der zuständigen Stellen für {municipality} ({offices}). Eine Zuweisung ist nur möglich, wenn die Person auch hierin einwilligt.',
    en: 'The responsible service is {service}, but the consent covers none of its offices for {municipality} ({offices}). A referral needs the person’s consent to that service.',
  },
  'no-rule-applies': {
    de: 'Für diese Angaben gilt am {date} keine Zuständigkeitsregel; eine Zuweisung ist nicht möglich.',
    en: 'No routing rule applies to these facts on {date}; no referral is possible.',
  },
};

function fill(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''));
}

function listWords(lang: Language, items: readonly string[]): string {
  return new Intl.ListFormat(LOCALES[lang], { type: 'conjunction' }).format(items);
}

export function municipalityName(directory: DirectorySummary, ags: string): string {
  return directory.municipalities.find((m) => m.ags === ags)?.name ?? ags;
}

function serviceName(lang: Language, directory: DirectorySummary, code: string): string {
  const name = directory.serviceTypes.find((t) => t.code === code)?.name;
  const service = lang === 'de' ? 'der Dienst' : 'the service';
  return `${service} ${name ?? code}${name ? ` (${code})` : ''}`;
}

function officeName(directory: DirectorySummary, id: string): string {
  return directory.serviceOffices.find((o) => o.id === id)?.name ?? id;
}

type Rule = DirectorySummary['routingRules'][number];

function validRules(directory: DirectorySummary, date: string): Rule[] {
  return directory.routingRules
    .filter((r) => r.validFrom <= date && (r.validUntil === undefined || date <= r.validUntil))
    .sort((a, b) => a.priority - b.priority);
}

function ruleMatches(rule: Rule, facts: RoutingFacts, age: number): boolean {
  const w = rule.when;
  if (w.minAge !== undefined && age < w.minAge) return false;
  if (w.maxAgeExclusive !== undefined && age >= w.maxAgeExclusive) return false;
  if (w.housing && !w.housing.includes(facts.housing)) return false;
  if (w.residenceStatuses && !w.residenceStatuses.includes(facts.residenceStatus)) return false;
  return true;
}

/** A rule's conditions in words: "Personen von 12 bis 26 Jahren". */
export function ruleConditionWords(lang: Language, rule: Pick<Rule, 'when'>): string {
  const w = rule.when;
  const parts: string[] = [];
  const de = lang === 'de';
  if (w.minAge !== undefined && w.maxAgeExclusive !== undefined)
    parts.push(
      de
        ? `Personen von ${w.minAge} bis ${w.maxAgeExclusive - 1} Jahren`
        : `people aged ${w.minAge} to ${w.maxAgeExclusive - 1}`,
    );
  else if (w.minAge !== undefined)
    parts.push(de ? `Personen ab ${w.minAge} Jahren` : `people aged ${w.minAge} and over`);
  else if (w.maxAgeExclusive !== undefined)
    parts.push(de ? `Personen unter ${w.maxAgeExclusive} Jahren` : `people under ${w.maxAgeExclusive}`);
  else parts.push(de ? 'Personen jeden Alters' : 'people of any age');
  if (w.housing)
    parts.push(
      `in ${listWords(
        lang,
        w.housing.map((h) => HOUSING_WORDS[h][lang]),
      )}`,
    );
  if (w.residenceStatuses)
    parts.push(de ? 'mit einem Aufenthaltsstatus als Geflüchtete' : 'with a refugee residence status');
  return parts.join(' ');
}

/**
 * Why routing chose the office, in the page's language: the rule and the person's age,
 * rules passed over for want of an office, how many offices came into question, and
 * what made the chosen one win. Built from the decision's rule and candidates and the
 * directory, never from the API's English sentence.
 */
export function routedWords(
  lang: Language,
  preview: Pick<RoutingPreview, 'office' | 'provider' | 'ruleId' | 'candidates' | 'referralDate'>,
  facts: RoutingFacts,
  directory: DirectorySummary,
): string {
  const de = lang === 'de';
  const age = ageOn(facts.dateOfBirth, preview.referralDate);
  const rules = validRules(directory, preview.referralDate);
  const rule = rules.find((r) => r.id === preview.ruleId);
  const place = municipalityName(directory, facts.municipality);
  const service = serviceName(lang, directory, preview.office.type);
  const sentences: string[] = [];
  sentences.push(
    de
      ? `Die Person ist ${age} Jahre alt; zuständig ist ${service}${rule ? ` (Regel: ${ruleConditionWords(lang, rule)})` : ''}.`
      : `The person is ${age}; the responsible service is ${service}${rule ? ` (rule: ${ruleConditionWords(lang, rule)})` : ''}.`,
  );
  if (rule) {
    for (const skipped of rules) {
      if (skipped.priority >= rule.priority || !ruleMatches(skipped, facts, age)) continue;
      const covers = directory.serviceOffices.some(
        (o) => o.type === skipped.serviceType && o.municipalities.includes(facts.municipality),
      );
      if (covers) continue;
      const other = serviceName(lang, directory, skipped.serviceType);
      sentences.push(
        de
          ? `Vorrangig wäre ${other}, aber für ${place} gibt es keine Stelle dieses Dienstes.`
          : `${other} would come first, but it has no office for ${place}.`,
      );
    }
  }
  const total = preview.candidates.length;
  const excluded = preview.candidates.filter((c) => c.outcome === 'excluded-by-consent').length;
  sentences.push(
    de
      ? `Für ${place} ${total === 1 ? 'ist 1 Stelle' : `sind ${total} Stellen`} dieses Dienstes eingetragen${excluded > 0 ? `, davon ${excluded === 1 ? 'ist 1' : `sind ${excluded}`} von der Einwilligung nicht umfasst` : ''}.`
      : `${total} office${total === 1 ? '' : 's'} of this service serve${total === 1 ? 's' : ''} ${place}${excluded > 0 ? `, ${excluded} not covered by the consent` : ''}.`,
  );
  const won = [
    ...new Set(
      preview.candidates
        .map((c) => c.outcome)
        .filter((o): o is keyof typeof WON_BECAUSE => o !== 'chosen' && o !== 'excluded-by-consent'),
    ),
  ];
  const order = Object.keys(WON_BECAUSE) as (keyof typeof WON_BECAUSE)[];
  const because = order.filter((o) => won.includes(o)).map((o) => WON_BECAUSE[o][lang]);
  const preferredMissed =
    facts.preferredProviderId !== undefined && preview.provider.id !== facts.preferredProviderId;
  if (preferredMissed)
    sentences.push(
      de
        ? 'Der in der Einwilligung gewählte Träger hat hier keine zuständige Stelle.'
        : 'The provider chosen in the consent has no responsible office here.',
    );
  const name = `${preview.office.name} (${preview.provider.name})`;
  sentences.push(
    because.length > 0
      ? de
        ? `Gewählt ist ${name}: ${listWords(lang, because)}.`
        : `Chosen: ${name}: ${listWords(lang, because)}.`
      : de
        ? `Gewählt ist ${name}, die einzige Stelle, die in Frage kommt.`
        : `Chosen: ${name}, the only office that comes into question.`,
  );
  return sentences.join(' ');
}

/** The refusal of a routing preview or of a referral, in the page's language. */
export function refusalWords(
  lang: Language,
  refusal: RefusalReason,
  details: {
    readonly ruleId?: string;
    readonly candidates?: readonly { officeId: string }[];
    readonly referralDate: string;
  },
  facts: RoutingFacts,
  directory: DirectorySummary,
): string {
  const age = ageOn(facts.dateOfBirth, details.referralDate);
  const rules = validRules(directory, details.referralDate);
  const rule =
    rules.find((r) => r.id === details.ruleId) ?? rules.find((r) => ruleMatches(r, facts, age)) ?? rules[0];
  const minAge = Math.min(...rules.map((r) => r.when.minAge ?? 0));
  return fill(REFUSAL_WORDS[refusal][lang], {
    age,
    minAge: Number.isFinite(minAge) ? minAge : 0,
    service: rule ? serviceName(lang, directory, rule.serviceType) : '—',
    municipality: municipalityName(directory, facts.municipality),
    offices: listWords(
      lang,
      (details.candidates ?? []).map((c) => officeName(directory, c.officeId)),
    ),
    date: formatDate(lang, details.referralDate),
  });
}
