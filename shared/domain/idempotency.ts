import { createHmac } from 'node:crypto';
import { canonicalize } from '#shared/domain/audit/canonical.ts';

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
