import * as z from 'zod';

/**
 * The person's residence status in simple form: a closed list that maps the German
 * residence titles (Aufenthaltstitel) and documents onto the categories the
 * cooperation agreements actually distinguish. docs/routing.md explains each code.
 */
export const RESIDENCE_STATUSES = [
  'asylum-seeker', // Aufenthaltsgestattung, § 55 AsylG
  'tolerated', // Duldung, § 60a AufenthG
  'refugee-protection', // asylum, refugee or subsidiary protection, § 25(1)–(2) AufenthG
  'temporary-protection', // § 24 AufenthG (e.g. people displaced from Ukraine)
  'humanitarian', // other humanitarian titles, §§ 22–23, 25(3)–(5), 25a, 25b AufenthG
  'family-reunification', // §§ 27–36 AufenthG
  'employment', // §§ 18–21 AufenthG, incl. EU Blue Card
  'education', // §§ 16–17 AufenthG
  'settlement-permit', // Niederlassungserlaubnis § 9, Daueraufenthalt-EU § 9a AufenthG
  'eu-free-movement', // EU/EEA/Swiss citizens and their families, FreizügG/EU
  'late-repatriate', // Spätaussiedler, § 4 BVFG
  'other',
] as const;

export const ResidenceStatusSchema = z.enum(RESIDENCE_STATUSES);
export type ResidenceStatus = z.infer<typeof ResidenceStatusSchema>;

/** The residence statuses of people who came as refugees; the default IM rule names them. */
export const REFUGEE_RESIDENCE_STATUSES: readonly ResidenceStatus[] = [
  'asylum-seeker',
  'tolerated',
  'refugee-protection',
  'temporary-protection',
  'humanitarian',
];

/**
 * Where the person lives. Anschlussunterbringung is the municipal follow-up housing
 * that refugees in Baden-Württemberg move to after the district's initial housing;
 * it is what Integrationsmanagement (IM) is tied to.
 */
export const HousingSchema = z.enum(['anschlussunterbringung', 'other']);
export type Housing = z.infer<typeof HousingSchema>;
