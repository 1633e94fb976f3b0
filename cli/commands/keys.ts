import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, table, UsageError } from '#cli/io.ts';
import { keyDirectory, keyFiles, type LocalKey, listLocalKeys, writeKeyPair } from '#cli/key-store.ts';
import {
  type RecipientKeyAlgorithm,
  RecipientKeyAlgorithmSchema,
  validatePublicRecipientJwk,
} from '#shared/domain/crypto/jwks.ts';
import {
  backupPasswordProblem,
  createKeyBackup,
  KeyBackupError,
  openKeyBackup,
} from '#shared/domain/crypto/key-backup.ts';
import { generateRecipientKeyPair, type PrivateRecipientJwk } from '#shared/domain/crypto/keygen.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import type { OfficeKeys } from '#shared/schemas/keys.ts';

const KEY_DIR_HELP = `  --key-dir <dir>      where the private keys live (default .local/keys/<profile>/)`;
const PROFILE_HELP = `  --profile <name>     profile to sign with (default: REX_PROFILE)
  --profiles <file>    profile file (default: REX_PROFILES, else .local/credentials.json)
  --json               machine-readable output`;

function keyDir(ctx: CommandContext): string {
  const explicit = ctx.values['key-dir'] as string | undefined;
  const profileName = (ctx.values.profile as string | undefined) ?? ctx.io.env.REX_PROFILE;
  return keyDirectory(explicit, profileName, ctx.io.cwd);
}

function algorithm(ctx: CommandContext): RecipientKeyAlgorithm {
  const alg = (ctx.values.alg as string | undefined) ?? 'RSA-OAEP-256';
  const parsed = RecipientKeyAlgorithmSchema.safeParse(alg);
  if (!parsed.success) throw new UsageError('--alg must be RSA-OAEP-256 or ECDH-ES+A256KW.');
  return parsed.data;
}

async function generate(ctx: CommandContext) {
  const dir = keyDir(ctx);
  const pair = await generateRecipientKeyPair({ alg: algorithm(ctx) });
  const files = writeKeyPair(dir, pair);
  return { kid: pair.kid, alg: pair.publicJwk.alg, ...files };
}

/** Publishes every local key the office has not retired; `current` (or the newest) becomes current. */
async function publishLocal(ctx: CommandContext, current: string | undefined) {
  const dir = keyDir(ctx);
  const officeId = await ctx.officeId();
  const client = ctx.client();
  const server = await client.getKeys(officeId);
  const retired = new Set(server.history.filter((h) => h.retiredAt !== null).map((h) => h.kid));
  const candidates = listLocalKeys(dir).filter((k) => !retired.has(k.kid));
  if (candidates.length === 0) {
    throw new CliError(`No unretired public keys in ${dir}. Generate one with: rex keys generate`);
  }
  const chosen = current ?? candidates[candidates.length - 1]!.kid;
  if (!candidates.some((k) => k.kid === chosen)) {
    throw new CliError(`The key ${chosen} is not an unretired key of ${dir}.`);
  }
  const keys = candidates.map((k) => k.publicJwk);
  return client.publishKeys(officeId, { keys, current: chosen });
}

function describeServer(view: OfficeKeys): string {
  return `office ${view.officeId}: current key ${view.current ?? '(none)'}, ${view.keys.length} published`;
}

export const keysGenerateCommand: Command = {
  name: 'keys generate',
  summary: 'Generate a key pair into the key directory',
  help: `Usage: rex keys generate [--alg RSA-OAEP-256|ECDH-ES+A256KW] [--key-dir <dir> | --profile <name>]

Writes <kid>.private.jwk.json (mode 0600) and <kid>.public.jwk.json into the key
directory and prints the kid. Nothing is sent anywhere; publish with rex keys publish.

  --alg <alg>          RSA-OAEP-256 (default, 3072 bits) or ECDH-ES+A256KW (P-256)
${KEY_DIR_HELP}
${PROFILE_HELP}`,
  options: { alg: { type: 'string' }, 'key-dir': { type: 'string' } },
  needsProfile: false,
  async run(ctx) {
    const out = await generate(ctx);
    emit(ctx.io, ctx.json, out, () =>
      [
        `${out.kid}`,
        `  ${out.alg}`,
        `  private key  ${out.privateKeyFile} (0600)`,
        `  public key   ${out.publicKeyFile}`,
      ].join('\n'),
    );
    return 0;
  },
};

export const keysPublishCommand: Command = {
  name: 'keys publish',
  summary: 'Publish the public keys of the key directory',
  help: `Usage: rex keys publish [--kid <kid>] [--profile <name>] [--key-dir <dir>]

Publishes every public key of the key directory that the office has not retired
(PUT /v1/services/<office>/keys). The key named by --kid, else the newest, becomes
current; the others stay valid for what was already encrypted to them.

  --kid <kid>          the key that becomes current
${KEY_DIR_HELP}
${PROFILE_HELP}`,
  options: { kid: { type: 'string' }, 'key-dir': { type: 'string' } },
  needsProfile: true,
  async run(ctx) {
    const view = await publishLocal(ctx, ctx.values.kid as string | undefined);
    emit(ctx.io, ctx.json, view, () => `Published. ${describeServer(view)}`);
    return 0;
  },
};

