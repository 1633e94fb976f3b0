/**
 * The API as the people's pages call it: the signed-in person's ID token as
 * `Authorization: Bearer`, on the people's twin of each operation (docs/sign-in.md).
 * Paths are relative to where the pages are served, so API Gateway's stage prefix is
 * kept. An answer that is not 2xx throws ApiError with its problem document, which the
 * page turns into words (common/problems.ts), never shows raw.
 */

/** An RFC 9457 problem document as the API answers errors. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly reason?: string;
  readonly errors?: readonly { readonly field: string; readonly reason: string }[];
  readonly [member: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }

  /**
   * The type's code: the API's types are tag URIs (`tag:referral-exchange,2026:problem:not-found`,
   * shared/http/problem.ts), others may be URLs (`…/problems/not-found`); either gives `not-found`.
   */
  get code(): string | undefined {
    return this.problem?.type?.split(/[/:]/).pop();
  }
}

/** The API's base URL: the page's URL without its trailing page name (`/dpo`, `/office` …). */
export function apiBase(location: Pick<Location, 'origin' | 'pathname'>, page: string): string {
  return `${location.origin}${location.pathname.replace(new RegExp(`/${page}/?$`), '')}`;
}

export type Query = Readonly<Record<string, string | number | readonly string[] | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface PeopleApiOptions {
  readonly base: string;
  /** The people's path prefix, prepended to every `/v1/…` path. */
  readonly prefix: string;
  /** The current ID token; undefined when signed out. */
  readonly token: () => string | undefined;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export class PeopleApi {
  readonly #options: PeopleApiOptions;
  readonly #fetch: typeof fetch;

  constructor(options: PeopleApiOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Resolves with the Response; throws ApiError for a non-2xx answer. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined || v === '') continue;
      if (Array.isArray(v)) for (const item of v) search.append(k, item);
      else search.set(k, String(v));
    }
    const url = `${this.#options.base}${this.#options.prefix}${path}${search.size > 0 ? `?${search}` : ''}`;
    const token = this.#options.token();
    if (!token) throw new ApiError(401, { type: 'unauthenticated', title: 'Not signed in' });
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    const response = await this.#fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...options.headers,
        authorization: `Bearer ${token}`,
        ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(text !== undefined ? { body: text } : {}),
      credentials: 'omit',
    });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return response;
  }

  async json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return (await this.request(method, path, options)).json() as Promise<T>;
  }

  /** A public operation: no token. */
  async publicJson<T>(path: string): Promise<T> {
    const response = await this.#fetch(`${this.#options.base}${path}`, { credentials: 'omit' });
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return response.json() as Promise<T>;
  }
}

async function problemOf(response: Response): Promise<Problem | undefined> {
  return (await response.json().catch(() => undefined)) as Problem | undefined;
}
