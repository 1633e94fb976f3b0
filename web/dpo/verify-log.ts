/**
 * The page's check of the log: the shared verifier (shared/domain/audit/verify.ts),
 * the same code `rex audit verify` and the server run, here on WebCrypto (the
 * `#audit-crypto` port resolves to shared/domain/audit/crypto-web.ts in the
 * browser bundle). Adds what the verdict names: the keys that signed.
 */
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import { verifyCheckpointAsync } from '#shared/domain/audit/signed-note.ts';
import { type VerifyAnchor, type VerifyResult, verifyLog } from '#shared/domain/audit/verify.ts';

export interface PageVerifyOptions {
  /** Signed checkpoint notes: the newest, and the anchor's after retention. */
  readonly checkpoints: readonly string[];
  readonly verifierKeys: readonly string[];
  readonly anchor?: VerifyAnchor | undefined;
}

export type PageVerifyResult =
  | (Extract<VerifyResult, { ok: true }> & { readonly keyNames: readonly string[] })
  | Extract<VerifyResult, { ok: false }>;

export async function verifyTheLog(
  entries: readonly AuditEntry[],
  options: PageVerifyOptions,
): Promise<PageVerifyResult> {
  const result = await verifyLog(entries, {
    checkpoints: options.checkpoints,
    verifierKey: options.verifierKeys,
    ...(options.anchor ? { anchor: options.anchor } : {}),
  });
  if (!result.ok) return result;
  // Every note verified above; this only collects who signed them.
  const keyNames = new Set<string>();
  for (const note of options.checkpoints) {
    const verified = await verifyCheckpointAsync(note, options.verifierKeys);
    if (verified.ok) for (const name of verified.keyNames) keyNames.add(name);
  }
  return { ...result, keyNames: [...keyNames] };
}