export const keysRotateCommand: Command = {
  name: 'keys rotate',
  summary: 'Generate a new key and publish it as the current one',
  help: `Usage: rex keys rotate [--alg RSA-OAEP-256|ECDH-ES+A256KW] [--profile <name>] [--key-dir <dir>]

rex keys generate, then rex keys publish with the new key current. Keep the old
private key until everything encrypted to it has been received; then retire it.

  --alg <alg>          RSA-OAEP-256 (default) or ECDH-ES+A256KW
${KEY_DIR_HELP}
${PROFILE_HELP}`,
  options: { alg: { type: 'string' }, 'key-dir': { type: 'string' } },
  needsProfile: true,
  async run(ctx) {
    ctx.profile();
    const generated = await generate(ctx);
    const view = await publishLocal(ctx, generated.kid);
    emit(
      ctx.io,
      ctx.json,
      { generated, keys: view },
      () => `Rotated to ${generated.kid}. ${describeServer(view)}`,
    );
    return 0;
  },
};

export const keysRetireCommand: Command = {
  name: 'keys retire',
  summary: 'Retire a published key',
  help: `Usage: rex keys retire <kid> [--successor <kid>] [--profile <name>]

Retires the key at the API: it leaves the published key set and its kid is never
used again. The current key needs --successor, which becomes current. The private
key file stays in the key directory; delete it once nothing encrypted to it remains.

  --successor <kid>    the published key that becomes current
${PROFILE_HELP}`,
  options: { successor: { type: 'string' } },
  positionals: { names: ['kid'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const kid = ctx.positionals[0]!;
    const successor = ctx.values.successor as string | undefined;
    const view = await ctx
      .client()
      .retireKey(await ctx.officeId(), kid, successor === undefined ? {} : { successor });
    emit(ctx.io, ctx.json, view, () => `Retired ${kid}. ${describeServer(view)}`);
    return 0;
  },
};

function statusOf(kid: string, view: OfficeKeys): string {
  const h = view.history.find((k) => k.kid === kid);
  if (!h) return 'not published';
  if (h.retiredAt !== null) return 'retired';
  return h.current ? 'current' : 'published';
}

export const keysListCommand: Command = {
  name: 'keys list',
  summary: "Show the office's keys at the API and which private keys are here",
  help: `Usage: rex keys list [--profile <name>] [--key-dir <dir>] [--json]

Lists every key the office ever published (current, published, retired) and every
key of the key directory, with whether its private key is present locally.

${KEY_DIR_HELP}
${PROFILE_HELP}`,
  options: { 'key-dir': { type: 'string' } },
  needsProfile: true,
  async run(ctx) {
    const view = await ctx.client().getKeys(await ctx.officeId());
    const local = new Map<string, LocalKey>(listLocalKeys(keyDir(ctx)).map((k) => [k.kid, k]));
    const kids = [...new Set([...view.history.map((h) => h.kid), ...local.keys()])];
    const rows = kids.map((kid) => {
      const h = view.history.find((k) => k.kid === kid);
      return {
        kid,
        alg: h?.alg ?? local.get(kid)?.alg ?? '',
        status: statusOf(kid, view),
        publishedAt: h?.publishedAt ?? null,
        retiredAt: h?.retiredAt ?? null,
        privateKeyPresent: local.get(kid)?.hasPrivateKey ?? false,
      };
    });
    emit(ctx.io, ctx.json, { officeId: view.officeId, current: view.current, keys: rows }, () => {
      const lines = [
        table([
          ['KID', 'ALG', 'STATUS', 'PUBLISHED', 'PRIVATE KEY HERE'],
          ...rows.map((r) => [
            r.kid,
            r.alg,
            r.status,
            r.publishedAt ?? '-',
            r.privateKeyPresent ? 'yes' : 'no',
          ]),
        ]),
      ];
      const missing = rows.filter(
        (r) => (r.status === 'current' || r.status === 'published') && !r.privateKeyPresent,
      );
      for (const r of missing) lines.push(`warning: no private key here for the published key ${r.kid}`);
      return lines.join('\n');
    });
    return 0;
  },
};

const PASSWORD_ENV = 'REX_KEY_BACKUP_PASSWORD';
const PASSWORD_HELP = `  --password-file <f>  a file whose first line is the backup's password
                       (default: the environment variable ${PASSWORD_ENV})`;

/** The backup password: first line of --password-file, else REX_KEY_BACKUP_PASSWORD. Never printed. */
function backupPassword(ctx: CommandContext): string {
  const file = ctx.values['password-file'] as string | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(ctx.io.cwd, file), 'utf8');
    } catch {
      throw new CliError(`Cannot read the password file ${file}.`);
    }
    const line = text.split(/\r?\n/)[0] ?? '';
    if (!line) throw new CliError(`The password file ${file} is empty.`);
    return line;
  }
  const fromEnv = ctx.io.env[PASSWORD_ENV];
  if (!fromEnv) {
    throw new UsageError(`Give the backup's password with --password-file <file> or ${PASSWORD_ENV}.`);
  }
  return fromEnv;
}

