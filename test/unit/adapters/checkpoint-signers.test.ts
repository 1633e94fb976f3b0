import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointSignerFromEnvironment } from '#functions/composition.ts';
import { KmsCheckpointSigner, localCheckpointSigner } from '#shared/adapters/checkpoint-signers.ts';
import { verifierKeyDocument } from '#shared/application/audit/verifier-key.ts';
import { ConfigurationError } from '#shared/config.ts';
import { EMPTY_CHAIN_HEAD, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  checkpointOfHead,
  SIGNATURE_TYPE_ECDSA,
  SIGNATURE_TYPE_ED25519,
  signCheckpoint,
  verifierKeyOf,
  verifyCheckpoint,
} from '#shared/domain/audit/checkpoint.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import { drafts } from '#test/unit/audit/fixtures.ts';

const ORIGIN = 'referral-exchange/lk-test/unit';
const KEY_ID = 'arn:aws:kms:eu-central-1:111122223333:key/0b6c2a4e-0000-4000-8000-000000000001';
const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

/** Answers GetPublicKey and Sign as KMS does, with a key generated here. */
function kmsAnswersWith(
  keySpec: 'ECC_NIST_EDWARDS25519' | 'ECC_NIST_P256',
  privateKey: KeyObject,
  publicKey: KeyObject,
) {
  kms.on(GetPublicKeyCommand, { KeyId: KEY_ID }).resolves({
    KeyId: KEY_ID,
    KeySpec: keySpec,
    KeyUsage: 'SIGN_VERIFY',
    PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  });
  kms.on(SignCommand).callsFake((input) => {
    expect(input.KeyId).toBe(KEY_ID);
    expect(input.MessageType).toBe('RAW');
    const message = Buffer.from(input.Message);
    if (keySpec === 'ECC_NIST_EDWARDS25519') {
      expect(input.SigningAlgorithm).toBe('ED25519_SHA_512');
      return { KeyId: KEY_ID, Signature: new Uint8Array(sign(null, message, privateKey)) };
    }
    expect(input.SigningAlgorithm).toBe('ECDSA_SHA_256');
    // KMS returns ECDSA signatures DER-encoded (X9.62).
    return {
      KeyId: KEY_ID,
      Signature: new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' })),
    };
  });
}

async function signAndVerifyLog(
  signer: KmsCheckpointSigner | Awaited<ReturnType<typeof checkpointSignerFromEnvironment>>,
) {
  const { entries, head } = sequenceDrafts(EMPTY_CHAIN_HEAD, drafts(5));
  const note = await signCheckpoint(checkpointOfHead(ORIGIN, head, '2027-01-10T12:00:00.000Z'), signer);
  const verifierKey = await verifierKeyOf(signer);
  expect(verifyCheckpoint(note, verifierKey)).toMatchObject({ ok: true, checkpoint: { treeSize: 5 } });
  return verifyLog(entries, { checkpoints: [note], verifierKey });
}

describe('KmsCheckpointSigner', () => {
  it('signs with an Ed25519 KMS key: type 0x01, the same format as local keys', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    kmsAnswersWith('ECC_NIST_EDWARDS25519', privateKey, publicKey);
    const signer = await KmsCheckpointSigner.connect(
      ORIGIN,
      KEY_ID,
      new KMSClient({ region: 'eu-central-1' }),
    );
    expect(signer.signatureType).toBe(SIGNATURE_TYPE_ED25519);
    const raw = Buffer.from(await signer.publicKeyRaw());
    expect(raw.toString('base64url')).toBe(publicKey.export({ format: 'jwk' }).x);
    expect(await signAndVerifyLog(signer)).toMatchObject({ ok: true, checkpointsMatched: 1 });
    const doc = await verifierKeyDocument(signer);
    expect(doc.publicKeyPem).toBe(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    // The public key is read once; each note costs one Sign call.
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(SignCommand)).toHaveLength(1);
  });

  it('signs with a P-256 KMS key as the fallback: type 0x02, DER signatures', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    kmsAnswersWith('ECC_NIST_P256', privateKey, publicKey);
    const signer = await KmsCheckpointSigner.connect(
      ORIGIN,
      KEY_ID,
      new KMSClient({ region: 'eu-central-1' }),
    );
    expect(signer.signatureType).toBe(SIGNATURE_TYPE_ECDSA);
    expect(await signAndVerifyLog(signer)).toMatchObject({ ok: true, checkpointsMatched: 1 });
    expect((await verifierKeyDocument(signer)).publicKeyJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('refuses keys of another spec or usage', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    kms.on(GetPublicKeyCommand).resolves({
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    });
    await expect(KmsCheckpointSigner.connect(ORIGIN, KEY_ID, new KMSClient({}))).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    kms.reset();
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT', PublicKey: new Uint8Array(91) });
    await expect(KmsCheckpointSigner.connect(ORIGIN, KEY_ID, new KMSClient({}))).rejects.toBeInstanceOf(
      ConfigurationError,
    );
  });
});

describe('checkpointSignerFromEnvironment', () => {
  it('uses KMS when a key id is configured', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    kmsAnswersWith('ECC_NIST_EDWARDS25519', privateKey, publicKey);
    const signer = await checkpointSignerFromEnvironment(
      ORIGIN,
      { REX_CHECKPOINT_KMS_KEY_ID: KEY_ID, REX_CHECKPOINT_PRIVATE_KEY: 'ignored' },
      new KMSClient({ region: 'eu-central-1' }),
    );
    expect(signer).toBeInstanceOf(KmsCheckpointSigner);
  });

  it('reads a local Ed25519 key as PEM or as JWK', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const fromPem = await checkpointSignerFromEnvironment(ORIGIN, { REX_CHECKPOINT_PRIVATE_KEY: pem });
    const fromJwk = localCheckpointSigner(ORIGIN, JSON.stringify(privateKey.export({ format: 'jwk' })));
    expect(await verifierKeyOf(fromPem)).toBe(fromJwk.verifierKey());
    expect(await signAndVerifyLog(fromPem)).toMatchObject({ ok: true });
  });

  it('says which variable is missing or wrong, without repeating the key', async () => {
    await expect(checkpointSignerFromEnvironment(ORIGIN, {})).rejects.toThrow(/REX_CHECKPOINT_PRIVATE_KEY/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const error = await checkpointSignerFromEnvironment(ORIGIN, { REX_CHECKPOINT_PRIVATE_KEY: pem }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error.message)).not.toContain(pem.split('\n')[1]);
  });
});
