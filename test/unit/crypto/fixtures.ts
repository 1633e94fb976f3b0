import { generateKeyPair, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

/** A public RSA JWK in the form an office publishes, with its private JWK beside it. */
export async function rsaKeyPair(
  modulusLength: number,
  kid: string,
): Promise<{ publicJwk: Record<string, unknown>; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength });
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  return {
    publicJwk: { kty, kid, use: 'enc', alg: 'RSA-OAEP-256', n, e },
    privateJwk: privateKey.export({ format: 'jwk' }),
  };
}

/** A public EC JWK on `curve`; labelled ECDH-ES+A256KW whatever the curve, to test the curve check. */
export async function ecKeyPair(
  kid: string,
  curve: 'P-256' | 'P-384' = 'P-256',
): Promise<{ publicJwk: Record<string, unknown>; privateJwk: JsonWebKey }> {
  const { publicKey, privateKey } = await generate('ec', { namedCurve: curve });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return {
    publicJwk: { kty, kid, use: 'enc', alg: 'ECDH-ES+A256KW', crv, x, y },
    privateJwk: privateKey.export({ format: 'jwk' }),
  };
}

/** Runs `action`, expects it to throw, and returns what it threw. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

/** Awaits `action`, expects it to reject, and returns the reason. */
export async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to reject');
}
