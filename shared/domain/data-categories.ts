/**
 * The closed lists a consent names: which kinds of personal data may travel, and what
 * for. Both are closed on purpose: a consent must say exactly what it covers (no blanket
 * consent), and a referral may carry only fields of a consented category.
 *
 * Labels and descriptions are exported for docs and user interfaces; the German label
 * is the term used on the paper forms.
 */
import * as z from 'zod';

export interface CategoryInfo {
  /** English label. */
  readonly label: string;
  /** German label, as on the consent forms. */
  readonly labelDe: string;
  /** One line: what the category holds. */
  readonly description: string;
}

export const DATA_CATEGORIES = [
  'identity',
  'contact',
  'address',
  'nationality-and-languages',
  'residence-status',
  'family',
  'education-and-work',
  'needs',
] as const;

export const DataCategory = z.enum(DATA_CATEGORIES).meta({
  id: 'DataCategory',
  description: 'A category of personal data a consent covers (closed list; see docs/consent.md).',
});
export type DataCategory = z.infer<typeof DataCategory>;

export const DATA_CATEGORY_INFO: Readonly<Record<DataCategory, CategoryInfo>> = {
  identity: {
    label: 'Identity',
    labelDe: 'Personalien',
    description: 'Family name, given names, date and place of birth, sex, AZR number.',
  },
  contact: {
    label: 'Contact details',
    labelDe: 'Kontaktdaten',
    description: 'Telephone number, e-mail address, preferred way and time of contact.',
  },
  address: {
    label: 'Address',
    labelDe: 'Anschrift',
    description: 'Current address and kind of accommodation (e.g. follow-up housing).',
  },
  'nationality-and-languages': {
    label: 'Nationality and languages',
    labelDe: 'Staatsangehörigkeit und Sprachen',
    description: 'Nationalities, languages spoken and the language preferred for counselling.',
  },
  'residence-status': {
    label: 'Residence status',
    labelDe: 'Aufenthaltsstatus',
    description: 'Residence title or permission, its legal basis and validity, date of entry.',
  },
  family: {
    label: 'Family',
    labelDe: 'Familie',
    description: 'Marital status, household members and children (without their identity data).',
  },
  'education-and-work': {
    label: 'Education and work',
    labelDe: 'Bildung und Beruf',
    description: 'Schooling, qualifications, work experience, integration and language courses.',
  },
  needs: {
    label: 'Counselling needs',
    labelDe: 'Beratungsbedarf',
    description: 'The needs for counselling or support that the authority noted with the person.',
  },
};

export const PURPOSES = [
  'migration-counselling',
  'youth-migration-support',
  'integration-management',
  'contact-feedback',
] as const;

export const Purpose = z.enum(PURPOSES).meta({
  id: 'Purpose',
  description: 'A specific purpose a consent is given for (closed list; see docs/consent.md).',
});
export type Purpose = z.infer<typeof Purpose>;

export const PURPOSE_INFO: Readonly<Record<Purpose, CategoryInfo>> = {
  'migration-counselling': {
    label: 'Migration counselling for adults',
    labelDe: 'Migrationsberatung für erwachsene Zuwanderer (MBE)',
    description: 'Counselling of an adult newcomer by a migration counselling service (MBE).',
  },
  'youth-migration-support': {
    label: 'Youth migration service',
    labelDe: 'Jugendmigrationsdienst (JMD)',
    description: 'Support of a young newcomer aged 12 to 26 by a youth migration service (JMD).',
  },
  'integration-management': {
    label: 'Integration management',
    labelDe: 'Integrationsmanagement (IM)',
    description: 'Case management for a refugee in municipal follow-up housing (Anschlussunterbringung).',
  },
  'contact-feedback': {
    label: 'Feedback on contact',
    labelDe: 'Rückmeldung zur Kontaktaufnahme',
    description:
      'The service tells the referring authority whether contact was made, declined or forwarded; no counselling content.',
  },
};