export const keysExportCommand: Command = {
  name: 'keys export',
  summary: 'Write a password-protected backup file of a private key (the web page reads it)',
  help: `Usage: rex keys export <kid> --out <file> [--password-file <file>] [--profile <name>] [--key-dir <dir>]

Writes the private key <kid> of the key directory into a backup file protected by a
password (the private JWK in a JWE, PBES2-HS512+A256KW / A256GCM; docs/jwe-format.md
§9). The office's web page imports this file, and rex keys import reads it back. The
file is written with mode 0600 and never overwritten. Nothing is sent anywhere.

  --out <file>         the backup file to write
${PASSWORD_HELP}
${KEY_DIR_HELP}
${PROFILE_HELP}`,
  options: { out: { type: 'string' }, 'password-file': { type: 'string' }, 'key-dir': { type: 'string' } },
  positionals: { names: ['kid'], required: 1 },
  needsProfile: true,
  async run(ctx) {
    const kid = ctx.positionals[0]!;
    const out = ctx.values.out as string | undefined;
    if (!out) throw new UsageError('--out <file> is required: where the backup file goes.');
    const password = backupPassword(ctx);
    const problem = backupPasswordProblem(password);
    if (problem) throw new CliError(`The backup password ${problem}.`);
    const dir = keyDir(ctx);
    const { privateKeyFile } = keyFiles(dir, kid);
    if (!existsSync(privateKeyFile)) throw new CliError(`No private key ${kid} in ${dir}.`);
    const privateJwk = JSON.parse(readFileSync(privateKeyFile, 'utf8')) as PrivateRecipientJwk;
    const text = await createKeyBackup({
      officeId: await ctx.officeId(),
      privateJwk,
      password,
      createdAt: new Date(),
    });
    const path = resolve(ctx.io.cwd, out);
    try {
      writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    } catch {
      throw new CliError(`Cannot write ${path} (it may exist already; a backup is never overwritten).`);
    }
    emit(ctx.io, ctx.json, { kid, file: path }, () => `Backup of ${kid} written to ${path} (0600).`);
    return 0;
  },
};

export const keysImportCommand: Command = {
  name: 'keys import',
  summary:
    'Put the private key of a backup file (from the web page or rex keys export) into the key directory',
  help: `Usage: rex keys import <file> [--password-file <file>] [--profile <name>] [--key-dir <dir>]

Opens a password-protected key backup — written by the office's web page or by rex
keys export — and writes its key pair into the key directory, as rex keys generate
would (<kid>.private.jwk.json, mode 0600). Refuses a backup of another office than
the profile's, a wrong password, and a kid the directory already holds. Nothing is
sent anywhere; publish or retire keys as usual afterwards.

${PASSWORD_HELP}
${KEY_DIR_HELP}
${PROFILE_HELP}`,
  options: { 'password-file': { type: 'string' }, 'key-dir': { type: 'string' } },
  positionals: { names: ['file'], required: 1 },
  needsProfile: false,
  async run(ctx) {
    const file = resolve(ctx.io.cwd, ctx.positionals[0]!);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new CliError(`Cannot read the backup file ${file}.`);
    }
    let opened: Awaited<ReturnType<typeof openKeyBackup>>;
    try {
      opened = await openKeyBackup(text, backupPassword(ctx));
    } catch (error) {
      if (error instanceof KeyBackupError)
        throw new CliError(`${file}: ${error.message}`, { reason: error.reason });
      throw error;
    }
    const named = (ctx.values.profile as string | undefined) ?? ctx.io.env.REX_PROFILE;
    if (named !== undefined) {
      const officeId = await ctx.officeId();
      if (officeId !== opened.officeId) {
        throw new CliError(`${file} is a key of ${opened.officeId}, not of ${officeId}.`);
      }
    }
    let publicJwk: ReturnType<typeof validatePublicRecipientJwk>['jwk'];
    try {
      publicJwk = validatePublicRecipientJwk(opened.publicJwk).jwk;
    } catch (error) {
      if (error instanceof InvalidRequest) {
        throw new CliError(
          `${file} holds a key that cannot be published (${error.issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}).`,
        );
      }
      throw error;
    }
    const files = writeKeyPair(keyDir(ctx), {
      kid: opened.kid,
      publicJwk,
      privateJwk: opened.privateJwk as PrivateRecipientJwk,
    });
    emit(ctx.io, ctx.json, { kid: opened.kid, officeId: opened.officeId, alg: opened.alg, ...files }, () =>
      [
        `Imported ${opened.kid} (${opened.alg}) of ${opened.officeId}`,
        `  private key  ${files.privateKeyFile} (0600)`,
        `  public key   ${files.publicKeyFile}`,
      ].join('\n'),
    );
    return 0;
  },
};

export const keysCommands = [
  keysGenerateCommand,
  keysPublishCommand,
  keysRotateCommand,
  keysRetireCommand,
  keysListCommand,
  keysExportCommand,
  keysImportCommand,
];
