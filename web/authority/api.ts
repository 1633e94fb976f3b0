/**
 * The operations the clerk desk calls, over the people's API with the clerk's ID token
 * (common/api.ts). Response types are the API's own schemas.
 */
import type * as z from 'zod';
import type {
  ConsentReceipt,
  ConsentView,
  RecordConsentRequestInput,
  WithdrawConsentRequest,
} from '#shared/schemas/consent.ts';
import type { DirectorySummary } from '#shared/schemas/directory.ts';
import type {
  ReferralAccepted,
  ReferralFeedPage,
  ReferralStatus,
  SubmitReferralRequest,
} from '#shared/schemas/referral.ts';
import type { RoutingPreview, RoutingPreviewRequest } from '#shared/schemas/routing.ts';
import type { PeopleApi } from '#web/common/api.ts';

export type FeedPage = z.output<typeof ReferralFeedPage>;
export type FeedItem = FeedPage['items'][number];

export interface FeedQuery {
  readonly status?: readonly ReferralStatus[];
  readonly changedSince?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export class ClerkApi {
  readonly #api: PeopleApi;

  constructor(api: PeopleApi) {
    this.#api = api;
  }

  directory(): Promise<DirectorySummary> {
    return this.#api.json('GET', '/v1/directory');
  }

  recordConsent(body: RecordConsentRequestInput, idempotencyKey: string): Promise<ConsentView> {
    return this.#api.json('POST', '/v1/consents', { body, headers: { 'idempotency-key': idempotencyKey } });
  }

  consent(id: string): Promise<ConsentView> {
    return this.#api.json('GET', `/v1/consents/${encodeURIComponent(id)}`);
  }

  /** The consent's receipt for the person (JSON; the page draws and prints it). */
  consentReceipt(id: string): Promise<ConsentReceipt> {
    return this.#api.json('GET', `/v1/consents/${encodeURIComponent(id)}/receipt`);
  }

  withdrawConsent(id: string, body: WithdrawConsentRequest): Promise<ConsentView> {
    return this.#api.json('POST', `/v1/consents/${encodeURIComponent(id)}/withdrawal`, { body });
  }

  previewRouting(body: RoutingPreviewRequest): Promise<RoutingPreview> {
    return this.#api.json('POST', '/v1/routing/preview', { body });
  }

  refer(body: SubmitReferralRequest, idempotencyKey: string): Promise<ReferralAccepted> {
    return this.#api.json('POST', '/v1/referrals', { body, headers: { 'idempotency-key': idempotencyKey } });
  }

  referrals(query: FeedQuery): Promise<FeedPage> {
    return this.#api.json('GET', '/v1/referrals', {
      query: {
        status: query.status && query.status.length > 0 ? query.status.join(',') : undefined,
        changedSince: query.changedSince,
        limit: query.limit,
        cursor: query.cursor,
      },
    });
  }
}
