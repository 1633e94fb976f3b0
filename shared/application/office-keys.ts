/**
 * Key publication of service offices: the application service behind
 * `PUT /v1/services/{id}/keys`, `POST …/keys/{kid}/retirement` and
 * `GET /v1/services/{id}/keys`, and the lookup intake uses to encrypt a referral.
 * The rules live in the domain (`shared/domain/crypto/key-set.ts`); this module
 * reads the office state, applies one rule, and writes the new key set with its
 * audit draft in one transaction, retrying when another writer came first.
 */
import { type AuditEntryDraft, actorFields, auditDraft } from '#shared/domain/audit/entry.ts';
import { type Clock, systemClock } from '#shared/domain/clock.ts';
import {
  activeKeys,
  currentKey,
  type OfficeKey,
  type OfficeKeySet,
  publishKeys,
  retire,
} from '#shared/domain/crypto/key-set.ts';
import { Conflict, NotFound } from '#shared/domain/errors.ts';
import { actorOf, type Principal } from '#shared/identity/principal.ts';
import type { OfficeKeys, PublishKeysBody, RetireKeyBody } from '#shared/schemas/keys.ts';
import { retryOnConflict } from './retry.ts';

/**
 * The office state item as key publication sees it: the public keys and their
 * optimistic-concurrency version (0 before the first publication).
 */
export interface OfficeKeyState {
  readonly officeId: string;
  /** Public keys only; empty while the office has published none. */
  readonly keySet: OfficeKeySet;
  readonly version: number;
  readonly keysUpdatedAt: string | null;
}

/** Another writer changed the key set between read and write: read again and retry. */
export class StaleKeySetVersion extends Conflict {
  override readonly code = 'stale-key-set';
  constructor() {
    super('The office key set changed meanwhile; read it again.');
  }
}

/** Where office key sets are kept (the DynamoDB adapter: shared/adapters/office-keys-store.ts). */
export interface OfficeKeysRepository {
  /** The state, read consistently (a key published a moment ago counts). */
  getState(officeId: string): Promise<OfficeKeyState>;
  /** Writes `keySet` if the stored version is `expectedVersion`, else throws StaleKeySetVersion. */
  save(
    officeId: string,
    keySet: OfficeKeySet,
    expectedVersion: number,
    audit: AuditEntryDraft,
    now: Date,
  ): Promise<void>;
}

/** What the service needs from storage and the directory. */
export interface OfficeKeysDependencies {
  readonly keys: OfficeKeysRepository;
  /** Whether the directory has a service office with this id. */
  readonly officeExists: (officeId: string) => boolean;
  readonly clock?: Clock;
}

/**
 * Only the office itself manages its keys. Any other caller that got past the
 * operation's principal kinds sees another office's keys as not found (docs/api.md).
 */
function assertOwnOffice(principal: Principal, officeId: string, deps: OfficeKeysDependencies): void {
  if (principal.kind !== 'service' || principal.id !== officeId || !deps.officeExists(officeId)) {
    throw new NotFound('service office');
  }
}

/** The API view of a key set. */
export function officeKeysView(
  state: Pick<OfficeKeyState, 'officeId' | 'keySet' | 'keysUpdatedAt'>,
): OfficeKeys {
  return {
    officeId: state.officeId,
    current: currentKey(state.keySet)?.kid ?? null,
    keys: activeKeys(state.keySet).map((key) => ({ ...key.jwk })),
    history: state.keySet.keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      publishedAt: key.publishedAt,
      retiredAt: key.retiredAt ?? null,
      current: key.current,
    })),
    updatedAt: state.keysUpdatedAt,
  };
}

/**
 * Read → apply a domain rule → conditional write, repeated when a concurrent writer
 * changed the set in between, so that no publication is lost. Writes (and audits)
 * nothing when the rule leaves the set as it was.
 */
async function change(
  deps: OfficeKeysDependencies,
  officeId: string,
  apply: (set: OfficeKeySet, now: Date) => OfficeKeySet,
  audit: (now: Date) => AuditEntryDraft,
): Promise<OfficeKeys> {
  const clock = deps.clock ?? systemClock;
  return retryOnConflict(
    async () => {
      const state = await deps.keys.getState(officeId);
      const now = clock.now();
      const next = apply(state.keySet, now);
      if (JSON.stringify(next) === JSON.stringify(state.keySet)) return officeKeysView(state);
      await deps.keys.save(officeId, next, state.version, audit(now), now);
      return officeKeysView({ officeId, keySet: next, keysUpdatedAt: now.toISOString() });
    },
    (error) => error instanceof StaleKeySetVersion,
  );
}

/** Publishes a JWKS for the caller's own office (additive; the new or named key becomes current). */
export function publishOfficeKeys(
  deps: OfficeKeysDependencies,
  input: { principal: Principal; officeId: string; body: PublishKeysBody },
): Promise<OfficeKeys> {
  assertOwnOffice(input.principal, input.officeId, deps);
  const { keys, current } = input.body;
  return change(
    deps,
    input.officeId,
    (set, now) => publishKeys(set, { keys }, now, current === undefined ? {} : { current }),
    (now) =>
      auditDraft({
        event: 'keys.published',
        ...actorFields(actorOf(input.principal)),
        serviceOfficeId: input.officeId,
        time: now,
      }),
  );
}

/** Retires one key of the caller's own office; the current one only with a successor. */
export function retireOfficeKey(
  deps: OfficeKeysDependencies,
  input: { principal: Principal; officeId: string; kid: string; body: RetireKeyBody },
): Promise<OfficeKeys> {
  assertOwnOffice(input.principal, input.officeId, deps);
  const { successor } = input.body;
  return change(
    deps,
    input.officeId,
    (set, now) => {
      try {
        return retire(set, input.kid, now, successor === undefined ? {} : { successor });
      } catch (error) {
        if (error instanceof Conflict) {
          throw new Conflict(error.message, { ...error.details, reason: 'successor-required' });
        }
        throw error;
      }
    },
    (now) =>
      auditDraft({
        event: 'keys.retired',
        ...actorFields(actorOf(input.principal)),
        serviceOfficeId: input.officeId,
        time: now,
      }),
  );
}

/** The published keys of any office of the directory (public). */
export async function getOfficeKeys(deps: OfficeKeysDependencies, officeId: string): Promise<OfficeKeys> {
  if (!deps.officeExists(officeId)) throw new NotFound('service office');
  return officeKeysView(await deps.keys.getState(officeId));
}

/**
 * The key a new referral to the office is encrypted to, read consistently (a key
 * published a moment ago counts); undefined while the office has published none.
 */
export async function currentRecipientKey(
  deps: Pick<OfficeKeysDependencies, 'keys'>,
  officeId: string,
): Promise<OfficeKey | undefined> {
  const state = await deps.keys.getState(officeId);
  return currentKey(state.keySet);
}
