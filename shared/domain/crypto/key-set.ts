/**
 * The keys of one service office over time: rotation with overlap.
 *
 * Exactly one unretired key is current; new referrals are encrypted to it. Older unretired keys
 * stay valid, because referrals already queued (and redelivered ciphertext) were encrypted to
 * them and the platform cannot re-encrypt: it no longer holds the plaintext. An office retires a
 * key once it has received everything encrypted to it. A kid is never reused for another key,
 * and a retired key is never brought back.
 */
import * as z from 'zod';
import { Conflict, type FieldIssue, InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { type RecipientKey, RecipientKeySchema, validatePublicJwks } from './jwks.ts';

export const OfficeKeySchema = RecipientKeySchema.safeExtend({
  publishedAt: z.iso.datetime({ offset: true }),
  retiredAt: z.iso.datetime({ offset: true }).optional(),
  current: z.boolean(),
});
export type OfficeKey = z.infer<typeof OfficeKeySchema>;

export const OfficeKeySetSchema = z
  .strictObject({ keys: z.array(OfficeKeySchema) })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.keys.forEach((key, index) => {
      if (seen.has(key.kid))
        ctx.addIssue({ code: 'custom', path: ['keys', index, 'kid'], message: 'duplicate kid' });
      seen.add(key.kid);
      if (key.current && key.retiredAt !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['keys', index, 'current'],
          message: 'a retired key cannot be current',
        });
      }
    });
    const current = set.keys.filter((key) => key.current).length;
    const active = set.keys.filter((key) => key.retiredAt === undefined).length;
    if (current > 1)
      ctx.addIssue({ code: 'custom', path: ['keys'], message: 'more than one key is current' });
    if (current === 0 && active > 0) {
      ctx.addIssue({ code: 'custom', path: ['keys'], message: 'unretired keys exist but none is current' });
    }
  });
export type OfficeKeySet = z.infer<typeof OfficeKeySetSchema>;

export const emptyKeySet: OfficeKeySet = { keys: [] };

/** The key new referrals are encrypted to; `undefined` while the office has published none. */
export function currentKey(set: OfficeKeySet): OfficeKey | undefined {
  return set.keys.find((key) => key.current);
}

/** Keys that are not retired: what the office can still decrypt with and what its JWKS lists. */
export function activeKeys(set: OfficeKeySet): OfficeKey[] {
  return set.keys.filter((key) => key.retiredAt === undefined);
}

/** Whether ciphertext under `kid` is still readable by the office (the key is known and not retired). */
export function isActiveKey(set: OfficeKeySet, kid: string): boolean {
  return set.keys.some((key) => key.kid === kid && key.retiredAt === undefined);
}

/** The office's public JWKS as the platform serves it: unretired keys, in publication order. */
export function toPublicJwks(set: OfficeKeySet): { keys: RecipientKey['jwk'][] } {
  return { keys: activeKeys(set).map((key) => key.jwk) };
}

export interface PublishOptions {
  /** kid of the key to make current; default: the last key of the published JWKS. */
  readonly current?: string;
}

/**
 * Adds the keys of a published JWKS to the office's set. Publishing is additive: keys the
 * document leaves out stay as they are (retire them explicitly). Republishing a known key is a
 * no-op for that key. The last key of the document — or the one named by `options.current` —
 * becomes current; the previous current key stays valid for decryption.
 *
 * Throws InvalidRequest for an invalid JWKS or an unknown `current`, Conflict when a kid is
 * already taken by a different key or names a retired key.
 */
export function publishKeys(
  existing: OfficeKeySet,
  newJwks: unknown,
  now: Date,
  options: PublishOptions = {},
): OfficeKeySet {
  const { keys: incoming } = validatePublicJwks(newJwks);
  const known = new Map(existing.keys.map((key) => [key.kid, key]));
  const conflicts: FieldIssue[] = [];
  incoming.forEach((key, index) => {
    const previous = known.get(key.kid);
    if (previous === undefined) return;
    if (previous.thumbprint !== key.thumbprint) {
      conflicts.push({ field: `keys[${index}].kid`, reason: 'kid already names a different key' });
    } else if (previous.retiredAt !== undefined) {
      conflicts.push({
        field: `keys[${index}].kid`,
        reason: 'key was retired and cannot be published again',
      });
    }
  });
  if (conflicts.length > 0) {
    throw new Conflict('The key set conflicts with keys already published.', { issues: conflicts });
  }

  const publishedAt = now.toISOString();
  const added: OfficeKey[] = incoming
    .filter((key) => !known.has(key.kid))
    .map((key) => ({ ...key, publishedAt, current: false }));
  const merged = [...existing.keys, ...added];

  const nextCurrent = options.current ?? incoming[incoming.length - 1]!.kid;
  if (!merged.some((key) => key.kid === nextCurrent && key.retiredAt === undefined)) {
    throw new InvalidRequest([{ field: 'current', reason: 'names no published, unretired key' }]);
  }
  return withCurrent(merged, nextCurrent);
}

/**
 * Makes an already published, unretired key current (e.g. a key published ahead of time).
 * The previous current key stays valid for decryption.
 */
export function rotate(set: OfficeKeySet, kid: string): OfficeKeySet {
  const key = set.keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) throw new NotFound('key');
  if (key.retiredAt !== undefined) throw new Conflict('A retired key cannot become current.', { kid });
  return withCurrent(set.keys, kid);
}

export interface RetireOptions {
  /** kid of the unretired key that becomes current; required when retiring the current key. */
  readonly successor?: string;
}

/**
 * Retires a key: it no longer counts as valid for decryption and leaves the public JWKS, but
 * stays in the set so that its kid is never reused. The current key can be retired only together
 * with a successor that becomes current, so an office with keys always has one to encrypt to.
 * Retiring an already retired key changes nothing.
 */
export function retire(set: OfficeKeySet, kid: string, now: Date, options: RetireOptions = {}): OfficeKeySet {
  const key = set.keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) throw new NotFound('key');
  if (key.retiredAt !== undefined) return set;

  const successor = options.successor;
  if (successor !== undefined) {
    if (successor === kid) {
      throw new InvalidRequest([{ field: 'successor', reason: 'must differ from the key being retired' }]);
    }
    if (!set.keys.some((candidate) => candidate.kid === successor && candidate.retiredAt === undefined)) {
      throw new InvalidRequest([{ field: 'successor', reason: 'names no published, unretired key' }]);
    }
  } else if (key.current) {
    throw new Conflict('The current key cannot be retired without a successor.', { kid });
  }

  const retiredAt = now.toISOString();
  const keys = set.keys.map((candidate) =>
    candidate.kid === kid ? { ...candidate, retiredAt, current: false } : candidate,
  );
  return successor === undefined ? { keys } : withCurrent(keys, successor);
}

function withCurrent(keys: readonly OfficeKey[], kid: string): OfficeKeySet {
  return {
    keys: keys.map((key) => (key.current === (key.kid === kid) ? key : { ...key, current: key.kid === kid })),
  };
}
