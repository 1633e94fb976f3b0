/**
 * The consent registry: recording, reading and withdrawing consents. Orchestrates the
 * pure rules of shared/domain/consent over a storage port, so that the same code runs
 * against DynamoDB (shared/adapters/consent-store.ts) and an in-memory fake in unit
 * tests. No AWS SDK here.
 *
 * Every change commits together with its audit draft; a creating request also commits
 * its idempotency record. The identity facts of the request body are used once, to
 * compute the subject id, and are neither stored nor logged nor returned.
 */
import { type AuditEntryDraft, actorFields, auditDraft } from '#shared/domain/audit/entry.ts';
import { type Clock, systemClock } from '#shared/domain/clock.ts';
import {
  type ConsentFormLibrary,
  type ConsentFormText,
  consentFormLibrary,
  formEvidenceIssue,
} from '#shared/domain/consent/forms.ts';
import {
  type ConsentRecord,
  mayRecordConsent,
  mayWithdraw,
  newConsent,
  withdraw,
} from '#shared/domain/consent/index.ts';
import type { Directory } from '#shared/domain/directory/schema.ts';
import { DependencyUnavailable, Forbidden, NotFound, UnprocessableContent } from '#shared/domain/errors.ts';
import { requestFingerprint } from '#shared/domain/idempotency.ts';
import { timeOrderedId } from '#shared/domain/ids.ts';
import { subjectIdFor } from '#shared/domain/pseudonym.ts';
import { actorOf, formatPrincipal, type Principal, parsePrincipal } from '#shared/identity/principal.ts';
import type {
  ConsentFormTextSummary,
  ConsentFormTextView,
  ConsentReceipt,
  ConsentView,
  RecordConsentRequest,
  WithdrawConsentRequest,
} from '#shared/schemas/consent.ts';
import { consentReceipt } from './consent-receipt.ts';
import { consentView } from './consent-view.ts';

/** The operation id the request fingerprint of a recording is keyed with. */
function formTextSummary(t: ConsentFormText): ConsentFormTextSummary {
  return { version: t.version, language: t.language, sha256: t.sha256, formVersion: `sha256-${t.sha256}` };
}

export const RECORD_CONSENT_OPERATION = 'recordConsent';

/** What a creating write answered: the first outcome, also for a retry. */
export interface CreatedResponse {
  readonly status: number;
  readonly body: unknown;
  readonly replayed: boolean;
}

/** The idempotency facts of a creating request, scoped to the calling principal. */
export interface CreatingRequest {
  readonly principal: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly now: Date;
  readonly response: { readonly status: number; readonly body: unknown };
}

/** Storage of consent records. One method per state change, each a single transaction. */
export interface ConsentStore {
  /** The record as last committed (a strongly consistent read), or undefined. */
  get(id: string): Promise<ConsentRecord | undefined>;
  /**
   * Stores a new record with its audit draft and the idempotency record of the request,
   * all or nothing. When the principal already used the key, nothing is written and the
   * first response is returned (or IdempotencyKeyReused thrown for another request).
   */
  create(record: ConsentRecord, draft: AuditEntryDraft, request: CreatingRequest): Promise<CreatedResponse>;
  /**
   * Replaces `previous` by `next` with the audit draft, provided the stored record is
   * still `previous` (same version) and not withdrawn. `conflict` when it changed since.
   */
  withdraw(
    previous: ConsentRecord,
    next: ConsentRecord,
    draft: AuditEntryDraft,
  ): Promise<'committed' | 'conflict'>;
  /** Whether the service office holds a referral made under this consent. */
  serviceHoldsReferralUnder(consent: ConsentRecord, officeId: string): Promise<boolean>;
}

export interface ConsentServiceDependencies {
  readonly store: ConsentStore;
  /** The deployment secret behind subject ids and request fingerprints. */
  readonly secret: () => Promise<Uint8Array>;
  readonly clock?: Clock;
  /** The deployment's consent form texts; a `sha256-…` form version must name one of them. */
  readonly forms?: () => ConsentFormLibrary;
  /** The deployment directory, for the names on a consent receipt. */
  readonly directory?: () => Directory;
  /** Generates consent ids; defaults to `newConsentId`. */
  readonly newId?: (now: Date) => string;
}

