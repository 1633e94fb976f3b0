/**
 * What an entry hash is computed over (docs/audit-format.md §3): the domain
 * separation prefix and the canonical text of the entry without its `hash`. Apart
 * from chain.ts so that the verifier, which also runs in a browser, needs neither
 * the sequencer nor its schemas.
 */
import { canonicalize } from './canonical.ts';
import type { AuditEntry, UnhashedAuditEntry } from './entry.ts';

/** A SHA-256 value in lower-case hex. */
export const HEX_HASH = /^[0-9a-f]{64}$/;

/** Domain separation: these bytes can never be mistaken for another structure's hash input. */
export const ENTRY_HASH_PREFIX = 'rex-audit-entry-v1\n';
/** What is hashed before the canonical text: the RFC 9162 leaf byte 0x00, then the prefix. */
export const ENTRY_HASH_INPUT_PREFIX = `\u0000${ENTRY_HASH_PREFIX}`;
/**
 * `previousHash` of the first entry. A fixed value rather than a per-deployment one:
 * the deployment is already bound by the checkpoint's origin line and signature.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** The canonical text of an entry without its `hash` member (what is hashed, after the prefix). */
export function entryCanonicalText(entry: UnhashedAuditEntry | AuditEntry): string {
  const fast = fastEntryText(entry as unknown as Record<string, unknown>);
  if (fast !== undefined) return fast;
  if ('hash' in entry) {
    const { hash: _omitted, ...rest } = entry;
    return canonicalize(rest);
  }
  return canonicalize(entry);
}

const isNullableString = (value: unknown): boolean => value === null || typeof value === 'string';

/**
 * JCS for the one shape every entry has, with its members in sorted order: several
 * times faster than the general algorithm, which verification at
 * hundreds of thousands of entries per second needs. Any other shape (a missing,
 * extra or oddly typed member) returns undefined and takes the general path, so
 * the result is always RFC 8785; a test holds the two paths equal.
 */
function fastEntryText(e: Record<string, unknown>): string | undefined {
  let members = 0;
  for (const _ in e) members++;
  if (members !== ('hash' in e ? 15 : 14)) return undefined;
  const { actor, entryId, event, time, previousHash, sequence, dataCategories, legalBasis } = e;
  if (
    typeof actor !== 'string' ||
    typeof entryId !== 'string' ||
    typeof event !== 'string' ||
    typeof time !== 'string' ||
    typeof previousHash !== 'string' ||
    typeof sequence !== 'number' ||
    !Number.isFinite(sequence) ||
    !Array.isArray(dataCategories) ||
    !isNullableString(e.authorityId) ||
    !isNullableString(e.purpose) ||
    !isNullableString(e.reason) ||
    !isNullableString(e.referralId) ||
    !isNullableString(e.serviceOfficeId) ||
    !isNullableString(e.subjectId)
  ) {
    return undefined;
  }
  for (const category of dataCategories) if (typeof category !== 'string') return undefined;
  let basis: { article: string; consentId: string } | null = null;
  if (legalBasis !== null) {
    if (typeof legalBasis !== 'object' || Array.isArray(legalBasis)) return undefined;
    const lb = legalBasis as Record<string, unknown>;
    let n = 0;
    for (const _ in lb) n++;
    if (n !== 2 || typeof lb.article !== 'string' || typeof lb.consentId !== 'string') return undefined;
    basis = { article: lb.article, consentId: lb.consentId };
  }
  // Members written in sorted order: string-keyed properties keep insertion order
  // (ECMA-262 OrdinaryOwnPropertyKeys), and JSON.stringify escapes strings and
  // formats numbers exactly as RFC 8785 prescribes.
  const text = JSON.stringify({
    actor,
    authorityId: e.authorityId,
    dataCategories,
    entryId,
    event,
    legalBasis: basis,
    previousHash,
    purpose: e.purpose,
    reason: e.reason,
    referralId: e.referralId,
    sequence,
    serviceOfficeId: e.serviceOfficeId,
    subjectId: e.subjectId,
    time,
  });
  // JSON.stringify escapes a lone surrogate as \udxxx, which JCS refuses: let the general path decide.
  return text.includes('\\ud') ? undefined : text;
}
