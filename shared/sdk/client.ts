/**
 * The typed client of the referral-exchange API for counselling services and
 * authorities (and the `rex` CLI). The events on an authority's queue are read with
 * `parseAuthorityEvent` (./events.ts). Every method is bound to an operation definition of `shared/api/`:
 * method and path come from the OperationSpec itself, request types from its zod
 * schemas, so the client cannot drift from the API (test/unit/sdk/ checks it against
 * the OpenAPI document as well).
 *
 * ```ts
 * const rex = new RexClient({ endpoint, region: 'eu-central-1', credentials });
 * const { principal } = await rex.whoami();
 * ```
 *
 * Errors of the API arrive as RexApiError carrying the RFC 9457 problem document.
 */
import type * as z from 'zod';
import {
  getAuditConsistencyProof,
  getAuditInclusionProof,
  getAuditVerifierKey,
  getLatestAuditCheckpoint,
  getRecordOfProcessing,
  listAuditCheckpoints,
  listAuditEntries,
  recordAuditExport,
} from '#shared/api/audit.ts';
import { getConsentForm, getConsentReceipt, listConsentForms } from '#shared/api/consents.ts';
import { confirmErasure, getErasureStatus, requestErasure } from '#shared/api/erasure.ts';
import { getOfficeKeys, publishOfficeKeys, retireOfficeKey } from '#shared/api/keys.ts';
import {
  acknowledgeReceipt,
  getReferral,
  listReferrals,
  reportReferralStatus,
} from '#shared/api/referrals.ts';
import { getHealth, whoAmI } from '#shared/api/system.ts';
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import type {
  CheckpointView,
  ConsistencyProof,
  ExportRecord,
  InclusionProof,
  RecordExportRequest,
  VerifierKeyView,
} from '#shared/schemas/audit.ts';
import type { ConsentFormTextList, ConsentFormTextView, ConsentReceipt } from '#shared/schemas/consent.ts';
import type { OfficeKeys, PublishKeysBodySchema, RetireKeyBodySchema } from '#shared/schemas/keys.ts';
import type { ProblemBody } from '#shared/schemas/problem.ts';
import type { RecordOfProcessing } from '#shared/schemas/record-of-processing.ts';
import type {
  ErasureStatus,
  ReferralFeedPage,
  ReferralStatus,
  ReferralView,
  ReportStatusRequest,
  RequestErasureRequest,
} from '#shared/schemas/referral.ts';
import type { HealthReport, WhoAmI } from '#shared/schemas/system.ts';
import { type SigningCredentials, signedFetch } from './signed-fetch.ts';

/**
 * The operations this client calls, by method name. Adding a method means adding
 * its operation here first; method and path are never written by hand.
 */
export const sdkOperations = {
  whoami: whoAmI,
  getHealth,
  publishKeys: publishOfficeKeys,
  retireKey: retireOfficeKey,
  getKeys: getOfficeKeys,
  getReferral,
  listReferrals,
  acknowledgeReceipt,
  confirmErasure,
  requestErasure,
  erasureStatus: getErasureStatus,
  reportStatus: reportReferralStatus,
  auditEntries: listAuditEntries,
  auditCheckpoints: listAuditCheckpoints,
  latestCheckpoint: getLatestAuditCheckpoint,
  verifierKey: getAuditVerifierKey,
  recordExport: recordAuditExport,
  inclusionProof: getAuditInclusionProof,
  consistencyProof: getAuditConsistencyProof,
  recordOfProcessing: getRecordOfProcessing,
  consentReceipt: getConsentReceipt,
  consentReceiptHtml: getConsentReceipt,
  listConsentForms,
  getConsentForm,
} as const satisfies Record<string, OperationSpec>;

export type SdkMethod = keyof typeof sdkOperations;

export interface RexClientOptions {
  /** Base URL of the API, e.g. `https://abc.execute-api.eu-central-1.amazonaws.com/prod` or `http://127.0.0.1:3000/local`. */
  readonly endpoint: string;
  readonly region: string;
  /** Needed for every operation except the public ones. */
  readonly credentials?: SigningCredentials;
}

/** An answer of the API that is not a success: the problem document, typed. */
export class RexApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  /** Each offending field and why (never its value). */
  readonly errors: readonly { field: string; reason: string }[];
  readonly problem: ProblemBody;
  readonly operationId: string;

  constructor(operationId: string, problem: ProblemBody) {
    super(`${operationId}: ${problem.status} ${problem.detail ?? problem.title}`);
    this.name = 'RexApiError';
    this.operationId = operationId;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.problem = problem;
  }

  /** The last segment of the problem type, e.g. `not-found`, `conflict`. */
  get code(): string {
    return this.type.slice(this.type.lastIndexOf(':') + 1);
  }
}

/** The API could not be reached at all (DNS, refused connection, TLS). */
export class RexConnectionError extends Error {
  constructor(endpoint: string, cause: unknown) {
    super(`Cannot reach the API at ${endpoint}.`, { cause });
    this.name = 'RexConnectionError';
  }
}

