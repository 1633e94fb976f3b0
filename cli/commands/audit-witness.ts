/**
 * `rex audit witness`: a witness outside the platform's operator cosigns the newest
 * checkpoint after checking, with an RFC 9162 consistency proof, that it extends the
 * last checkpoint this witness cosigned (C2SP tlog-cosignature; docs/audit-format.md
 * §13). The witness keeps its key and its last cosigned checkpoint in a folder of
 * its own and publishes the cosigned checkpoints it writes there.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, UsageError } from '#cli/io.ts';
import { isValidKeyName, parseVerifierKey, verifyCheckpoint } from '#shared/domain/audit/signed-note.ts';
import { WitnessKey, witnessCheckpoint } from '#shared/domain/audit/witness.ts';
import { verifierKeys } from './audit.ts';

const originStem = (origin: string): string =>
  origin.replace(
    /[^A-Za-z0-9._-]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );

interface WitnessState {
  readonly dir: string;
  readonly key: WitnessKey;
  readonly created: boolean;
}

/** The witness's folder: its key (made on first use, with --name) and what it cosigned. */
function witnessState(ctx: CommandContext): WitnessState {
  const profile = (ctx.values.profile as string | undefined) ?? ctx.io.env.REX_PROFILE;
  const explicit = ctx.values.state as string | undefined;
  if (!explicit && !profile)
    throw new UsageError('Name the witness folder with --state <dir>, or a profile.');
  const dir = explicit ? resolve(ctx.io.cwd, explicit) : resolve(ctx.io.cwd, '.local', 'witness', profile!);
  const keyFile = join(dir, 'witness-key.json');
  if (existsSync(keyFile)) {
    let stored: { name?: unknown; privateKeyPem?: unknown };
    try {
      stored = JSON.parse(readFileSync(keyFile, 'utf8')) as typeof stored;
    } catch {
      throw new CliError(`The witness key file ${keyFile} is not readable JSON.`);
    }
    if (typeof stored.name !== 'string' || typeof stored.privateKeyPem !== 'string')
      throw new CliError(`The witness key file ${keyFile} holds no name and key.`);
    if (ctx.values.name !== undefined && ctx.values.name !== stored.name)
      throw new UsageError(`This witness folder belongs to ${stored.name}; --name differs.`);
    return { dir, key: WitnessKey.fromPrivateKeyPem(stored.name, stored.privateKeyPem), created: false };
  }
  const name = ctx.values.name as string | undefined;
  if (!name)
    throw new UsageError('No witness key yet in this folder: give --name <witness name> to make one.');
  if (!isValidKeyName(name)) throw new UsageError('--name must be non-empty, without spaces or "+".');
  const key = WitnessKey.generate(name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, `${JSON.stringify({ name, privateKeyPem: key.privateKeyPem() }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  chmodSync(keyFile, 0o600);
  writeFileSync(
    join(dir, 'witness-key.txt'),
    `# ${name}: the witness key DPOs trust (rex audit verify --witness)\n${key.verifierKey()}\n`,
  );
  return { dir, key, created: true };
}

async function witness(ctx: CommandContext): Promise<number> {
  const keyValues = ctx.values.key === undefined ? [] : [ctx.values.key].flat().map(String);
  if (keyValues.length === 0) throw new UsageError('--key <the log verifier key or file> is required.');
  const logKeys = verifierKeys(keyValues, ctx.io.cwd);
  for (const [i, key] of logKeys.entries())
    if (parseVerifierKey(key) === undefined)
      throw new UsageError(`Verifier key ${i + 1} is not a verifier key.`);
  const state = witnessState(ctx);
  const client = ctx.client();
  const latest = await client.latestCheckpoint();
  const signed = verifyCheckpoint(latest.note, logKeys);
  if (!signed.ok) throw new CliError(`The newest checkpoint is not signed by the log key: ${signed.detail}.`);
  const origin = signed.checkpoint.origin;
  const lastFile = join(state.dir, `${originStem(origin)}.last`);
  const cosignedFile = join(state.dir, `${originStem(origin)}.cosigned`);
  const previous = existsSync(lastFile) ? readFileSync(lastFile, 'utf8') : undefined;
  const before = previous === undefined ? undefined : verifyCheckpoint(previous, logKeys);
  if (before && !before.ok)
    throw new CliError(`The last cosigned checkpoint ${lastFile} does not verify: ${before.detail}.`);
  const fromSize = before?.ok ? before.checkpoint.treeSize : undefined;
  let proof: readonly string[] = [];
  if (fromSize !== undefined && fromSize < latest.treeSize) {
    proof = (await client.consistencyProof({ fromTreeSize: fromSize, toTreeSize: latest.treeSize })).hashes;
  }
  const outcome = await witnessCheckpoint({
    note: latest.note,
    logKeys,
    previous,
    proof,
    witness: state.key,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const summary = {
    ok: outcome.ok,
    witness: state.key.name,
    witnessKey: state.key.verifierKey(),
    treeSize: latest.treeSize,
    previousTreeSize: fromSize ?? null,
    ...(outcome.ok ? { cosignedFile } : { detail: outcome.detail }),
  };
  if (outcome.ok) {
    writeFileSync(lastFile, outcome.cosigned, { mode: 0o600 });
    const exists = existsSync(cosignedFile);
    appendFileSync(cosignedFile, `${exists ? '---\n' : ''}${outcome.cosigned}`);
  }
  emit(ctx.io, ctx.json, summary, () =>
    outcome.ok
      ? [
          `COSIGNED: tree size ${latest.treeSize} of ${origin}${fromSize !== undefined ? `, consistent with ${fromSize}` : ' (the first checkpoint this witness sees)'}`,
          `  witness key    ${state.key.verifierKey()}${state.created ? ' (new)' : ''}`,
          `  cosigned notes ${cosignedFile} (publish it; DPOs pass it to rex audit verify --checkpoints)`,
        ].join('\n')
      : [`REFUSED: tree size ${latest.treeSize} is not cosigned`, `  ${outcome.detail}`].join('\n'),
  );
  return outcome.ok ? 0 : 1;
}

export const auditWitnessCommand: Command = {
  name: 'audit witness',
  summary: 'Cosign the newest checkpoint as a witness, after checking that the log only grew',
  help: `Usage: rex audit witness --profile <profile> --key <log key or file> [--state <dir>] [--name <witness name>] [--json]

A witness — someone outside the platform's operator, e.g. the Land's data-protection
authority or a second district — fetches the newest signed checkpoint, checks its
signature with the log key, and checks with an RFC 9162 consistency proof that it
extends the last checkpoint this witness cosigned. Only then it adds its cosignature
(C2SP tlog-cosignature) and appends the cosigned checkpoint to
<state>/<origin>.cosigned, which the witness publishes (docs/audit-format.md §13).
Run it regularly, e.g. every hour.

  --key <key|file>     the log's verifier key (repeatable across a rotation)
  --state <dir>        the witness's folder: its key, the last checkpoint it cosigned,
                       and what it cosigned (default .local/witness/<profile>)
  --name <name>        the witness's key name (a schema-less URL), to make its key on
                       first use; <state>/witness-key.txt is then the key DPOs trust
  --profile <name>     a profile that may read the audit checkpoints and proofs
  --json               machine-readable result

Exit status: 0 cosigned, 1 refused (not signed by the log, or not consistent with
what it cosigned before — a rewritten history), 2 wrong usage.`,
  options: {
    key: { type: 'string', multiple: true },
    state: { type: 'string' },
    name: { type: 'string' },
  },
  needsProfile: true,
  run: witness,
};
