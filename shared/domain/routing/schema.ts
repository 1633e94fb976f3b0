import * as z from 'zod';
import { ConsentScopeLists } from '#shared/domain/consent/values.ts';
import {
  AgsSchema,
  IsoDateSchema,
  LanguageCodeSchema,
  type ServiceOffice,
  SlugSchema,
} from '#shared/domain/directory/schema.ts';
import { HousingSchema, ResidenceStatusSchema } from './person-facts.ts';

/**
 * What the consent allows as recipients (the consent's own scope lists, one definition
 * for both): an office is allowed when its service type is in `serviceTypes` OR its
 * provider is in `providerIds`. Both lists empty allow nothing.
 */
export { ConsentScopeLists as ConsentScopeSchema } from '#shared/domain/consent/values.ts';
export type ConsentScope = z.infer<typeof ConsentScopeLists>;

/** The person's facts on the referral date, the consent scope and the load picture. */
export const RoutingInputSchema = z
  .strictObject({
    dateOfBirth: IsoDateSchema,
    /** AGS of the municipality of residence. */
    municipality: AgsSchema,
    residenceStatus: ResidenceStatusSchema,
    housing: HousingSchema,
    /** ISO 639-1 codes in the person's order of preference (first = best); may be empty. */
    languages: z.array(LanguageCodeSchema).max(20),
    consentScope: ConsentScopeLists,
    /** The provider the person chose in the consent (Trägerpluralität). */
    preferredProviderId: SlugSchema.optional(),
    /** The referral's calendar date in the deployment's time zone (Europe/Berlin). */
    referralDate: IsoDateSchema,
    /** Open referrals per office id, for the load tie-break; a missing office counts 0. */
    openReferralCounts: z.record(z.string(), z.int().min(0)).optional(),
  })
  .refine((input) => input.dateOfBirth <= input.referralDate, {
    path: ['dateOfBirth'],
    message: 'must not be after referralDate',
  });
export type RoutingInput = z.infer<typeof RoutingInputSchema>;

export const REFUSAL_REASONS = [
  'under-minimum-age',
  'no-office-covers-municipality',
  'consent-excludes-all-candidates',
  'no-rule-applies',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * What became of each office of the applicable rule's type that covers the
 * municipality; the steps are in tie-break order.
 */
export const CANDIDATE_OUTCOMES = [
  'chosen',
  'excluded-by-consent',
  'other-provider-preferred',
  'fewer-preferred-languages',
  'more-open-referrals',
  'later-in-stable-order',
] as const;
export type CandidateOutcome = (typeof CANDIDATE_OUTCOMES)[number];

export interface RoutingCandidate {
  readonly officeId: string;
  readonly providerId: string;
  readonly outcome: CandidateOutcome;
}

export interface RoutedDecision {
  readonly kind: 'routed';
  readonly office: ServiceOffice;
  readonly serviceType: string;
  readonly ruleId: string;
  /** One English sentence, no personal data beyond the age in years. */
  readonly reason: string;
  /** Candidates in office id order. */
  readonly candidates: readonly RoutingCandidate[];
  readonly directoryVersion: string;
}

export interface RefusedDecision {
  readonly kind: 'refused';
  readonly reason: RefusalReason;
  readonly message: string;
  /** The rule that applied, when the refusal comes after one was found. */
  readonly ruleId?: string;
  readonly candidates: readonly RoutingCandidate[];
  readonly directoryVersion: string;
}

export type RoutingDecision = RoutedDecision | RefusedDecision;