export interface CallInput {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  /** Statuses other than 2xx that carry a regular answer (e.g. 503 of the health report). */
  readonly acceptStatus?: readonly number[];
  /** Ask for this representation and return the body as text (e.g. `text/html`), not parsed JSON. */
  readonly textAs?: string;
}

/** Fills `{name}` placeholders of an operation path, each value percent-encoded. */
export function expandPath(path: string, params: Readonly<Record<string, string>> = {}): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`Missing path parameter ${name}.`);
    return encodeURIComponent(value);
  });
}

/** Turns any non-success response into the problem it stands for. */
export async function problemOf(response: Response): Promise<ProblemBody> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as Partial<ProblemBody>;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.type === 'string') {
      return {
        ...parsed,
        status: response.status,
        title: parsed.title ?? response.statusText,
      } as ProblemBody;
    }
  } catch {
    // not JSON: fall through to a generic problem
  }
  return { type: 'about:blank', title: response.statusText || 'Error', status: response.status };
}

export class RexClient {
  readonly #endpoint: string;
  readonly #region: string;
  readonly #credentials: SigningCredentials | undefined;

  constructor(options: RexClientOptions) {
    this.#endpoint = options.endpoint.replace(/\/+$/, '');
    this.#region = options.region;
    this.#credentials = options.credentials;
  }

