import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, table, UsageError } from '#cli/io.ts';
import { keyDirectory, type LocalKey, listLocalKeys, writeKeyPair } from '#cli/key-store.ts';
import { type RecipientKeyAlgorithm, RecipientKeyAlgorithmSchema } from '#shared/domain/crypto/jwks.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
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

export const keysCommands = [
  keysGenerateCommand,
  keysPublishCommand,
  keysRotateCommand,
  keysRetireCommand,
  keysListCommand,
];
