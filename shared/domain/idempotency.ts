import { createHmac } from 'node:crypto';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { UnprocessableContent } from '#shared/domain/errors.ts';
import type { Refusal } from '#shared/domain/referral/errors.ts';

/**
 * The fingerprint of a creating request, to tell a retry (same key, same request) from
 * a reuse of the key for another request. Keyed with the deployment secret, because a
 * plain hash of a body that holds personal data could be confirmed by guessing.
 */
export function requestFingerprint(
  secret: Uint8Array,
  request: { readonly operationId: string; readonly params?: unknown; readonly body: unknown },
): string {
  return createHmac('sha256', secret)
    .update(
      canonicalize({
        operationId: request.operationId,
        params: request.params ?? null,
        body: request.body ?? null,
      }),
    )
    .digest('hex');
}

/**
 * What a creating request answered, kept with its idempotency record so that a retry
 * gets the same answer: the result, or the refusal (the HTTP layer maps it again).
 */
export type StoredAnswer =
  | { readonly status: number; readonly body: unknown }
  | { readonly refusal: Refusal };

/** The idempotency record of (principal, key) as stored. */
export type IdempotencyRecord = StoredAnswer & {
  readonly requestHash: string;
  readonly createdAt: string;
};

export class IdempotencyKeyReused extends UnprocessableContent {
  override readonly code = 'idempotency-key-reused';
  constructor() {
    super('This Idempotency-Key was used for a different request; use a new key for a new request.', [
      { field: 'Idempotency-Key', reason: 'already used with a different request body' },
    ]);
  }
}

/** The stored answer for a retry, or IdempotencyKeyReused when the request differs. */
export function replay(record: IdempotencyRecord, requestHash: string): StoredAnswer {
  if (record.requestHash !== requestHash) throw new IdempotencyKeyReused();
  return 'refusal' in record && record.refusal !== undefined
    ? { refusal: record.refusal }
    : { status: (record as { status: number }).status, body: (record as { body: unknown }).body };
}
