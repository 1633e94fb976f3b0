import * as z from 'zod';
import { DirectoryIdSchema } from '#shared/domain/audit/entry.ts';
import { KidSchema, MAX_KEYS_PER_SET, RecipientKeyAlgorithmSchema } from '#shared/domain/crypto/jwks.ts';

/**
 * Contracts of a service office's key publication (docs/jwe-format.md §3–4). The keys
 * themselves are checked by `validatePublicJwks` in the application, not by these
 * schemas: its refusals name the member and the reason (`keys[1].d: private key
 * material must not be published`), which a generic schema error could not.
 */

export const OfficeIdParamsSchema = z
  .strictObject({ id: DirectoryIdSchema.meta({ description: 'The service office id of the directory.' }) })
  .meta({ id: 'OfficeIdParams' });

export const OfficeKeyParamsSchema = z
  .strictObject({
    id: DirectoryIdSchema.meta({ description: 'The service office id of the directory.' }),
    kid: KidSchema.meta({ description: 'The key id.' }),
  })
  .meta({ id: 'OfficeKeyParams' });

/** A public recipient JWK as sent; validated member by member by the application. */
const PublishedJwkSchema = z.record(z.string(), z.unknown()).meta({
  id: 'RecipientJwk',
  description:
    'A public recipient key: RSA (`kty` RSA, `use` enc, `alg` RSA-OAEP-256, `n` of 3072–8192 bits, `e` AQAB) ' +
    'or EC (`kty` EC, `use` enc, `alg` ECDH-ES+A256KW, `crv` P-256, `x`, `y`), each with a `kid`. ' +
    'Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) are refused.',
});

export const PublishKeysBodySchema = z
  .strictObject({
    keys: z.array(PublishedJwkSchema).min(1).max(MAX_KEYS_PER_SET),
    current: KidSchema.optional().meta({
      description: 'The key that becomes current; default the last key of `keys`.',
    }),
  })
  .meta({
    id: 'PublishKeysRequest',
    description: 'A JWKS (RFC 7517 §5). Publishing is additive: keys left out stay published until retired.',
  });
export type PublishKeysBody = z.infer<typeof PublishKeysBodySchema>;

export const RetireKeyBodySchema = z
  .strictObject({
    successor: KidSchema.optional().meta({
      description: 'The published key that becomes current; required when retiring the current key.',
    }),
  })
  .meta({ id: 'RetireKeyRequest' });
export type RetireKeyBody = z.infer<typeof RetireKeyBodySchema>;

export const PublicJwkViewSchema = z.record(z.string(), z.string()).meta({
  id: 'PublicRecipientJwk',
  description: 'A published public recipient key (members as in RFC 7517/7518).',
});

export const KeyHistoryEntrySchema = z
  .strictObject({
    kid: KidSchema,
    alg: RecipientKeyAlgorithmSchema,
    publishedAt: z.string(),
    retiredAt: z.string().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'KeyHistoryEntry' });

export const OfficeKeysSchema = z
  .strictObject({
    officeId: DirectoryIdSchema,
    current: KidSchema.nullable().meta({
      description: 'The key new referrals are encrypted to; null while none is published.',
    }),
    keys: z.array(PublicJwkViewSchema).meta({ description: 'The unretired public keys (a JWKS).' }),
    history: z.array(KeyHistoryEntrySchema).meta({
      description: 'Every key ever published, retired ones included, so that a kid is never reused.',
    }),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'OfficeKeys', description: "A service office's published keys." });
export type OfficeKeys = z.infer<typeof OfficeKeysSchema>;
