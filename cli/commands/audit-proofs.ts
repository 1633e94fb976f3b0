/**
 * `rex audit prove` and `rex audit consistency`: RFC 9162 proofs fetched from the
 * audit API and verified here, against the trusted verifier keys
 * (docs/audit-format.md §12). The platform is not trusted for the verdict: it only
 * hands out the proof, the entry and the signed checkpoints.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, UsageError } from '#cli/io.ts';
import {
  type KnownCheckpoint,
  knownCheckpointsFile,
  readKnownCheckpoints,
  rememberCheckpoints,
} from '#cli/known-checkpoints.ts';
import { verifyCheckpointConsistency, verifyEntryInclusion } from '#shared/domain/audit/proofs.ts';
import { parseVerifierKey, verifyCheckpoint } from '#shared/domain/audit/signed-note.ts';
import type { CheckpointView } from '#shared/schemas/audit.ts';
import { RexApiError } from '#shared/sdk/client.ts';
import { parseCheckpointsFile, verifierKeys } from './audit.ts';

function trustedKeys(ctx: CommandContext): string[] {
  const values = ctx.values.key === undefined ? [] : [ctx.values.key].flat().map(String);
  if (values.length === 0) throw new UsageError('--key <verifier key or file> is required.');
  const keys = verifierKeys(values, ctx.io.cwd);
  for (const [i, key] of keys.entries()) {
    if (parseVerifierKey(key) === undefined)
      throw new UsageError(
        `Verifier key ${i + 1} is not a verifier key <name>+<8 hex digits>+<base64>, or its key id does not match (docs/audit-format.md §5).`,
      );
  }
  return keys;
}

function wholeNumber(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[1-9][0-9]{0,15}$/.test(String(value)) || !Number.isSafeInteger(n))
    throw new UsageError(`--${option} must be a whole number ≥ 1.`);
  return n;
}

const KEY_HELP = `  --key <key|file>        trusted verifier key (<name>+<id>+<base64>), or a file with
                          one key per line (repeatable); never taken from the API`;
const PROFILE_HELP = `  --profile <name>        a DPO profile (default: REX_PROFILE)
  --profiles <file>       profile file (default: REX_PROFILES, else .local/credentials.json)`;

// ============================================================== prove

async function prove(ctx: CommandContext): Promise<number> {
  const sequence = wholeNumber(ctx.values.entry, 'entry');
  if (sequence === undefined) throw new UsageError('--entry <sequence> is required.');
  const treeSize = wholeNumber(ctx.values['tree-size'], 'tree-size');
  if (treeSize !== undefined && sequence > treeSize)
    throw new UsageError('--entry must not be above --tree-size.');
  const keys = trustedKeys(ctx);
  const proof = await ctx
    .client()
    .inclusionProof({ sequence, ...(treeSize !== undefined ? { treeSize } : {}) });
  const result = await verifyEntryInclusion({
    entry: proof.entry,
    treeSize: proof.treeSize,
    hashes: proof.hashes,
    checkpoint: proof.checkpoint.note,
    verifierKey: keys,
    ...(ctx.values.origin !== undefined ? { origin: String(ctx.values.origin) } : {}),
  });
  // The entry asked for, not another one the platform might hand out instead.
  const sameEntry = proof.entry.sequence === sequence;
  const ok = result.ok && sameEntry;
  const summary = {
    ok,
    sequence,
    treeSize: proof.treeSize,
    proofHashes: proof.hashes.length,
    entryHash: proof.entry.hash,
    event: proof.entry.event,
    time: proof.entry.time,
    ...(result.ok ? {} : { reason: result.reason, detail: result.detail }),
    ...(result.ok && !sameEntry
      ? { reason: 'bad-proof', detail: 'the platform answered with another entry' }
      : {}),
  };
  emit(ctx.io, ctx.json, summary, () =>
    ok
      ? [
          `OK: entry ${sequence} is in the log signed at tree size ${proof.treeSize}`,
          `  ${proof.entry.event} at ${proof.entry.time}, hash ${proof.entry.hash}`,
          `  inclusion proof of ${proof.hashes.length} hashes against the signed root ${proof.checkpoint.rootHash}`,
        ].join('\n')
      : [`FAILED: ${summary.reason} for entry ${sequence}`, `  ${summary.detail}`].join('\n'),
  );
  return ok ? 0 : 1;
}

export const auditProveCommand: Command = {
  name: 'audit prove',
  summary: 'Prove that an entry is in the signed log (RFC 9162 inclusion proof)',
  help: `Usage: rex audit prove --profile <dpo profile> --entry <sequence> --key <key or file> [--tree-size <n>] [--json]

Fetches the entry, a signed checkpoint and the inclusion proof from the audit API,
and checks here that the checkpoint is signed by a trusted key, that the entry is
well-formed and hashes to its own hash, and that the proof leads from it to the
signed root — without downloading the rest of the log (docs/audit-format.md §12).

  --entry <sequence>      the entry to prove
  --tree-size <n>         prove against the checkpoint of this tree size (default: the newest)
${KEY_HELP}
  --origin <origin>       the log origin to expect (default: the checkpoint's own)
${PROFILE_HELP}
  --json                  machine-readable result

Exit status: 0 proven, 1 the proof does not hold (or the API refused), 2 wrong usage.`,
  options: {
    entry: { type: 'string' },
    'tree-size': { type: 'string' },
    key: { type: 'string', multiple: true },
    origin: { type: 'string' },
  },
  needsProfile: true,
  run: prove,
};

// ============================================================== consistency

async function consistency(ctx: CommandContext): Promise<number> {
  const keys = trustedKeys(ctx);
  const toSize = wholeNumber(ctx.values['to-tree-size'], 'to-tree-size');
  const client = ctx.client();
  let newest: CheckpointView;
  try {
    newest =
      toSize === undefined
        ? await client.latestCheckpoint()
        : await checkpointOfSize(ctx, toSize, '--to-tree-size');
  } catch (error) {
    if (error instanceof RexApiError && error.status === 404)
      throw new CliError('The log has no signed checkpoint yet; try again in a minute.');
    throw error;
  }
  const newer = verifyCheckpoint(newest.note, keys);
  if (!newer.ok) throw new CliError(`The newest checkpoint is not signed by a trusted key: ${newer.detail}.`);
  const origin = ctx.values.origin !== undefined ? String(ctx.values.origin) : newer.checkpoint.origin;
  if (newer.checkpoint.origin !== origin) throw new CliError('The newest checkpoint belongs to another log.');

  // The older checkpoints: the files given, and the remembered ones (unless --no-remember).
  const files =
    ctx.values['from-checkpoint'] === undefined ? [] : [ctx.values['from-checkpoint']].flat().map(String);
  const older: KnownCheckpoint[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(resolve(ctx.io.cwd, file), 'utf8');
    } catch {
      throw new CliError(`Cannot read the checkpoint file ${file}.`);
    }
    for (const note of parseCheckpointsFile(text).notes) {
      const verified = verifyCheckpoint(note, keys);
      if (!verified.ok)
        throw new CliError(`A checkpoint of ${file} is not signed by a trusted key: ${verified.detail}.`);
      if (verified.checkpoint.origin !== origin)
        throw new CliError(`A checkpoint of ${file} belongs to another log.`);
      older.push({ note, checkpoint: verified.checkpoint });
    }
  }
  const profile = (ctx.values.profile as string | undefined) ?? ctx.io.env.REX_PROFILE;
  const remember = ctx.values['no-remember'] !== true;
  const known = remember
    ? readKnownCheckpoints(
        knownCheckpointsFile(ctx.values.remember as string | undefined, profile, origin, ctx.io.cwd),
        origin,
        keys,
      )
    : undefined;
  older.push(...(known?.trusted ?? []));
  if (older.length === 0)
    throw new UsageError(
      'Give --from-checkpoint <file>, or verify an export first so that checkpoints are remembered.',
    );

  const bySize = new Map<number, KnownCheckpoint>();
  for (const k of older) if (!bySize.has(k.checkpoint.treeSize)) bySize.set(k.checkpoint.treeSize, k);
  const results: { treeSize: number; ok: boolean; detail?: string }[] = [];
  for (const k of [...bySize.values()].sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize)) {
    const size = k.checkpoint.treeSize;
    if (size > newest.treeSize) {
      results.push({
        treeSize: size,
        ok: false,
        detail: `the log now ends at ${newest.treeSize}: it shrank`,
      });
      continue;
    }
    // The proof is computed over the platform's tree as it is now; it must lead from *our*
    // checkpoint's root, not from the platform's checkpoint of that size.
    let hashes: readonly string[] = [];
    if (size < newest.treeSize) {
      try {
        hashes = (await client.consistencyProof({ fromTreeSize: size, toTreeSize: newest.treeSize })).hashes;
      } catch (error) {
        if (!(error instanceof RexApiError) || error.status !== 400) throw error;
        results.push({
          treeSize: size,
          ok: false,
          detail: 'the platform no longer has a checkpoint of this size',
        });
        continue;
      }
    }
    const verdict = await verifyCheckpointConsistency({
      from: k.note,
      to: newest.note,
      hashes,
      verifierKey: keys,
    });
    results.push(
      verdict.ok ? { treeSize: size, ok: true } : { treeSize: size, ok: false, detail: verdict.detail },
    );
  }
  const ok = results.every((r) => r.ok);
  let total: number | undefined;
  if (ok && known) {
    const added = [
      ...older.filter((k) => !known.trusted.includes(k)),
      { note: newest.note, checkpoint: newer.checkpoint },
    ];
    total = rememberCheckpoints(known.file, known, added);
  }
  emit(
    ctx.io,
    ctx.json,
    {
      ok,
      toTreeSize: newest.treeSize,
      checked: results,
      ...(known ? { remembered: { file: known.file, total } } : {}),
    },
    () => {
      const lines = results.map((r) =>
        r.ok
          ? `  ${r.treeSize} → ${newest.treeSize}: consistent`
          : `  ${r.treeSize} → ${newest.treeSize}: FAILED, ${r.detail}`,
      );
      return [
        ok
          ? `OK: the log at tree size ${newest.treeSize} extends all ${results.length} older checkpoint(s)`
          : `FAILED: the log at tree size ${newest.treeSize} does not extend every older checkpoint`,
        ...lines,
        ...(total !== undefined ? [`  ${total} checkpoints remembered in ${known!.file}`] : []),
      ].join('\n');
    },
  );
  return ok ? 0 : 1;
}

async function checkpointOfSize(
  ctx: CommandContext,
  treeSize: number,
  option: string,
): Promise<CheckpointView> {
  const page = await ctx.client().auditCheckpoints({ limit: 1, maxTreeSize: treeSize });
  const cp = page.items[0];
  if (cp?.treeSize !== treeSize)
    throw new CliError(`${option}: no signed checkpoint has tree size ${treeSize}.`);
  return cp;
}

export const auditConsistencyCommand: Command = {
  name: 'audit consistency',
  summary: 'Prove that the log only grew since checkpoints seen before (RFC 9162)',
  help: `Usage: rex audit consistency --profile <dpo profile> --key <key or file> [--from-checkpoint <file>] [--to-tree-size <n>] [--json]

Checks that the newest signed checkpoint (or the one of --to-tree-size) extends
every older checkpoint you hold — those of --from-checkpoint and those remembered
by rex audit verify — with an RFC 9162 consistency proof from the audit API,
verified here against your own copy of each older checkpoint: a history rewritten
and re-signed since is caught (docs/audit-format.md §12). When all hold, the
newest checkpoint is remembered.

  --from-checkpoint <f>   a file of signed checkpoints (notes separated by "---"), e.g.
                          checkpoints.txt of an earlier export (repeatable)
  --to-tree-size <n>      the newer checkpoint (default: the newest)
${KEY_HELP}
  --origin <origin>       the log origin to expect (default: the newest checkpoint's)
  --remember <file>       the remembered checkpoints (default as for rex audit verify)
  --no-remember           use only --from-checkpoint, and remember nothing
${PROFILE_HELP}
  --json                  machine-readable result

Exit status: 0 consistent, 1 a checkpoint is not extended (or the API refused), 2 wrong usage.`,
  options: {
    'from-checkpoint': { type: 'string', multiple: true },
    'to-tree-size': { type: 'string' },
    key: { type: 'string', multiple: true },
    origin: { type: 'string' },
    remember: { type: 'string' },
    'no-remember': { type: 'boolean' },
  },
  needsProfile: true,
  run: consistency,
};