/**
 * A consent id: `con_` + 26 characters in the ULID layout (48-bit milliseconds, then
 * 80 random bits, Crockford base 32), so ids sort by creation time and never collide
 * in practice. Matches the audit record-id pattern and the API's ConsentId.
 */
export function newConsentId(now: Date = new Date()): string {
  return `con_${timeOrderedId(now)}`;
}

/** The authority id of the principal that recorded the consent (`authority:<id>`). */
function recordingAuthority(record: ConsentRecord): string | null {
  const principal = parsePrincipal(record.recordedBy);
  return principal?.kind === 'authority' ? principal.id : null;
}

/**
 * The audit purpose of a consent event: the consent's one purpose, or null when it names
 * several (the legal basis carries the consent id, under which all purposes are on
 * record; naming only one of them would misstate the event).
 */
export function auditPurposeOf(record: ConsentRecord): string | null {
  return record.purposes.length === 1 ? (record.purposes[0] ?? null) : null;
}

/** How often a withdrawal re-reads and retries after losing a race to another change. */
const MAX_WITHDRAWAL_ATTEMPTS = 8;

export class ConsentService {
  readonly #store: ConsentStore;
  readonly #secret: () => Promise<Uint8Array>;
  readonly #clock: Clock;
  readonly #newId: (now: Date) => string;
  readonly #forms: () => ConsentFormLibrary;
  readonly #directory: (() => Directory) | undefined;

  constructor(deps: ConsentServiceDependencies) {
    this.#forms = deps.forms ?? (() => consentFormLibrary([]));
    this.#directory = deps.directory;
    this.#store = deps.store;
    this.#secret = deps.secret;
    this.#clock = deps.clock ?? systemClock;
    this.#newId = deps.newId ?? newConsentId;
  }

