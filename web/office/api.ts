/**
 * The operations the office's page calls, over the people's API with the counsellor's
 * ID token (common/api.ts). Types are the API's own schemas; nothing here carries a
 * private key: keys are published as public JWKs only.
 */
import type { DirectorySummary } from '#shared/schemas/directory.ts';
import type { OfficeKeys } from '#shared/schemas/keys.ts';
import type {
  ReferralCiphertext,
  ReferralFeedPage,
  ReferralStatus,
  ReferralView,
  ReportStatusRequest,
} from '#shared/schemas/referral.ts';
import type { PeopleApi } from '#web/common/api.ts';

export type { DirectorySummary, OfficeKeys, ReferralView };

/** The public members of a recipient JWK, as published. */
export type PublicJwk = Readonly<Record<string, string>> & { readonly kid: string };

const id = (value: string) => encodeURIComponent(value);

export class OfficeApi {
  readonly #api: PeopleApi;

  constructor(
    api: PeopleApi,
    readonly officeId: string,
  ) {
    this.#api = api;
  }

  keys(): Promise<OfficeKeys> {
    return this.#api.publicJson(`/v1/services/${id(this.officeId)}/keys`);
  }

  publishKey(publicJwk: PublicJwk): Promise<OfficeKeys> {
    return this.#api.json('PUT', `/v1/services/${id(this.officeId)}/keys`, {
      body: { keys: [publicJwk], current: publicJwk.kid },
    });
  }

  retireKey(kid: string, successor?: string): Promise<OfficeKeys> {
    return this.#api.json('POST', `/v1/services/${id(this.officeId)}/keys/${id(kid)}/retirement`, {
      body: successor ? { successor } : {},
    });
  }

  feed(query: {
    status?: readonly ReferralStatus[];
    limit: number;
    cursor?: string;
  }): Promise<ReferralFeedPage> {
    return this.#api.json('GET', '/v1/referrals', {
      query: {
        status: query.status && query.status.length > 0 ? query.status.join(',') : undefined,
        limit: query.limit,
        cursor: query.cursor,
      },
    });
  }

  referral(referralId: string): Promise<ReferralView> {
    return this.#api.json('GET', `/v1/referrals/${id(referralId)}`);
  }

  /** Receipt before decryption: 410 (ApiError) when revoked or expired. */
  receipt(referralId: string): Promise<ReferralView> {
    return this.#api.json('POST', `/v1/referrals/${id(referralId)}/receipt`);
  }

  ciphertext(referralId: string): Promise<ReferralCiphertext> {
    return this.#api.json('GET', `/v1/referrals/${id(referralId)}/ciphertext`);
  }

  report(referralId: string, body: ReportStatusRequest): Promise<ReferralView> {
    return this.#api.json('POST', `/v1/referrals/${id(referralId)}/status`, { body });
  }

  /** Confirms that the office erased everything it held of a referral (after an erasure request). */
  confirmErasure(referralId: string): Promise<ReferralView> {
    return this.#api.json('POST', `/v1/referrals/${id(referralId)}/erasure-confirmation`);
  }

  directory(): Promise<DirectorySummary> {
    return this.#api.json('GET', '/v1/directory');
  }
}
