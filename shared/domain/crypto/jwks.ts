/**
 * Public recipient keys of service offices: what an office may publish (its JWKS) and the
 * validated form the platform encrypts referrals to.
 *
 * Accepted keys (docs/jwe-format.md §3, BSI TR-02102-1, FIT-Connect):
 * - RSA, modulus 3072–8192 bits, public exponent 65537, `alg` RSA-OAEP-256;
 * - EC on P-256, `alg` ECDH-ES+A256KW, the point must lie on the curve.
 * Every key carries `use: "enc"` and a `kid` unique within the set. Private members are refused
 * outright: an office that publishes its private key has leaked it.
 *
 * Validation is synchronous so that the schemas can be embedded in other zod schemas (the
 * directory); the curve check uses node:crypto, the same OpenSSL that WebCrypto runs on.
 */
import { createHash, createPublicKey } from 'node:crypto';
import * as z from 'zod';
import { type FieldIssue, InvalidRequest } from '#shared/domain/errors.ts';
import { formatFieldPath } from '#shared/domain/field-path.ts';

export const RecipientKeyAlgorithmSchema = z.enum(['RSA-OAEP-256', 'ECDH-ES+A256KW']);
export type RecipientKeyAlgorithm = z.infer<typeof RecipientKeyAlgorithmSchema>;

/** BSI TR-02102-1 asks for ≥ 3000 bits; 3072 is the next standard size. */
export const MIN_RSA_MODULUS_BITS = 3072;
/** Larger moduli only cost time; the cap keeps a published key from becoming a denial of service. */
export const MAX_RSA_MODULUS_BITS = 8192;
/** 65537, the only exponent in practical use; small exponents invite known attacks. */
export const RSA_PUBLIC_EXPONENT = 'AQAB';
/** An office rotates with overlap, so a handful of keys is normal; hundreds is a mistake. */
export const MAX_KEYS_PER_SET = 20;

/** JWK members that carry private or secret key material (RFC 7518 §6.3.2, §6.2.2, §6.4). */
const PRIVATE_MEMBERS: ReadonlySet<string> = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
const PRIVATE_MEMBER_REASON = 'private key material must not be published';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes unpadded, canonical base64url; `undefined` when the text is not exactly that. */
export function decodeBase64url(text: string): Buffer | undefined {
  if (text.length === 0 || !BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Re-encoding rejects non-zero trailing bits, so one key has exactly one spelling.
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function bitLength(bytes: Buffer): number {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]!));
}

