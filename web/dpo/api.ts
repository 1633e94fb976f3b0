/**
 * The audit API as the page calls it, with the signed-in officer's ID token
 * (common/api.ts). Response types are the API's own schemas.
 */
import type * as z from 'zod';
import type {
  AuditEntriesPage,
  AuditEntriesQuery,
  AuditEventsPage,
  AuditEventsQuery,
  CheckpointsPage,
  CheckpointView,
  ConsistencyProof,
  InclusionProof,
  SubjectLookupResponse,
  VerifierKeyView,
} from '#shared/schemas/audit.ts';
import type { ErasureStatus, RequestErasureRequest } from '#shared/schemas/referral.ts';
import type { PeopleApi, Query, RequestOptions } from '#web/common/api.ts';

export type { ErasureStatus };

export type EventsPage = z.output<typeof AuditEventsPage>;
export type EventItem = EventsPage['items'][number];
export type EntriesPage = z.output<typeof AuditEntriesPage>;
export type Checkpoint = z.output<typeof CheckpointView>;
export type CheckpointPage = z.output<typeof CheckpointsPage>;
export type EventsQuery = Partial<z.output<typeof AuditEventsQuery>>;
export type InclusionProofView = z.output<typeof InclusionProof>;
export type ConsistencyProofView = z.output<typeof ConsistencyProof>;
export type EntriesQuery = Partial<z.output<typeof AuditEntriesQuery>>;

/** The audit operations a data-protection officer's page calls, over the people's API. */
export class AuditApi {
  readonly #api: PeopleApi;

  constructor(api: PeopleApi) {
    this.#api = api;
  }

  json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return this.#api.json<T>(method, path, options);
  }

  events(query: EventsQuery): Promise<EventsPage> {
    return this.json('GET', '/v1/audit/events', { query: query as Query });
  }

  entries(query: EntriesQuery): Promise<EntriesPage> {
    return this.json('GET', '/v1/audit/entries', { query: query as Query });
  }

  latestCheckpoint(): Promise<Checkpoint> {
    return this.json('GET', '/v1/audit/checkpoints/latest');
  }

  checkpoints(query: { limit?: number; cursor?: string }): Promise<CheckpointPage> {
    return this.json('GET', '/v1/audit/checkpoints', { query });
  }

  /** RFC 9162 inclusion proof of one entry against the newest (or the given) signed checkpoint. */
  inclusionProof(query: { sequence: number; treeSize?: number }): Promise<InclusionProofView> {
    return this.json('GET', '/v1/audit/proofs/inclusion', { query });
  }

  /** RFC 9162 consistency proof between the signed checkpoints of two tree sizes. */
  consistencyProof(query: { fromTreeSize: number; toTreeSize?: number }): Promise<ConsistencyProofView> {
    return this.json('GET', '/v1/audit/proofs/consistency', { query });
  }

  lookupSubject(identity: object): Promise<z.output<typeof SubjectLookupResponse>> {
    return this.json('POST', '/v1/audit/subjects/lookup', { body: identity });
  }

  async reportHtml(subjectId: string): Promise<string> {
    const response = await this.#api.request(
      'GET',
      `/v1/audit/subjects/${encodeURIComponent(subjectId)}/report`,
      {
        query: { format: 'html' },
        headers: { accept: 'text/html' },
      },
    );
    return response.text();
  }

  /** The record of processing activities (Art. 30) as a printable page. */
  async recordHtml(): Promise<string> {
    const response = await this.#api.request('GET', '/v1/audit/record-of-processing', {
      query: { format: 'html' },
      headers: { accept: 'text/html' },
    });
    return response.text();
  }

  /** Who was asked to erase the data given under a consent, and who confirmed. */
  erasureStatus(consentId: string): Promise<ErasureStatus> {
    return this.json('GET', `/v1/consents/${encodeURIComponent(consentId)}/erasure`);
  }

  /** Records the person's erasure request; the key makes a retry of the same request harmless. */
  requestErasure(
    consentId: string,
    body: RequestErasureRequest,
    idempotencyKey: string,
  ): Promise<ErasureStatus> {
    return this.json('POST', `/v1/consents/${encodeURIComponent(consentId)}/erasure`, {
      body,
      headers: { 'idempotency-key': idempotencyKey },
    });
  }

  /** Public: needs no sign-in. */
  verifierKey(): Promise<z.output<typeof VerifierKeyView>> {
    return this.#api.publicJson('/v1/audit/verifier-key');
  }
}
