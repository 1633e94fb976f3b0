/**
 * The routing preview contract (`POST /v1/routing/preview`): the routing facts of a
 * person in, the lead service office (or the typed refusal) out. The request reuses the
 * field schemas of the routing input (shared/domain/routing), without the load picture:
 * the preview breaks ties without open-referral counts, referral intake uses them.
 */
import * as z from 'zod';
import { providerById } from '#shared/domain/directory/lookup.ts';
import type { Directory } from '#shared/domain/directory/schema.ts';
import { UnprocessableContent } from '#shared/domain/errors.ts';
import {
  CANDIDATE_OUTCOMES,
  REFUSAL_REASONS,
  type RefusedDecision,
  type RoutedDecision,
  type RoutingInput,
  RoutingInputSchema,
} from '#shared/domain/routing/index.ts';
import { ProblemSchema } from './problem.ts';

const input = RoutingInputSchema.shape;

const ConsentScopeFacts = input.consentScope.meta({
  id: 'RoutingConsentScope',
  description:
    'Recipients the consent allows: offices of these service types, or of these providers. Both lists empty allow nothing.',
});

export const RoutingPreviewRequest = z
  .strictObject({
    dateOfBirth: input.dateOfBirth.meta({
      description: 'Date of birth (YYYY-MM-DD); not after referralDate.',
    }),
    municipality: input.municipality.meta({
      description: 'Official municipality key (AGS) of the place of residence.',
      example: '08215009',
    }),
    residenceStatus: input.residenceStatus,
    housing: input.housing.meta({
      description: '`anschlussunterbringung` (municipal follow-up housing for refugees) or `other`.',
    }),
    languages: input.languages.meta({
      description: 'ISO 639-1 codes in the order of preference (first = best); may be empty.',
    }),
    consentScope: ConsentScopeFacts,
    preferredProviderId: input.preferredProviderId.meta({
      description: 'The provider the person chose in the consent (Trägerpluralität).',
    }),
    referralDate: input.referralDate
      .optional()
      .meta({ description: 'The calendar date to route on; default today in Europe/Berlin.' }),
  })
  .meta({
    id: 'RoutingPreviewRequest',
    description:
      'Body of POST /v1/routing/preview: the facts routing decides on. Nothing is stored or logged; ties are broken without open-referral counts.',
  });
export type RoutingPreviewRequest = z.infer<typeof RoutingPreviewRequest>;

const RoutingCandidateView = z
  .strictObject({
    officeId: z.string(),
    providerId: z.string(),
    outcome: z.enum(CANDIDATE_OUTCOMES),
  })
  .meta({
    id: 'RoutingCandidate',
    description: 'An office of the applicable service type covering the municipality, and what became of it.',
  });

export const RoutingPreview = z
  .strictObject({
    office: z.strictObject({
      id: z.string(),
      name: z.string(),
      type: z.string().meta({ description: 'Service type, e.g. MBE, JMD, IM.' }),
    }),
    provider: z.strictObject({ id: z.string(), name: z.string() }),
    ruleId: z.string().meta({ description: 'The routing rule that chose the service type.' }),
    reason: z.string().meta({ description: 'Why this office, in one sentence.' }),
    candidates: z.array(RoutingCandidateView),
    referralDate: z.iso.date(),
    directoryVersion: z.string(),
  })
  .meta({ id: 'RoutingPreview', description: 'The lead service office routing chooses, and why.' });
export type RoutingPreview = z.infer<typeof RoutingPreview>;

/** Routing refuses the referral (422); `refusal` is the reason code (docs/routing.md). */
export class RoutingRefused extends UnprocessableContent {
  override readonly code = 'routing-refused';
  constructor(decision: RefusedDecision, referralDate: string) {
    super(decision.message, [], {
      refusal: decision.reason,
      ...(decision.ruleId === undefined ? {} : { ruleId: decision.ruleId }),
      candidates: decision.candidates,
      referralDate,
      directoryVersion: decision.directoryVersion,
    });
  }
}

export const RoutingRefusalProblem = ProblemSchema.extend({
  refusal: z.enum(REFUSAL_REASONS).meta({ description: 'Why routing refused (docs/routing.md).' }),
  ruleId: z.string().optional().meta({ description: 'The rule that applied, when one was found.' }),
  candidates: z.array(RoutingCandidateView),
  referralDate: z.iso.date(),
  directoryVersion: z.string(),
}).meta({
  id: 'RoutingRefusalProblem',
  description:
    'Problem type `routing-refused`: no office can lead. `detail` explains it in one sentence; `refusal` is the reason code.',
});

/** The routing input of a preview: the request's facts, the date filled in, no load picture. */
export function previewInput(request: RoutingPreviewRequest, today: string): RoutingInput {
  return { ...request, referralDate: request.referralDate ?? today };
}

/** The answer for a routed decision. */
export function routingPreviewOf(
  decision: RoutedDecision,
  directory: Directory,
  referralDate: string,
): RoutingPreview {
  const { office } = decision;
  return {
    office: { id: office.id, name: office.name, type: office.type },
    provider: {
      id: office.providerId,
      name: providerById(directory, office.providerId)?.name ?? office.providerId,
    },
    ruleId: decision.ruleId,
    reason: decision.reason,
    candidates: decision.candidates.map((c) => ({ ...c })),
    referralDate,
    directoryVersion: decision.directoryVersion,
  };
}
