import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '#cli/rex.ts';
import { decryptReferral, encryptReferral, REFERRAL_CONTENT_TYPE } from '#shared/domain/crypto/jwe.ts';
import { validatePublicRecipientJwk } from '#shared/domain/crypto/jwks.ts';
import {
  createKeyBackup,
  KEY_BACKUP_FORMAT,
  KEY_BACKUP_ITERATIONS,
  KeyBackupError,
  openKeyBackup,
  readKeyBackupInfo,
} from '#shared/domain/crypto/key-backup.ts';
import { generateRecipientKeyPair, type RecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { captureIo } from '#test/unit/cli/support.ts';

/**
 * The office key backup file: the web page writes and reads it (shared code, bundled for
 * the browser), rex keys export and rex keys import write and read the same file.
 */
const PASSWORD = 'Sommer-Beratung-2026!';
const OFFICE = 'mbe-caritas-bruchsal';
// Few iterations keep the unit tests quick; the default is checked once.
const FAST = 1_000;

let rsa: RecipientKeyPair;
let ec: RecipientKeyPair;
beforeAll(async () => {
  rsa = await generateRecipientKeyPair();
  ec = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
});

const backupOf = (pair: RecipientKeyPair, password = PASSWORD, iterations = FAST) =>
  createKeyBackup({
    officeId: OFFICE,
    privateJwk: pair.privateJwk,
    password,
    createdAt: new Date(),
    iterations,
  });

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyBackupError);
  return (error as KeyBackupError).reason;
}

