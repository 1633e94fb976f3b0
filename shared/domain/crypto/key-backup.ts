/**
 * The password-protected backup file of an office's private key: the one format the
 * office's web page writes and reads and `rex keys export` / `rex keys import` write and
 * read, so an office can move between the page and `rex` (docs/jwe-format.md §9).
 *
 * The file is JSON: what the key is (office, kid, algorithm, the public JWK — nothing
 * secret) and the private JWK inside a compact JWE encrypted with the password
 * (PBES2-HS512+A256KW, A256GCM; RFC 7518 §4.8): any JOSE library can open it. Browser-safe:
 * jose and WebCrypto only, no node:crypto.
 */
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, errors, type JWK } from 'jose';
import * as z from 'zod';
import type { RecipientKeyAlgorithm } from './jwks.ts';

export const KEY_BACKUP_FORMAT = 'referral-exchange.office-key-backup.v1';
/** The JWE's `cty`: the plaintext is a private JWK. */
export const KEY_BACKUP_CONTENT_TYPE = 'jwk+json';
export const KEY_BACKUP_ALGORITHM = 'PBES2-HS512+A256KW';
/** PBKDF2-HMAC-SHA-512 iterations written: OWASP's recommendation for SHA-512 (2023). */
export const KEY_BACKUP_ITERATIONS = 210_000;
/** The most iterations a backup may ask for when read: bounds the work a crafted file causes. */
export const KEY_BACKUP_MAX_ITERATIONS = 5_000_000;
/** The shortest password a backup is written with. */
export const KEY_BACKUP_MIN_PASSWORD = 12;

const PUBLIC_MEMBERS = { RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'] } as const;

const BackupFileSchema = z.strictObject({
  format: z.literal(KEY_BACKUP_FORMAT),
  officeId: z.string().min(1).max(64),
  kid: z.string().min(1).max(128),
  alg: z.enum(['RSA-OAEP-256', 'ECDH-ES+A256KW']),
  createdAt: z.string().max(40),
  publicJwk: z.looseObject({ kty: z.enum(['RSA', 'EC']), kid: z.string() }),
  privateKey: z.string().max(64 * 1024),
});

/** What a backup file says about itself, readable without the password. */
export type KeyBackupInfo = Omit<z.infer<typeof BackupFileSchema>, 'privateKey' | 'publicJwk'> & {
  readonly publicJwk: JWK;
};

export interface OpenedKeyBackup extends KeyBackupInfo {
  readonly privateJwk: JWK & {
    readonly kid: string;
    readonly alg: RecipientKeyAlgorithm;
    readonly use: 'enc';
  };
}

export type KeyBackupRejection = 'not-a-backup' | 'wrong-password' | 'inconsistent' | 'weak-password';

/** A backup that cannot be written or opened; `reason` says why, never any key material. */
export class KeyBackupError extends Error {
  constructor(
    readonly reason: KeyBackupRejection,
    message: string,
  ) {
    super(message);
    this.name = 'KeyBackupError';
  }
}

export interface CreateKeyBackupInput {
  readonly officeId: string;
  readonly privateJwk: JWK;
  readonly password: string;
  readonly createdAt: Date;
  /** @default KEY_BACKUP_ITERATIONS */
  readonly iterations?: number;
}

/** Why a password is not good enough for a backup, or undefined. */
export function backupPasswordProblem(password: string): string | undefined {
  if ([...password].length < KEY_BACKUP_MIN_PASSWORD)
    return `must be at least ${KEY_BACKUP_MIN_PASSWORD} characters long`;
  return undefined;
}

/** The public half of a private recipient JWK, with kid, use and alg. */
export function publicHalf(privateJwk: JWK): JWK {
  const kty = privateJwk.kty as keyof typeof PUBLIC_MEMBERS;
  const members = PUBLIC_MEMBERS[kty];
  if (!members) throw new KeyBackupError('inconsistent', 'The key is neither RSA nor EC.');
  const half: Record<string, unknown> = {};
  for (const m of members) half[m] = privateJwk[m];
  return { ...half, kid: privateJwk.kid, use: 'enc', alg: privateJwk.alg } as JWK;
}

/** Writes the backup file (its text) of one private key, encrypted with the password. */
export async function createKeyBackup(input: CreateKeyBackupInput): Promise<string> {
  const problem = backupPasswordProblem(input.password);
  if (problem) throw new KeyBackupError('weak-password', `The password ${problem}.`);
  const { privateJwk } = input;
  const kid = privateJwk.kid;
  const alg = privateJwk.alg;
  if (typeof kid !== 'string' || (alg !== 'RSA-OAEP-256' && alg !== 'ECDH-ES+A256KW') || !privateJwk.d) {
    throw new KeyBackupError(
      'inconsistent',
      'Only a private recipient key with kid and alg can be backed up.',
    );
  }
  const publicJwk = publicHalf(privateJwk);
  const privateKey = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(privateJwk)))
    .setProtectedHeader({ alg: KEY_BACKUP_ALGORITHM, enc: 'A256GCM', cty: KEY_BACKUP_CONTENT_TYPE, kid })
    .setKeyManagementParameters({ p2c: input.iterations ?? KEY_BACKUP_ITERATIONS })
    .encrypt(new TextEncoder().encode(input.password));
  const file = {
    format: KEY_BACKUP_FORMAT,
    officeId: input.officeId,
    kid,
    alg,
    createdAt: input.createdAt.toISOString(),
    publicJwk,
    privateKey,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function parseFile(text: string): z.infer<typeof BackupFileSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyBackupError('not-a-backup', 'The file is not a key backup (not JSON).');
  }
  const parsed = BackupFileSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(file)'))];
    throw new KeyBackupError('not-a-backup', `The file is not a key backup (${fields.join(', ')}).`);
  }
  return parsed.data;
}

