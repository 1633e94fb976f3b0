/**
 * The audit API as the page calls it: every request signed in the browser
 * (sigv4.js) with the credential held in memory. Paths are relative to where the
 * page is served (`…/dpo`), so the stage prefix of API Gateway is kept.
 */
import { signRequest } from './sigv4.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** The API's base URL: the page's URL without its trailing `/dpo`. */
export function apiBase(location) {
  return `${location.origin}${location.pathname.replace(/\/dpo\/?$/, '')}`;
}

export class AuditApi {
  #base;
  #region;
  #credentials;

  constructor({ base, region, credentials }) {
    this.#base = base;
    this.#region = region;
    this.#credentials = credentials;
  }

  /** A signed request; resolves with the Response, throws ApiError for a non-2xx answer. */
  async request(method, path, { query, body, headers = {} } = {}) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined && v !== '') search.set(k, String(v));
    const url = `${this.#base}${path}${search.size > 0 ? `?${search}` : ''}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const all = {
      accept: 'application/json',
      ...headers,
      ...(text ? { 'content-type': 'application/json' } : {}),
    };
    const signed = await signRequest({
      method,
      url,
      headers: all,
      body: text ?? '',
      credentials: this.#credentials,
      region: this.#region,
    });
    const response = await fetch(url, {
      method,
      headers: signed,
      ...(text ? { body: text } : {}),
      credentials: 'omit',
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => undefined);
      throw new ApiError(response.status, problem);
    }
    return response;
  }

  async json(method, path, options) {
    return (await this.request(method, path, options)).json();
  }

  whoami() {
    return this.json('GET', '/v1/whoami');
  }

  events(query) {
    return this.json('GET', '/v1/audit/events', { query });
  }

  entries(query) {
    return this.json('GET', '/v1/audit/entries', { query });
  }

  latestCheckpoint() {
    return this.json('GET', '/v1/audit/checkpoints/latest');
  }

  checkpoints(query) {
    return this.json('GET', '/v1/audit/checkpoints', { query });
  }

  lookupSubject(identity) {
    return this.json('POST', '/v1/audit/subjects/lookup', { body: identity });
  }

  async reportHtml(subjectId) {
    const response = await this.request('GET', `/v1/audit/subjects/${encodeURIComponent(subjectId)}/report`, {
      query: { format: 'html' },
      headers: { accept: 'text/html' },
    });
    return response.text();
  }

  /** Public: needs no signature. */
  async verifierKey() {
    const response = await fetch(`${this.#base}/v1/audit/verifier-key`, { credentials: 'omit' });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
    return response.json();
  }
}
