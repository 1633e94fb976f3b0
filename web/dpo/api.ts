/**
 * The audit API as the page calls it: every request signed in the browser with the
 * SDK's signer (shared/sdk/signed-fetch.ts: @smithy/signature-v4, the code every
 * other client of this API signs with) and the credential held in memory. Paths are
 * relative to where the page is served (`…/dpo`), so the stage prefix of API
 * Gateway is kept. Response types are the API's own schemas.
 */
import type * as z from 'zod';
import type {
  AuditEntriesPage,
  AuditEntriesQuery,
  AuditEventsPage,
  AuditEventsQuery,
  CheckpointsPage,
  CheckpointView,
  SubjectLookupResponse,
  VerifierKeyView,
} from '#shared/schemas/audit.ts';
import { type SigningCredentials, signRequest } from '#shared/sdk/signed-fetch.ts';

/** An RFC 9457 problem document as the API answers errors. */
export interface Problem {
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly reason: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** The API's base URL: the page's URL without its trailing `/dpo`. */
export function apiBase(location: Pick<Location, 'origin' | 'pathname'>): string {
  return `${location.origin}${location.pathname.replace(/\/dpo\/?$/, '')}`;
}

type Query = Readonly<Record<string, string | number | undefined>>;

interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type EventsPage = z.output<typeof AuditEventsPage>;
export type EventItem = EventsPage['items'][number];
export type EntriesPage = z.output<typeof AuditEntriesPage>;
export type Checkpoint = z.output<typeof CheckpointView>;
export type CheckpointPage = z.output<typeof CheckpointsPage>;
export type EventsQuery = Partial<z.output<typeof AuditEventsQuery>>;
export type EntriesQuery = Partial<z.output<typeof AuditEntriesQuery>>;

export interface Whoami {
  readonly principal: string;
  readonly kind: string;
}

export interface AuditApiOptions {
  readonly base: string;
  readonly region: string;
  readonly credentials: SigningCredentials;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export class AuditApi {
  readonly #base: string;
  readonly #region: string;
  readonly #credentials: SigningCredentials;
  readonly #fetch: typeof fetch;

  constructor(options: AuditApiOptions) {
    this.#base = options.base;
    this.#region = options.region;
    this.#credentials = options.credentials;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** A signed request; resolves with the Response, throws ApiError for a non-2xx answer. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined && v !== '') search.set(k, String(v));
    const url = `${this.#base}${path}${search.size > 0 ? `?${search}` : ''}`;
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = {
      accept: 'application/json',
      ...options.headers,
      ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    const signed = await signRequest(
      url,
      { method, headers, ...(text !== undefined ? { body: text } : {}) },
      this.#credentials,
      this.#region,
    );
    // The browser sets `host` itself and refuses a script that tries to.
    const { host: _host, ...sendable } = signed;
    const response = await this.#fetch(url, {
      method,
      headers: sendable,
      ...(text !== undefined ? { body: text } : {}),
      credentials: 'omit',
    });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return response;
  }

  async json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return (await this.request(method, path, options)).json() as Promise<T>;
  }

  whoami(): Promise<Whoami> {
    return this.json('GET', '/v1/whoami');
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

  lookupSubject(identity: object): Promise<z.output<typeof SubjectLookupResponse>> {
    return this.json('POST', '/v1/audit/subjects/lookup', { body: identity });
  }

  async reportHtml(subjectId: string): Promise<string> {
    const response = await this.request('GET', `/v1/audit/subjects/${encodeURIComponent(subjectId)}/report`, {
      query: { format: 'html' },
      headers: { accept: 'text/html' },
    });
    return response.text();
  }

  /** Public: needs no signature. */
  async verifierKey(): Promise<z.output<typeof VerifierKeyView>> {
    const response = await this.#fetch(`${this.#base}/v1/audit/verifier-key`, { credentials: 'omit' });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return response.json() as Promise<z.output<typeof VerifierKeyView>>;
  }
}

async function problemOf(response: Response): Promise<Problem | undefined> {
  return (await response.json().catch(() => undefined)) as Problem | undefined;
}