describe('the key backup file', () => {
  it('round-trips RSA and EC keys: the opened key decrypts what was encrypted to the public key', async () => {
    for (const pair of [rsa, ec]) {
      const text = await backupOf(pair);
      const opened = await openKeyBackup(text, PASSWORD);
      expect(opened).toMatchObject({
        format: KEY_BACKUP_FORMAT,
        officeId: OFFICE,
        kid: pair.kid,
        alg: pair.publicJwk.alg,
      });
      expect(opened.privateJwk).toEqual(pair.privateJwk);
      const jwe = await encryptReferral({ hello: 'Welt' }, validatePublicRecipientJwk(opened.publicJwk), {
        cty: REFERRAL_CONTENT_TYPE,
      });
      const { payload } = await decryptReferral(jwe, new Map([[pair.kid, opened.privateJwk]]));
      expect(payload).toEqual({ hello: 'Welt' });
    }
  });

  it('holds no private member in the clear: only the public key and a PBES2 JWE', async () => {
    const text = await backupOf(rsa);
    const file = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(file).sort()).toEqual([
      'alg',
      'createdAt',
      'format',
      'kid',
      'officeId',
      'privateKey',
      'publicJwk',
    ]);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      expect(text).not.toContain(rsa.privateJwk[member] as string);
    }
    expect(readKeyBackupInfo(text).publicJwk).toEqual({ ...rsa.publicJwk });
    expect(decodeProtectedHeader(file.privateKey as string)).toMatchObject({
      alg: 'PBES2-HS512+A256KW',
      enc: 'A256GCM',
      cty: 'jwk+json',
      kid: rsa.kid,
      p2c: FAST,
    });
  });

  it('opens with any JOSE library: a plain jose compactDecrypt with the password', async () => {
    const text = await backupOf(ec);
    const { plaintext } = await compactDecrypt(
      (JSON.parse(text) as { privateKey: string }).privateKey,
      new TextEncoder().encode(PASSWORD),
      { keyManagementAlgorithms: ['PBES2-HS512+A256KW'] },
    );
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual(ec.privateJwk);
  });

  it('writes 210,000 PBKDF2 iterations by default', async () => {
    const text = await createKeyBackup({
      officeId: OFFICE,
      privateJwk: ec.privateJwk,
      password: PASSWORD,
      createdAt: new Date(),
    });
    expect(decodeProtectedHeader((JSON.parse(text) as { privateKey: string }).privateKey).p2c).toBe(
      KEY_BACKUP_ITERATIONS,
    );
    expect(KEY_BACKUP_ITERATIONS).toBe(210_000);
  });

  it('refuses a wrong password, a short password, a file that is not a backup, and a file put together from two keys', async () => {
    const text = await backupOf(rsa);
    expect(await reason(openKeyBackup(text, 'Winter-Beratung-2026!'))).toBe('wrong-password');
    expect(await reason(backupOf(rsa, 'kurz'))).toBe('weak-password');
    expect(await reason(openKeyBackup('{"keys":[]}', PASSWORD))).toBe('not-a-backup');
    expect(await reason(openKeyBackup('not json', PASSWORD))).toBe('not-a-backup');
    const other = JSON.parse(await backupOf(ec)) as Record<string, unknown>;
    const mixed = { ...(JSON.parse(text) as Record<string, unknown>), privateKey: other.privateKey };
    expect(await reason(openKeyBackup(JSON.stringify(mixed), PASSWORD))).toBe('inconsistent');
    // A crafted file cannot make the reader run millions of PBKDF2 iterations.
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const header = {
      alg: 'PBES2-HS512+A256KW',
      enc: 'A256GCM',
      p2c: 50_000_000,
      p2s: 'c2FsdHNhbHRzYWx0c2FsdA',
    };
    const greedy = {
      ...(JSON.parse(text) as Record<string, unknown>),
      privateKey: `${b64(header)}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA`,
    };
    const started = performance.now();
    expect(await reason(openKeyBackup(JSON.stringify(greedy), PASSWORD))).toBe('not-a-backup');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('rex keys export and rex keys import', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rex-backup-'));
    writeFileSync(
      join(dir, 'profiles.json'),
      JSON.stringify({
        region: 'eu-central-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: [
          {
            profile: 'office',
            principal: `service:${OFFICE}`,
            accessKeyId: 'AKIDEXAMPLE',
            secretAccessKey: 'x',
          },
          {
            profile: 'other',
            principal: 'service:mbe-diakonie-bruchsal',
            accessKeyId: 'AKIDEXAMPLE',
            secretAccessKey: 'x',
          },
        ],
      }),
    );
    writeFileSync(join(dir, 'password.txt'), `${PASSWORD}\n`);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const env = { REX_PROFILES: 'profiles.json', REX_KEY_BACKUP_PASSWORD: PASSWORD };

  it("imports the page's backup into the key directory as rex keys generate writes keys", async () => {
    writeFileSync(join(dir, 'page-backup.json'), await backupOf(ec));
    const io = captureIo(dir, env);
    expect(
      await run(['keys', 'import', 'page-backup.json', '--profile', 'office', '--key-dir', 'keys'], io),
    ).toBe(0);
    expect(io.out()).toContain(`Imported ${ec.kid}`);
    expect(io.out() + io.err()).not.toContain(ec.privateJwk.d as string);
    const privateFile = join(
      dir,
      'keys',
      readdirSync(join(dir, 'keys')).find((f) => f.endsWith('.private.jwk.json'))!,
    );
    expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(privateFile, 'utf8'))).toEqual(ec.privateJwk);
    // Importing it again is refused: a kid is one key.
    expect(await run(['keys', 'import', 'page-backup.json', '--key-dir', 'keys'], captureIo(dir, env))).toBe(
      1,
    );
  });

  it('exports a key of the key directory that the page (the shared reader) opens; import refuses another office and a wrong password', async () => {
    const gen = captureIo(dir, env);
    expect(await run(['keys', 'generate', '--key-dir', 'keys', '--json'], gen)).toBe(0);
    const { kid, privateKeyFile } = JSON.parse(gen.out()) as { kid: string; privateKeyFile: string };
    const io = captureIo(dir, { REX_PROFILES: 'profiles.json' });
    expect(
      await run(
        [
          'keys',
          'export',
          kid,
          '--out',
          'backup.json',
          '--password-file',
          'password.txt',
          '--profile',
          'office',
          '--key-dir',
          'keys',
        ],
        io,
      ),
    ).toBe(0);
    expect(statSync(join(dir, 'backup.json')).mode & 0o777).toBe(0o600);
    const opened = await openKeyBackup(readFileSync(join(dir, 'backup.json'), 'utf8'), PASSWORD);
    expect(opened.officeId).toBe(OFFICE);
    expect(opened.privateJwk).toEqual(JSON.parse(readFileSync(privateKeyFile, 'utf8')));
    // Never overwritten.
    expect(
      await run(
        ['keys', 'export', kid, '--out', 'backup.json', '--profile', 'office', '--key-dir', 'keys'],
        captureIo(dir, env),
      ),
    ).toBe(1);
    const foreign = captureIo(dir, env);
    expect(
      await run(['keys', 'import', 'backup.json', '--profile', 'other', '--key-dir', 'elsewhere'], foreign),
    ).toBe(1);
    expect(foreign.err()).toContain(`is a key of ${OFFICE}`);
    const wrong = captureIo(dir, { ...env, REX_KEY_BACKUP_PASSWORD: 'falsches-Passwort-123' });
    expect(await run(['keys', 'import', 'backup.json', '--key-dir', 'elsewhere'], wrong)).toBe(1);
    expect(wrong.err()).toContain('password does not open');
    // No password at all is a usage error.
    expect(await run(['keys', 'import', 'backup.json', '--key-dir', 'elsewhere'], captureIo(dir, {}))).toBe(
      2,
    );
  });
});