const required =
  (reason: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : reason;

const base64urlMember = (check?: (bytes: Buffer) => string | undefined) =>
  z.string({ error: required('must be a base64url string') }).superRefine((value, ctx) => {
    const bytes = decodeBase64url(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be base64url without padding' });
      return;
    }
    const reason = check?.(bytes);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
  });

/** Key ids end up in JWE headers, logs and queue attributes: printable, short, no quoting needed. */
export const KidSchema = z
  .string({ error: required('must be a string') })
  .regex(/^[A-Za-z0-9._~:+/=-]{1,128}$/, {
    error: 'must be 1–128 characters of A–Z a–z 0–9 . _ ~ : + / = -',
  });

const EncUseSchema = z.literal('enc', { error: 'must be "enc"' });

export const RsaRecipientJwkSchema = z.strictObject({
  kty: z.literal('RSA'),
  kid: KidSchema,
  use: EncUseSchema,
  alg: z.literal('RSA-OAEP-256', { error: 'must be RSA-OAEP-256 for RSA keys' }),
  n: base64urlMember((bytes) => {
    const bits = bitLength(bytes);
    if (bits < MIN_RSA_MODULUS_BITS)
      return `RSA modulus is ${bits} bits; at least ${MIN_RSA_MODULUS_BITS} required`;
    if (bits > MAX_RSA_MODULUS_BITS)
      return `RSA modulus is ${bits} bits; at most ${MAX_RSA_MODULUS_BITS} accepted`;
    if (bytes[0] === 0) return 'must not have leading zero octets';
    return undefined;
  }),
  e: z.literal(RSA_PUBLIC_EXPONENT, { error: 'public exponent must be 65537 ("AQAB")' }),
});
export type RsaRecipientJwk = z.infer<typeof RsaRecipientJwkSchema>;

const P256_COORDINATE_BYTES = 32;
const p256Coordinate = base64urlMember((bytes) =>
  bytes.length === P256_COORDINATE_BYTES ? undefined : `must be ${P256_COORDINATE_BYTES} octets for P-256`,
);

export const EcRecipientJwkSchema = z.strictObject({
  kty: z.literal('EC'),
  kid: KidSchema,
  use: EncUseSchema,
  alg: z.literal('ECDH-ES+A256KW', { error: 'must be ECDH-ES+A256KW for EC keys' }),
  crv: z.literal('P-256', { error: 'only P-256 is supported' }),
  x: p256Coordinate,
  y: p256Coordinate,
});
export type EcRecipientJwk = z.infer<typeof EcRecipientJwkSchema>;

/** One public key an office publishes for referrals to be encrypted to. */
export const PublicRecipientJwkSchema = z
  .discriminatedUnion('kty', [RsaRecipientJwkSchema, EcRecipientJwkSchema], {
    error: (issue) =>
      typeof issue.input === 'object' && issue.input !== null
        ? 'must be "RSA" or "EC"'
        : 'must be a JSON object',
  })
  .superRefine((jwk, ctx) => {
    // Only well-formed members are worth handing to OpenSSL, which rejects EC points off the curve.
    if (!membersDecode(jwk)) return;
    try {
      createPublicKey({ key: publicMembers(jwk), format: 'jwk' });
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          jwk.kty === 'EC' ? 'point (x, y) is not on the P-256 curve' : 'is not a usable RSA public key',
      });
    }
  });
export type PublicRecipientJwk = z.infer<typeof PublicRecipientJwkSchema>;

/** The JWKS document of a service office (RFC 7517 §5). */
export const PublicJwksSchema = z
  .strictObject(
    {
      keys: z
        .array(PublicRecipientJwkSchema, { error: required('must be an array of keys') })
        .min(1, { error: 'must contain at least one key' })
        .max(MAX_KEYS_PER_SET, { error: `must contain at most ${MAX_KEYS_PER_SET} keys` }),
    },
    { error: 'must be a JSON object with a "keys" array' },
  )
  .superRefine((jwks, ctx) => {
    for (const issue of duplicateKidIssues(jwks.keys)) ctx.addIssue({ ...issue });
  });
export type PublicJwks = z.infer<typeof PublicJwksSchema>;

/** A validated recipient key: what referrals are encrypted to, and what the key cache imports. */
export const RecipientKeySchema = z
  .strictObject({
    kid: KidSchema,
    alg: RecipientKeyAlgorithmSchema,
    /** RFC 7638 thumbprint (SHA-256, base64url); tells two keys under one kid apart. */
    thumbprint: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    jwk: PublicRecipientJwkSchema,
  })
  .superRefine((key, ctx) => {
    if (key.kid !== key.jwk.kid)
      ctx.addIssue({ code: 'custom', path: ['kid'], message: 'must equal jwk.kid' });
    if (key.alg !== key.jwk.alg)
      ctx.addIssue({ code: 'custom', path: ['alg'], message: 'must equal jwk.alg' });
    if (key.thumbprint !== jwkThumbprint(key.jwk)) {
      ctx.addIssue({ code: 'custom', path: ['thumbprint'], message: 'does not match the key' });
    }
  });
export type RecipientKey = z.infer<typeof RecipientKeySchema>;

function membersDecode(jwk: PublicRecipientJwk): boolean {
  if (jwk.kty === 'RSA') return decodeBase64url(jwk.n) !== undefined;
  return [jwk.x, jwk.y].every((c) => decodeBase64url(c)?.length === P256_COORDINATE_BYTES);
}