  /** Calls one operation; the typed methods below are thin wrappers around this. */
  async call<T>(operation: OperationSpec, input: CallInput = {}): Promise<T> {
    const search = new URLSearchParams(input.query ?? {}).toString();
    const url = `${this.#endpoint}${expandPath(operation.path, input.params)}${search ? `?${search}` : ''}`;
    const headers: Record<string, string> = { accept: input.textAs ?? 'application/json' };
    const body = input.body === undefined ? undefined : JSON.stringify(input.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (input.idempotencyKey !== undefined) headers['idempotency-key'] = input.idempotencyKey;
    const init = { method: operation.method, headers, ...(body !== undefined ? { body } : {}) };

    const signed = operation.auth !== 'public';
    if (signed && !this.#credentials) {
      throw new TypeError(`${operation.operationId} needs credentials; the client has none.`);
    }
    let response: Response;
    try {
      response =
        signed && this.#credentials
          ? await signedFetch(url, init, this.#credentials, this.#region)
          : await fetch(url, init);
    } catch (error) {
      throw new RexConnectionError(this.#endpoint, error);
    }
    if (response.ok || input.acceptStatus?.includes(response.status)) {
      const text = await response.text();
      if (input.textAs !== undefined) return text as T;
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
    throw new RexApiError(operation.operationId, await problemOf(response));
  }

  /** The principal this client's credential stands for. */
  whoami(): Promise<WhoAmI> {
    return this.call(sdkOperations.whoami);
  }

  /** The API's health; a degraded report (503) is returned, not thrown. */
  getHealth(): Promise<HealthReport> {
    return this.call(sdkOperations.getHealth, { acceptStatus: [503] });
  }

  /** Publishes public keys for the caller's own office; the last (or `current`) becomes current. */
  publishKeys(officeId: string, jwks: z.input<typeof PublishKeysBodySchema>): Promise<OfficeKeys> {
    return this.call(sdkOperations.publishKeys, { params: { id: officeId }, body: jwks });
  }

  /** Retires a key of the caller's own office; the current key only with a `successor`. */
  retireKey(
    officeId: string,
    kid: string,
    options: z.input<typeof RetireKeyBodySchema> = {},
  ): Promise<OfficeKeys> {
    return this.call(sdkOperations.retireKey, { params: { id: officeId, kid }, body: options });
  }

  /** The published keys of any office (public; no credential needed). */
  getKeys(officeId: string): Promise<OfficeKeys> {
    return this.call(sdkOperations.getKeys, { params: { id: officeId } });
  }

  /** A referral with its status history (the sending authority or the receiving office). */
  getReferral(referralId: string): Promise<ReferralView> {
    return this.call(sdkOperations.getReferral, { params: { id: referralId } });
  }

  /**
   * One page of the caller's referrals, newest change first (an authority: those it sent;
   * an office: those addressed to it). `changedSince` is inclusive; pass `nextCursor` back
   * as `cursor` for the next page.
   */
  listReferrals(
    query: {
      status?: ReferralStatus | readonly ReferralStatus[];
      changedSince?: string | Date;
      limit?: number;
      cursor?: string;
    } = {},
  ): Promise<ReferralFeedPage> {
    const status = typeof query.status === 'string' ? query.status : query.status?.join(',');
    const changedSince =
      query.changedSince instanceof Date ? query.changedSince.toISOString() : query.changedSince;
    return this.call(sdkOperations.listReferrals, {
      query: stringValues({ status, changedSince, limit: query.limit, cursor: query.cursor }),
    });
  }

  /** Confirms that the office erased a referral's data after an erasure request (docs/consent.md). */
  confirmErasure(referralId: string): Promise<ReferralView> {
    return this.call(sdkOperations.confirmErasure, { params: { id: referralId } });
  }

  /**
   * Records the person's erasure request for the data given under a consent (authority or
   * DPO): every office that received it is asked to erase it. A retry with the same key
   * and body answers the first answer again.
   */
  requestErasure(
    consentId: string,
    request: RequestErasureRequest,
    idempotencyKey: string,
  ): Promise<ErasureStatus> {
    return this.call(sdkOperations.requestErasure, {
      params: { id: consentId },
      body: request,
      idempotencyKey,
    });
  }

  /** Which offices were asked to erase the data given under a consent, and which confirmed. */
  erasureStatus(consentId: string): Promise<ErasureStatus> {
    return this.call(sdkOperations.erasureStatus, { params: { id: consentId } });
  }

  /**
   * Acknowledges a notification before decrypting it (idempotent). A revoked or expired
   * referral answers 410 (a RexApiError): discard the message unread.
   */
  acknowledgeReceipt(referralId: string): Promise<ReferralView> {
    return this.call(sdkOperations.acknowledgeReceipt, { params: { id: referralId } });
  }

  /** Reports contact made, closed or declined (with a reason code) for the office's own referral. */
  reportStatus(referralId: string, report: ReportStatusRequest): Promise<ReferralView> {
    return this.call(sdkOperations.reportStatus, { params: { id: referralId }, body: report });
  }

  /** A page of sequenced audit entries in chain order (DPO): the export feed. */
  auditEntries(query: {
    fromSequence?: number;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: AuditEntry[]; headSequence: number; nextCursor?: string }> {
    return this.call(sdkOperations.auditEntries, { query: stringValues(query) });
  }

  /** A page of signed checkpoints, newest first (DPO). */
  auditCheckpoints(
    query: { limit?: number; cursor?: string; maxTreeSize?: number } = {},
  ): Promise<{ items: CheckpointView[]; nextCursor?: string }> {
    return this.call(sdkOperations.auditCheckpoints, { query: stringValues(query) });
  }

  /** The newest signed checkpoint (DPO); a RexApiError 404 before the first one. */
  latestCheckpoint(): Promise<CheckpointView> {
    return this.call(sdkOperations.latestCheckpoint);
  }

  /** The public key that signs checkpoints (public). */
  verifierKey(): Promise<z.output<typeof VerifierKeyView>> {
    return this.call(sdkOperations.verifierKey);
  }

  /** The RFC 9162 inclusion proof of an entry against a signed checkpoint, the newest by default (DPO). */
  inclusionProof(query: { sequence: number; treeSize?: number }): Promise<InclusionProof> {
    return this.call(sdkOperations.inclusionProof, { query: stringValues(query) });
  }

  /** The RFC 9162 consistency proof between two signed checkpoints, to the newest by default (DPO). */
  consistencyProof(query: { fromTreeSize: number; toTreeSize?: number }): Promise<ConsistencyProof> {
    return this.call(sdkOperations.consistencyProof, { query: stringValues(query) });
  }

  /** The record of processing activities (Art. 30 GDPR): JSON, or the printable HTML page with `{ html: true }` (DPO). */
  recordOfProcessing(): Promise<RecordOfProcessing>;
  recordOfProcessing(options: { html: true }): Promise<string>;
  recordOfProcessing(options?: { html?: boolean }): Promise<RecordOfProcessing | string> {
    return this.call(sdkOperations.recordOfProcessing, options?.html === true ? { textAs: 'text/html' } : {});
  }

  /**
   * The receipt of a consent for the person (authority or DPO): what was consented to, in
   * German and English, and how to withdraw it (docs/consent.md, "The consent receipt").
   */
  consentReceipt(consentId: string): Promise<ConsentReceipt> {
    return this.call(sdkOperations.consentReceipt, { params: { id: consentId } });
  }

  /** The same receipt as the printable HTML page (German, then English). */
  consentReceiptHtml(consentId: string): Promise<string> {
    return this.call(sdkOperations.consentReceiptHtml, {
      params: { id: consentId },
      query: { format: 'html' },
      textAs: 'text/html',
    });
  }

  /** The deployment's consent form texts, each with the `formVersion` that names it (public). */
  listConsentForms(): Promise<z.output<typeof ConsentFormTextList>> {
    return this.call(sdkOperations.listConsentForms);
  }

  /** One consent form text, exactly as signed, by the SHA-256 of its file (public). */
  getConsentForm(sha256: string): Promise<ConsentFormTextView> {
    return this.call(sdkOperations.getConsentForm, { params: { sha256 } });
  }

  /** Records that an export is made (`export.made`), before downloading (DPO). */
  recordExport(request: RecordExportRequest, idempotencyKey: string): Promise<ExportRecord> {
    return this.call(sdkOperations.recordExport, { body: request, idempotencyKey });
  }
}

/** Every referral of the feed, page after page (the filters of `listReferrals`). */
export async function* referralFeed(
  client: RexClient,
  query: Omit<NonNullable<Parameters<RexClient['listReferrals']>[0]>, 'cursor'> = {},
): AsyncGenerator<ReferralView> {
  let cursor: string | undefined;
  do {
    const page = await client.listReferrals({ ...query, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** Query values as the query string carries them; undefined ones left out. */
function stringValues(query: Readonly<Record<string, string | number | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = String(v);
  return out;
}
