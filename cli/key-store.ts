/**
 * The office's key directory: one private JWK per key (`<kid>.private.jwk.json`,
 * mode 0600) and its public JWK next to it (`<kid>.public.jwk.json`). The private
 * files never leave this directory and are never printed.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { PublicRecipientJwk, RecipientKeyAlgorithm } from '#shared/domain/crypto/jwks.ts';
import { validatePublicRecipientJwk } from '#shared/domain/crypto/jwks.ts';
import type { RecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { CliError, UsageError } from './io.ts';

const PRIVATE_SUFFIX = '.private.jwk.json';
const PUBLIC_SUFFIX = '.public.jwk.json';

/** `--key-dir`, else `.local/keys/<profile>/` of the current directory. */
export function keyDirectory(
  explicit: string | undefined,
  profileName: string | undefined,
  cwd: string,
): string {
  if (explicit) return resolve(cwd, explicit);
  if (!profileName) {
    throw new UsageError('Name the key directory with --key-dir <dir>, or a profile with --profile <name>.');
  }
  return resolve(cwd, '.local', 'keys', profileName);
}

/** A kid as a file name: anything outside [A-Za-z0-9._-] percent-encoded (kids may contain `/`). */
export const kidFileStem = (kid: string): string =>
  kid.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

export interface KeyFiles {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
}

export function keyFiles(dir: string, kid: string): KeyFiles {
  const stem = kidFileStem(kid);
  return {
    privateKeyFile: join(dir, `${stem}${PRIVATE_SUFFIX}`),
    publicKeyFile: join(dir, `${stem}${PUBLIC_SUFFIX}`),
  };
}

/** Writes a key pair; the private file is created exclusively with mode 0600 in a 0700 directory. */
export function writeKeyPair(dir: string, pair: RecipientKeyPair): KeyFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = keyFiles(dir, pair.kid);
  if (existsSync(files.privateKeyFile)) throw new CliError(`A key ${pair.kid} already exists in ${dir}.`);
  writeFileSync(files.privateKeyFile, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  // The mode given to writeFileSync is reduced by the umask; make sure.
  chmodSync(files.privateKeyFile, 0o600);
  writeFileSync(files.publicKeyFile, `${JSON.stringify(pair.publicJwk, null, 2)}\n`, { mode: 0o644 });
  return files;
}

export interface LocalKey extends KeyFiles {
  readonly kid: string;
  readonly alg: RecipientKeyAlgorithm;
  readonly publicJwk: PublicRecipientJwk;
  readonly hasPrivateKey: boolean;
  /** When the key was generated (the public file's modification time). */
  readonly createdMs: number;
}

/** The keys of the directory, oldest first. A missing directory has none. */
export function listLocalKeys(dir: string): LocalKey[] {
  if (!existsSync(dir)) return [];
  const keys: LocalKey[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(PUBLIC_SUFFIX)) continue;
    const publicKeyFile = join(dir, name);
    let key: ReturnType<typeof validatePublicRecipientJwk>;
    try {
      key = validatePublicRecipientJwk(JSON.parse(readFileSync(publicKeyFile, 'utf8')));
    } catch (error) {
      const why =
        error instanceof InvalidRequest
          ? error.issues.map((i) => `${i.field}: ${i.reason}`).join('; ')
          : 'not JSON';
      throw new CliError(`${publicKeyFile} is not a usable public key (${why}).`);
    }
    const files = keyFiles(dir, key.kid);
    if (files.publicKeyFile !== publicKeyFile) {
      throw new CliError(`${publicKeyFile} holds the key ${key.kid}; its file name does not match.`);
    }
    keys.push({
      ...files,
      kid: key.kid,
      alg: key.alg,
      publicJwk: key.jwk,
      hasPrivateKey: existsSync(files.privateKeyFile),
      createdMs: statSync(publicKeyFile).mtimeMs,
    });
  }
  return keys.sort((a, b) => a.createdMs - b.createdMs || (a.kid < b.kid ? -1 : 1));
}