/** What the file says about its key, without the password; throws KeyBackupError for anything else. */
export function readKeyBackupInfo(text: string): KeyBackupInfo {
  const { privateKey: _, ...info } = parseFile(text);
  return info as KeyBackupInfo;
}

/**
 * Opens a backup with its password: the private JWK, checked against the file's public
 * key, kid and alg, so a file put together from two keys is refused.
 */
export async function openKeyBackup(text: string, password: string): Promise<OpenedKeyBackup> {
  const file = parseFile(text);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(file.privateKey);
  } catch {
    throw new KeyBackupError('not-a-backup', 'The file holds no readable encrypted key.');
  }
  if (header.alg !== KEY_BACKUP_ALGORITHM || header.enc !== 'A256GCM' || 'zip' in header) {
    throw new KeyBackupError('not-a-backup', 'The encrypted key uses algorithms this format does not.');
  }
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(file.privateKey, new TextEncoder().encode(password), {
      keyManagementAlgorithms: [KEY_BACKUP_ALGORITHM],
      contentEncryptionAlgorithms: ['A256GCM'],
      maxPBES2Count: KEY_BACKUP_MAX_ITERATIONS,
    }));
  } catch (error) {
    if (error instanceof errors.JWEDecryptionFailed)
      throw new KeyBackupError('wrong-password', 'The password does not open this backup.');
    throw new KeyBackupError('not-a-backup', 'The encrypted key cannot be read.');
  }
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as JWK;
  } catch {
    throw new KeyBackupError('inconsistent', 'The encrypted key is not a JWK.');
  }
  const expected = publicHalf(privateJwk);
  const stated = file.publicJwk as Record<string, unknown>;
  const same = Object.entries(expected).every(([k, v]) => stated[k] === v);
  if (!same || !privateJwk.d || privateJwk.kid !== file.kid || privateJwk.alg !== file.alg) {
    throw new KeyBackupError('inconsistent', 'The key in the backup does not match the key the file names.');
  }
  return {
    format: file.format,
    officeId: file.officeId,
    kid: file.kid,
    alg: file.alg,
    createdAt: file.createdAt,
    publicJwk: expected,
    privateJwk: { ...privateJwk, kid: file.kid, alg: file.alg, use: 'enc' },
  };
}