/** The members that define the key (RFC 7638 §3.2), without kid/use/alg. */
function publicMembers(jwk: PublicRecipientJwk): Record<string, string> {
  return jwk.kty === 'RSA'
    ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
    : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a public recipient key. Equal to jose's
 * `calculateJwkThumbprint`, but synchronous and a few microseconds, so it can be part of
 * validation instead of every encryption.
 */
export function jwkThumbprint(jwk: PublicRecipientJwk): string {
  // publicMembers lists the required members in lexicographic order, as §3.3 demands.
  return createHash('sha256')
    .update(JSON.stringify(publicMembers(jwk)))
    .digest('base64url');
}

/** Turns a validated JWK into the recipient key form. */
export function toRecipientKey(jwk: PublicRecipientJwk): RecipientKey {
  return { kid: jwk.kid, alg: jwk.alg, thumbprint: jwkThumbprint(jwk), jwk };
}

/**
 * Validates a JWKS an office publishes and returns its keys ready for encryption.
 * Throws InvalidRequest naming every offending member, e.g. `keys[1].d`.
 */
export function validatePublicJwks(jwks: unknown): { keys: RecipientKey[] } {
  const result = PublicJwksSchema.safeParse(jwks);
  if (result.success) return { keys: result.data.keys.map(toRecipientKey) };
  throw new InvalidRequest(
    uniqueIssues([...result.error.issues.flatMap(toFieldIssues), ...rawKeyIssues(jwks)]),
    'The key set is not valid.',
  );
}

/** Validates a single public recipient JWK (e.g. one key added by the service CLI). */
export function validatePublicRecipientJwk(jwk: unknown): RecipientKey {
  const result = PublicRecipientJwkSchema.safeParse(jwk);
  if (result.success) return toRecipientKey(result.data);
  const wrapped = { keys: [jwk] };
  // Reported as if the key were keys[0] of a set, then the prefix is dropped again.
  const asInSet = result.error.issues.map((issue) => ({ ...issue, path: ['keys', 0, ...issue.path] }));
  const issues = [...asInSet.flatMap(toFieldIssues), ...rawKeyIssues(wrapped)].map((issue) => ({
    ...issue,
    field: issue.field.replace(/^keys\[0\]\.?/, '') || 'jwk',
  }));
  throw new InvalidRequest(uniqueIssues(issues), 'The key is not valid.');
}

/** Paths in a published key set name the root `jwks`. */
export const formatPath = (path: readonly PropertyKey[]): string => formatFieldPath(path, 'jwks');

function toFieldIssues(issue: z.core.$ZodIssue): FieldIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((member) => ({
      field: formatPath([...issue.path, member]),
      reason: PRIVATE_MEMBERS.has(member)
        ? PRIVATE_MEMBER_REASON
        : issue.path.length === 0
          ? 'is not an accepted member of a key set'
          : 'is not an accepted member of a recipient key',
    }));
  }
  return [{ field: formatPath(issue.path), reason: issue.message }];
}

function duplicateKidIssues(
  keys: readonly unknown[],
): { code: 'custom'; path: PropertyKey[]; message: string }[] {
  const seen = new Set<string>();
  const issues: { code: 'custom'; path: PropertyKey[]; message: string }[] = [];
  keys.forEach((key, index) => {
    const kid = typeof key === 'object' && key !== null ? (key as { kid?: unknown }).kid : undefined;
    if (typeof kid !== 'string') return;
    if (seen.has(kid))
      issues.push({ code: 'custom', path: ['keys', index, 'kid'], message: 'duplicate kid' });
    seen.add(kid);
  });
  return issues;
}

/**
 * Checks that must be reported even when a key is otherwise unreadable (an unknown `kty`
 * stops zod before the members): private material and duplicate kids.
 */
function rawKeyIssues(jwks: unknown): FieldIssue[] {
  if (typeof jwks !== 'object' || jwks === null) return [];
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return [];
  const issues: FieldIssue[] = [];
  keys.forEach((key, index) => {
    if (typeof key !== 'object' || key === null) return;
    for (const member of Object.keys(key)) {
      if (PRIVATE_MEMBERS.has(member)) {
        issues.push({ field: formatPath(['keys', index, member]), reason: PRIVATE_MEMBER_REASON });
      }
    }
  });
  for (const issue of duplicateKidIssues(keys))
    issues.push({ field: formatPath(issue.path), reason: issue.message });
  return issues;
}

function uniqueIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.field}\u0000${issue.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