  /**
   * Records a consent (`POST /v1/consents`). The recording authority is the caller;
   * a retry with the same Idempotency-Key and body answers the first 201 again.
   */
  async record(input: {
    readonly principal: Principal;
    readonly idempotencyKey: string;
    readonly body: RecordConsentRequest;
  }): Promise<{ status: number; body: unknown }> {
    if (!mayRecordConsent(input.principal)) throw new Forbidden('Only an authority may record a consent.');
    const formIssue = formEvidenceIssue(input.body.evidence, this.#forms());
    if (formIssue) throw new UnprocessableContent('The consent names an unknown form text.', [formIssue]);
    const now = this.#clock.now();
    const recordedBy = formatPrincipal(input.principal);
    const secret = await this.#secret();
    const consent = newConsent(input.body, {
      id: this.#newId(now),
      subjectId: subjectIdFor(input.body.subject, secret, 'subject'),
      recordedBy,
      now,
    });
    const draft = auditDraft(
      {
        event: 'consent.recorded',
        ...actorFields(actorOf(input.principal)),
        time: now,
        subjectId: consent.subjectId,
        authorityId: recordingAuthority(consent),
        dataCategories: consent.dataCategories,
        consentId: consent.id,
        purpose: auditPurposeOf(consent),
      },
      this.#clock,
    );
    const created = await this.#store.create(consent, draft, {
      principal: recordedBy,
      idempotencyKey: input.idempotencyKey,
      // Keyed with the deployment secret: the body holds identity data.
      requestHash: requestFingerprint(secret, { operationId: RECORD_CONSENT_OPERATION, body: input.body }),
      now,
      response: { status: 201, body: consentView(consent, now) },
    });
    return { status: created.status, body: created.body };
  }

  /**
   * A consent as the caller may see it (`GET /v1/consents/{id}`): authorities and
   * data-protection officers see every consent of the deployment, a service office only
   * one it holds a referral under (otherwise 404, as if it did not exist); operators
   * administer the platform and read no consent (403).
   */
  async get(input: { readonly principal: Principal; readonly id: string }): Promise<ConsentView> {
    if (input.principal.kind === 'operator') {
      throw new Forbidden('Operators do not read consent records.');
    }
    const record = await this.#store.get(input.id);
    if (!record || !(await this.#maySee(input.principal, record))) throw new NotFound('consent');
    return consentView(record, this.#clock.now());
  }

  /**
   * The receipt of a consent (`GET /v1/consents/{id}/receipt`), for the authority to
   * hand to the person and for a DPO; other kinds are refused by the API (403).
   */
  async receipt(input: { readonly principal: Principal; readonly id: string }): Promise<ConsentReceipt> {
    if (input.principal.kind !== 'authority' && input.principal.kind !== 'dpo')
      throw new Forbidden('Only authorities and data-protection officers read consent receipts.');
    if (!this.#directory) throw new DependencyUnavailable('directory');
    const record = await this.#store.get(input.id);
    if (!record) throw new NotFound('consent');
    return consentReceipt({
      record,
      directory: this.#directory(),
      forms: this.#forms(),
      now: this.#clock.now(),
    });
  }

  /** The form texts of the deployment (`GET /v1/consent-forms`). */
  formTexts(): { items: ConsentFormTextSummary[] } {
    return { items: this.#forms().all().map(formTextSummary) };
  }

  /** One form text by digest (`GET /v1/consent-forms/{sha256}`). */
  formText(sha256: string): ConsentFormTextView {
    const text = this.#forms().byDigest(sha256);
    if (!text) throw new NotFound('consent form text');
    return { ...formTextSummary(text), text: text.text };
  }

  /**
   * Withdraws a consent (`POST /v1/consents/{id}/withdrawal`). Idempotent: a consent
   * already withdrawn is answered as it is, with no second audit entry. Concurrent
   * withdrawals commit exactly once; the others re-read and find it withdrawn.
   */
  async withdraw(input: {
    readonly principal: Principal;
    readonly id: string;
    readonly body: WithdrawConsentRequest;
  }): Promise<ConsentView> {
    const { principal } = input;
    if (principal.kind !== 'authority' && principal.kind !== 'service') {
      throw new Forbidden(`A ${principal.kind} principal cannot withdraw a consent.`);
    }
    const by = formatPrincipal(principal);
    let authorised = false;
    for (let attempt = 1; attempt <= MAX_WITHDRAWAL_ATTEMPTS; attempt++) {
      const current = await this.#store.get(input.id);
      if (!current) throw new NotFound('consent');
      if (!authorised) {
        const holds =
          principal.kind === 'service' &&
          (await this.#store.serviceHoldsReferralUnder(current, principal.id));
        // A consent the caller may not act on is reported as absent, never as forbidden.
        if (!mayWithdraw(principal, current, { principalHoldsReferralUnderConsent: holds })) {
          throw new NotFound('consent');
        }
        authorised = true;
      }
      const now = this.#clock.now();
      const result = withdraw(current, { by, now, reason: input.body.reason });
      if (!result.changed) return consentView(current, now);
      const draft = auditDraft(
        {
          event: 'consent.withdrawn',
          ...actorFields(actorOf(principal)),
          time: now,
          subjectId: current.subjectId,
          authorityId: recordingAuthority(current),
          serviceOfficeId: principal.kind === 'service' ? principal.id : null,
          dataCategories: current.dataCategories,
          consentId: current.id,
          purpose: auditPurposeOf(current),
          reason: input.body.reason ?? null,
        },
        this.#clock,
      );
      if ((await this.#store.withdraw(current, result.record, draft)) === 'committed') {
        return consentView(result.record, now);
      }
    }
    throw new DependencyUnavailable('The consent is being changed concurrently; retry the withdrawal.');
  }

  async #maySee(principal: Principal, record: ConsentRecord): Promise<boolean> {
    switch (principal.kind) {
      case 'authority':
      case 'dpo':
        return true;
      case 'service':
        return this.#store.serviceHoldsReferralUnder(record, principal.id);
      case 'operator':
        return false;
    }
  }
}
