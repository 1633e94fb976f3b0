import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  type CheckpointSigner,
  checkpointOfHead,
  checkpointText,
  Ed25519Signer,
  keyId,
  parseCheckpointText,
  parseVerifierKey,
  SIGNATURE_TYPE_ECDSA,
  SIGNATURE_TYPE_ED25519,
  signCheckpoint,
  signNote,
  verifierKeyOf,
  verifyCheckpoint,
  verifyNote,
} from '#shared/domain/audit/checkpoint.ts';
import { drafts } from './fixtures.ts';

const ORIGIN = 'rex.example/audit';
const { head } = sequenceDrafts(null, drafts(5));
const checkpoint = checkpointOfHead(ORIGIN, head, '2026-11-02T09:00:00Z');

describe('C2SP signed notes', () => {
  // golang.org/x/mod/sumdb/note: the reference key and note of the signed-note format.
  const goVerifierKey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const goText =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const goNote = `${goText}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

  it('verifies the Go reference note', () => {
    expect(verifyNote(goNote, goVerifierKey)).toEqual({ ok: true, text: goText, keyNames: ['PeterNeumann'] });
  });

  it('signs exactly like the Go reference implementation', async () => {
    const seed = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
    const signer = Ed25519Signer.fromSeed('PeterNeumann', seed);
    expect(signer.verifierKey()).toBe(goVerifierKey);
    expect(await signNote(goText, signer)).toBe(goNote);
  });

  it('refuses a changed text, a changed signature and an unknown key', () => {
    expect(verifyNote(goNote.replace('cryptography', 'Cryptography'), goVerifierKey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyNote(goNote.replace('KE6Ryy', 'KE6Ryz'), goVerifierKey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const other = Ed25519Signer.generate('PeterNeumann').verifierKey();
    expect(verifyNote(goNote, other)).toMatchObject({ ok: false, reason: 'no-trusted-signature' });
    expect(verifyNote(goNote, 'not-a-key')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(verifyNote(goText, goVerifierKey)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('checkpoints', () => {
  it('writes the tlog-checkpoint text with head and time extension lines', () => {
    const text = checkpointText(checkpoint);
    const lines = text.split('\n');
    expect(lines[0]).toBe(ORIGIN);
    expect(lines[1]).toBe('5');
    expect(Buffer.from(lines[2]!, 'base64').toString('hex')).toBe(checkpoint.rootHash);
    expect(lines[3]).toBe(`head ${head.hash}`);
    expect(lines[4]).toBe('time 2026-11-02T09:00:00.000Z');
    expect(lines[5]).toBe('');
    expect(parseCheckpointText(text)).toEqual(checkpoint);
  });

  it('round-trips through signing and verification', async () => {
    const signer = Ed25519Signer.generate(ORIGIN);
    const note = await signCheckpoint(checkpoint, signer);
    expect(note).toMatch(/\n\n— rex\.example\/audit [A-Za-z0-9+/]+=*\n$/);
    expect(verifyCheckpoint(note, signer.verifierKey())).toEqual({
      ok: true,
      checkpoint,
      keyNames: [ORIGIN],
    });
  });

  it('refuses a forged checkpoint: another size, another head, or a signature by an untrusted key', async () => {
    const signer = Ed25519Signer.generate(ORIGIN);
    const note = await signCheckpoint(checkpoint, signer);
    const vkey = signer.verifierKey();
    expect(verifyCheckpoint(note.replace(`${ORIGIN}\n5\n`, `${ORIGIN}\n4\n`), vkey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyCheckpoint(note.replace(head.hash, '0'.repeat(64)), vkey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const forger = Ed25519Signer.generate(ORIGIN);
    const forged = await signCheckpoint({ ...checkpoint, treeSize: 4 }, forger);
    expect(verifyCheckpoint(forged, vkey)).toMatchObject({ ok: false, reason: 'no-trusted-signature' });
  });

  it('accepts either key during a rotation and ignores unknown signatures', async () => {
    const old = Ed25519Signer.generate(ORIGIN);
    const next = Ed25519Signer.generate(ORIGIN);
    const unknown = Ed25519Signer.generate('witness.example/w1');
    const note = await signCheckpoint(checkpoint, [old, next, unknown]);
    expect(verifyCheckpoint(note, next.verifierKey())).toMatchObject({ ok: true });
    expect(verifyCheckpoint(note, [old.verifierKey(), next.verifierKey()])).toMatchObject({
      ok: true,
      keyNames: [ORIGIN, ORIGIN],
    });
  });

  it('computes the C2SP key id and verifier key string', async () => {
    const signer = Ed25519Signer.generate(ORIGIN);
    const raw = Buffer.from(await signer.publicKeyRaw());
    const expectedId = createHash('sha256')
      .update(Buffer.concat([Buffer.from(`${ORIGIN}\n`), Buffer.from([1]), raw]))
      .digest()
      .subarray(0, 4);
    expect(keyId(ORIGIN, SIGNATURE_TYPE_ED25519, raw)).toEqual(expectedId);
    expect(signer.verifierKey()).toBe(
      `${ORIGIN}+${expectedId.toString('hex')}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`,
    );
    expect(await verifierKeyOf(signer)).toBe(signer.verifierKey());
    expect(parseVerifierKey(signer.verifierKey().replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toBeUndefined();
  });

  it('reloads a key from PEM or JWK with the same verifier key', () => {
    const signer = Ed25519Signer.generate(ORIGIN);
    expect(Ed25519Signer.fromPrivateKeyPem(ORIGIN, signer.privateKeyPem()).verifierKey()).toBe(
      signer.verifierKey(),
    );
    expect(Ed25519Signer.fromPrivateKeyJwk(ORIGIN, signer.privateKeyJwk()).verifierKey()).toBe(
      signer.verifierKey(),
    );
    expect(signer.publicKeyPem()).toContain('BEGIN PUBLIC KEY');
    expect(signer.publicKeyJwk()).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(() => Ed25519Signer.generate('has space')).toThrow(/key name/);
    expect(() => Ed25519Signer.generate('a+b')).toThrow(/key name/);
  });

  it('verifies ECDSA P-256 signatures, the form an AWS KMS ECC_NIST_P256 key produces', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const kmsLike: CheckpointSigner = {
      keyName: ORIGIN,
      signatureType: SIGNATURE_TYPE_ECDSA,
      publicKeyRaw: async () => spki,
      sign: async (message) => sign('sha256', message, privateKey as KeyObject),
    };
    const note = await signCheckpoint(checkpoint, kmsLike);
    const vkey = await verifierKeyOf(kmsLike);
    expect(vkey.split('+')[1]).toBe(
      createHash('sha256').update(spki).digest().subarray(0, 4).toString('hex'),
    );
    expect(verifyCheckpoint(note, vkey)).toEqual({ ok: true, checkpoint, keyNames: [ORIGIN] });
    expect(verifyCheckpoint(note.replace('\n5\n', '\n6\n'), vkey)).toMatchObject({ ok: false });
  });
});
