import { randomUUID } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, UsageError } from '#cli/io.ts';
import {
  type KnownCheckpoint,
  type KnownCheckpoints,
  knownCheckpointsFile,
  noteOrigin,
  readKnownCheckpoints,
  rememberCheckpoints,
} from '#cli/known-checkpoints.ts';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { MerkleFrontierJsonSchema } from '#shared/domain/audit/chain.ts';
import { checkWitnesses, parseCosignerKey } from '#shared/domain/audit/cosignature.ts';
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import { NdjsonVerifier, verifyNdjsonStream } from '#shared/domain/audit/fast-verify.ts';
import {
  parseCheckpointText,
  parseSignedNote,
  parseVerifierKey,
  verifyCheckpoint,
} from '#shared/domain/audit/signed-note.ts';
import type { VerifyAnchor, VerifyResult } from '#shared/domain/audit/verify.ts';
import type { CheckpointView } from '#shared/schemas/audit.ts';
import { RexApiError } from '#shared/sdk/client.ts';

/** Default progress interval, in entries. */
export const PROGRESS_EVERY = 100_000;
/** Bytes read from the entries file at a time. */
const READ_CHUNK = 1 << 20;

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`Cannot read the ${what} file ${file}.`);
  }
}

/**
 * A checkpoints file (docs/audit-format.md §6): signed notes separated by lines
 * `---`, and optionally the anchor JSON of a range that does not start at 1.
 */
export function parseCheckpointsFile(text: string): { notes: string[]; anchor: VerifyAnchor | undefined } {
  const notes: string[] = [];
  let anchor: VerifyAnchor | undefined;
  const chunks: string[][] = [[]];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '---') chunks.push([]);
    else chunks[chunks.length - 1]!.push(line);
  }
  for (const lines of chunks) {
    while (lines.length > 0 && lines[0] === '') lines.shift();
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    if (lines.length === 0) continue;
    const chunk = `${lines.join('\n')}\n`;
    if (chunk.startsWith('{')) {
      if (anchor) throw new CliError('The checkpoints name more than one anchor.');
      anchor = parseAnchor(chunk);
    } else {
      notes.push(chunk);
    }
  }
  return { notes, anchor };
}

export function parseAnchor(text: string): VerifyAnchor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError('The anchor is not JSON.');
  }
  const v = value as { sequence?: unknown; hash?: unknown; merkleFrontier?: unknown };
  if (typeof v.sequence !== 'number' || !Number.isSafeInteger(v.sequence) || v.sequence < 0) {
    throw new CliError('The anchor has no valid "sequence".');
  }
  if (typeof v.hash !== 'string' || !/^[0-9a-f]{64}$/.test(v.hash)) {
    throw new CliError('The anchor has no valid "hash".');
  }
  if (v.merkleFrontier === undefined) return { sequence: v.sequence, hash: v.hash };
  const frontier = MerkleFrontierJsonSchema.safeParse(v.merkleFrontier);
  if (!frontier.success) throw new CliError('The anchor\'s "merkleFrontier" is not valid.');
  return { sequence: v.sequence, hash: v.hash, merkleFrontier: frontier.data };
}

/** `--key` is a file of verifier keys (one a line, `#` comments) or a verifier key itself. */
export function verifierKeys(values: readonly string[], cwd: string): string[] {
  const keys: string[] = [];
  for (const value of values) {
    const file = resolve(cwd, value);
    if (!value.includes('+') || existsSync(file)) {
      const lines = readText(file, 'verifier key')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
      if (lines.length === 0) throw new CliError(`The verifier key file ${file} holds no key.`);
      keys.push(...lines);
    } else {
      keys.push(value.trim());
    }
  }
  return keys;
}

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

async function verify(ctx: CommandContext): Promise<number> {
  const entriesFile = ctx.values.entries as string | undefined;
  const checkpointFiles = asList(ctx.values.checkpoints);
  const keyValues = asList(ctx.values.key);
  if (!entriesFile) throw new UsageError('--entries <file.ndjson> is required.');
  if (checkpointFiles.length === 0) throw new UsageError('--checkpoints <file> is required.');
  if (keyValues.length === 0) throw new UsageError('--key <verifier key or file> is required.');
  const every =
    ctx.values['progress-every'] === undefined ? PROGRESS_EVERY : Number(ctx.values['progress-every']);
  if (!Number.isSafeInteger(every) || every < 1)
    throw new UsageError('--progress-every must be a whole number ≥ 1.');

  const notes: string[] = [];
  let anchor: VerifyAnchor | undefined;
  for (const file of checkpointFiles) {
    const parsed = parseCheckpointsFile(readText(resolve(ctx.io.cwd, file), 'checkpoints'));
    notes.push(...parsed.notes);
    if (parsed.anchor) {
      if (anchor) throw new CliError('The checkpoints name more than one anchor.');
      anchor = parsed.anchor;
    }
  }
  if (ctx.values.anchor !== undefined) {
    if (anchor) throw new CliError('The anchor is given twice (--anchor and in the checkpoints).');
    anchor = parseAnchor(readText(resolve(ctx.io.cwd, String(ctx.values.anchor)), 'anchor'));
  }
  if (notes.length === 0) throw new CliError('The checkpoints files hold no signed checkpoint.');
  const keys = verifierKeys(keyValues, ctx.io.cwd);
  for (const [i, key] of keys.entries()) {
    // A mistyped key would otherwise surface as a bad signature of the first checkpoint.
    if (parseVerifierKey(key) === undefined)
      throw new UsageError(
        `Verifier key ${i + 1} is not a verifier key <name>+<8 hex digits>+<base64>, or its key id does not match (docs/audit-format.md §5).`,
      );
  }

  const path = resolve(ctx.io.cwd, entriesFile);
  if (!existsSync(path)) throw new CliError(`Cannot read the entries file ${path}.`);

  // Witnesses (§13): which cosigners to trust, and how many of them one checkpoint needs.
  const witnessKeys = verifierKeysOrNone(asList(ctx.values.witness), ctx.io.cwd);
  for (const [i, key] of witnessKeys.entries())
    if (parseCosignerKey(key) === undefined)
      throw new UsageError(
        `Witness key ${i + 1} is not a witness key <name>+<8 hex digits>+<base64 of 0x04 and the key>.`,
      );
  const required =
    ctx.values.witnesses === undefined ? (witnessKeys.length > 0 ? 1 : 0) : Number(ctx.values.witnesses);
  if (!Number.isSafeInteger(required) || required < 0 || required > witnessKeys.length)
    throw new UsageError('--witnesses must be a whole number from 0 to the number of --witness keys.');
  const witnessed = required > 0 ? await checkWitnesses(notes, witnessKeys, required) : undefined;

  // The checkpoints seen before: checked against this export too (§12), remembered after.
  const origin = ctx.values.origin !== undefined ? String(ctx.values.origin) : noteOrigin(notes[0]!);
  const known =
    ctx.values['no-remember'] === true || origin === undefined
      ? undefined
      : knownCheckpointsOf(ctx, origin, keys);
  const exportSizes = new Set(notes.map(treeSizeOf));
  const startSize = anchor?.sequence ?? 0;
  const knownChecked = (known?.trusted ?? []).filter(
    (k) => k.checkpoint.treeSize >= startSize || exportSizes.has(k.checkpoint.treeSize),
  );
  const knownUnchecked = (known?.trusted.length ?? 0) - knownChecked.length;
  const knownOnly = new Set(
    knownChecked.map((k) => k.checkpoint.treeSize).filter((size) => !exportSizes.has(size)),
  );
  const tty = ctx.io.stderr.isTTY === true;
  const started = Date.now();
  let lastProgress = 0;
  const options = {
    checkpoints: [...notes, ...knownChecked.map((k) => k.note)],
    verifierKey: keys,
    ...(ctx.values.origin !== undefined ? { origin: String(ctx.values.origin) } : {}),
    ...(anchor ? { anchor } : {}),
    progressEvery: every,
    onProgress: (n: number) => {
      if (n === lastProgress) return;
      lastProgress = n;
      const text = `verified ${n.toLocaleString('en')} entries`;
      ctx.io.stderr.write(tty ? `\r${text}` : `${text}\n`);
    },
  };
  // The bytes in large chunks, split into lines and verified synchronously (fast-verify.ts);
  // reading stops at the first problem.
  const verifier = new NdjsonVerifier(options);
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
  let result: VerifyResult;
  try {
    result =
      witnessed && !witnessed.ok
        ? {
            ok: false,
            problem: { kind: 'bad-signature', sequence: witnessed.treeSize, detail: witnessed.detail },
            entries: 0,
          }
        : await verifyNdjsonStream(stream, options, verifier);
  } finally {
    // Stopped early (a problem found, or nothing to read): an open still under way may
    // fail later (the file removed meanwhile); that error concerns nobody any more.
    stream.on('error', () => undefined);
    stream.destroy();
  }
  if (tty) ctx.io.stderr.write('\r\u001b[K');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.ok) {
    let remembered: Record<string, unknown> | undefined;
    if (known) {
      const added: KnownCheckpoint[] = [];
      for (const note of notes) {
        const verified = verifyCheckpoint(note, keys);
        if (verified.ok) added.push({ note, checkpoint: verified.checkpoint });
      }
      const total = rememberCheckpoints(known.file, known, added);
      remembered = { file: known.file, checked: knownChecked.length, unchecked: knownUnchecked, total };
    }
    const witnessedBy =
      witnessed?.ok === true
        ? { witnessedTreeSize: witnessed.witnessedTreeSize, witnesses: witnessed.witnesses }
        : undefined;
    emit(
      ctx.io,
      ctx.json,
      { ...result, ...(remembered ? { remembered } : {}), ...(witnessedBy ?? {}) },
      () => {
        const out = [
          `OK: ${result.entries} entries verified` +
            (result.firstSequence === null
              ? ''
              : ` (sequence ${result.firstSequence}–${result.lastSequence})`) +
            ` in ${seconds} s`,
          `  checkpoints matched  ${result.checkpointsMatched} of ${new Set([...exportSizes, ...knownOnly]).size}`,
          `  signed tree size     ${result.signedTreeSize}`,
          `  head hash            ${result.headHash}`,
          ...(result.rootHash ? [`  Merkle root          ${result.rootHash}`] : []),
        ];
        if (result.lastSequence > result.signedTreeSize) {
          out.push(
            `  entries ${result.signedTreeSize + 1}–${result.lastSequence} are chained but not yet signed by a checkpoint`,
          );
        }
        if (witnessedBy) {
          out.push(
            `  witnessed            up to tree size ${witnessedBy.witnessedTreeSize} by ${witnessedBy.witnesses.join(', ')}`,
          );
        }
        if (remembered) {
          out.push(
            `  remembered           ${knownChecked.length} checkpoint(s) seen before agree with this log; ${remembered.total} remembered in ${known!.file}`,
          );
          if (knownUnchecked > 0)
            out.push(
              `  ${knownUnchecked} remembered checkpoint(s) lie before this export's start: check them with rex audit consistency`,
            );
        }
        return out.join('\n');
      },
    );
    return 0;
  }
  const line = result.problem.line ?? verifier.lineOf(result.problem.sequence);
  const fromMemory =
    knownOnly.has(result.problem.sequence) &&
    ['checkpoint-mismatch', 'truncated', 'bad-signature'].includes(result.problem.kind);
  const problem = {
    ...result.problem,
    ...(line !== undefined ? { line } : {}),
    ...(fromMemory ? { rememberedCheckpoint: true } : {}),
  };
  emit(ctx.io, ctx.json, { ok: false, problem, entries: result.entries }, () =>
    [
      `FAILED: ${problem.kind} at sequence ${problem.sequence}${line !== undefined ? ` (line ${line})` : ''}`,
      `  ${problem.detail}`,
      ...(fromMemory
        ? [
            `  the checkpoint at ${problem.sequence} was remembered from an earlier verification (${known!.file}):`,
            '  this log disagrees with what the platform signed before — a rewritten or shortened history,',
            '  or an export older than that checkpoint (verify old exports with --no-remember)',
          ]
        : []),
      `  ${result.entries} entries read`,
    ].join('\n'),
  );
  return 1;
}

/** verifierKeys for an optional option: no values, no keys. */
function verifierKeysOrNone(values: readonly string[], cwd: string): string[] {
  return values.length === 0 ? [] : verifierKeys(values, cwd);
}

/** The remembered checkpoints of the log `origin` (known-checkpoints.ts), verified with the trusted keys. */
function knownCheckpointsOf(ctx: CommandContext, origin: string, keys: readonly string[]): KnownCheckpoints {
  const profile = (ctx.values.profile as string | undefined) ?? ctx.io.env.REX_PROFILE;
  const file = knownCheckpointsFile(ctx.values.remember as string | undefined, profile, origin, ctx.io.cwd);
  return readKnownCheckpoints(file, origin, keys);
}

/** The tree size a note claims, read without checking it (-1 when it is no checkpoint). */
function treeSizeOf(note: string): number {
  const signed = parseSignedNote(note);
  return (signed && parseCheckpointText(signed.text)?.treeSize) ?? -1;
}

export const auditVerifyCommand: Command = {
  name: 'audit verify',
  summary: 'Verify an exported audit log offline',
  help: `Usage: rex audit verify --entries <file.ndjson> --checkpoints <file> --key <key or file> [--json]

Checks, without the platform, that no entry of an audit export was altered,
removed, inserted or reordered: every entry hash, the hash chain, and the Merkle
root and head at every signed checkpoint (docs/audit-format.md). Needs no profile.

  --entries <file>        the NDJSON export, one entry per line in sequence order
  --checkpoints <file>    signed checkpoint notes, separated by lines "---"; may hold
                          the anchor JSON of a range that does not start at 1
                          (repeatable: one file per note works too)
  --key <key|file>        trusted verifier key (<name>+<id>+<base64>), or a file with
                          one key per line (repeatable, e.g. across a key rotation)
  --anchor <file>         the anchor JSON, if not in the checkpoints file
  --origin <origin>       the log origin to expect (default: the checkpoints' own)
  --remember <file>       where the checkpoints seen before are kept (default
                          .local/audit/<profile>/<origin>.checkpoints with --profile or
                          REX_PROFILE, else .local/audit/<origin>.checkpoints)
  --no-remember           neither check against nor add to the remembered checkpoints
  --witness <key|file>    a trusted witness key (<name>+<id>+<base64>, type 0x04), or a
                          file of them (repeatable); pass the witnesses' cosigned
                          checkpoints with --checkpoints
  --witnesses <n>         how many distinct trusted witnesses must have cosigned one of
                          the checkpoints (default 1 with --witness)
  --progress-every <n>    progress on stderr every n entries (default ${PROGRESS_EVERY})
  --json                  machine-readable result

Every checkpoint seen in an earlier verification is checked too: the log must agree
with it (same head and root at its size), so a history re-signed since is caught.
After a verification that holds, the export's checkpoints are remembered.

Exit status: 0 verified, 1 a problem was found (the first one is printed with its
kind, sequence and line), 2 wrong usage.`,
  options: {
    entries: { type: 'string' },
    checkpoints: { type: 'string', multiple: true },
    key: { type: 'string', multiple: true },
    anchor: { type: 'string' },
    origin: { type: 'string' },
    remember: { type: 'string' },
    'no-remember': { type: 'boolean' },
    witness: { type: 'string', multiple: true },
    witnesses: { type: 'string' },
    'progress-every': { type: 'string' },
  },
  needsProfile: false,
  run: verify,
};

// ============================================================== export

/** The CSV columns of an export: one entry per row, nested members flattened. */
export const CSV_COLUMNS = [
  'sequence',
  'time',
  'entryId',
  'event',
  'actor',
  'subjectId',
  'authorityId',
  'serviceOfficeId',
  'dataCategories',
  'legalBasisArticle',
  'consentId',
  'purpose',
  'referralId',
  'reason',
  'previousHash',
  'hash',
] as const;

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record (CRLF-terminated, RFC 4180); data categories joined by `;`. */
export function csvRow(entry: AuditEntry): string {
  const cells: (string | number | null)[] = [
    entry.sequence,
    entry.time,
    entry.entryId,
    entry.event,
    entry.actor,
    entry.subjectId,
    entry.authorityId,
    entry.serviceOfficeId,
    entry.dataCategories.join(';'),
    entry.legalBasis?.article ?? null,
    entry.legalBasis?.consentId ?? null,
    entry.purpose,
    entry.referralId,
    entry.reason,
    entry.previousHash,
    entry.hash,
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}

function instant(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    throw new UsageError(`--${option} must be an ISO 8601 date or date-time, e.g. 2026-11-02T00:00:00Z.`);
  return ms;
}

/** Page size of the export feed. */
const EXPORT_PAGE = 500;

async function exportLog(ctx: CommandContext): Promise<number> {
  const format = String(ctx.values.format ?? 'ndjson');
  if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format must be ndjson or csv.');
  if (ctx.values.out === undefined) throw new UsageError('--out <directory> is required.');
  const from = instant(ctx.values.from, 'from');
  const to = instant(ctx.values.to, 'to');
  if (from !== undefined && to !== undefined && from >= to)
    throw new UsageError('--to must be after --from.');
  const bounded = from !== undefined || to !== undefined;
  const dir = resolve(ctx.io.cwd, String(ctx.values.out));
  const client = ctx.client();
  const progress = (text: string) => ctx.io.stderr.write(`${text}\n`);

  // The checkpoint first: the entries read afterwards reach at least its tree size.
  let latest: CheckpointView;
  try {
    latest = await client.latestCheckpoint();
  } catch (error) {
    if (error instanceof RexApiError && error.status === 404)
      throw new CliError('The log has no signed checkpoint yet; try again in a minute.');
    throw error;
  }
  const record = await client.recordExport({ format, fromSequence: 1 }, randomUUID());
  progress(`export ${record.exportId} recorded (export.made); checkpoint at tree size ${latest.treeSize}`);

  mkdirSync(dir, { recursive: true });
  const file = join(dir, format === 'csv' ? 'entries.csv' : 'entries.ndjson');
  const out = createWriteStream(file, { encoding: 'utf8' });
  const write = (text: string) =>
    new Promise<void>((done, fail) => out.write(text, (error) => (error ? fail(error) : done())));
  if (format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let read = 0;
  let written = 0;
  let first: AuditEntry | undefined;
  let last: AuditEntry | undefined;
  let query: { fromSequence?: number; cursor?: string; limit: number } = {
    fromSequence: 1,
    limit: EXPORT_PAGE,
  };
  try {
    for (;;) {
      const page = await client.auditEntries(query);
      for (const entry of page.items) {
        first ??= entry;
        last = entry;
        read++;
        const t = Date.parse(entry.time);
        if ((from !== undefined && t < from) || (to !== undefined && t >= to)) continue;
        // NDJSON lines in JCS (docs/audit-format.md §6): verifiers hash them without parsing.
        await write(format === 'csv' ? csvRow(entry) : `${canonicalize(entry)}\n`);
        written++;
      }
      progress(
        `downloaded ${read} entries (head ${page.headSequence})${bounded ? `, ${written} in the time range` : ''}`,
      );
      if (!page.nextCursor) break;
      query = { cursor: page.nextCursor, limit: EXPORT_PAGE };
    }
  } finally {
    await new Promise<void>((done) => out.end(done));
  }

  // Every checkpoint of the range, so that a verifier can remember them all (§12). After
  // retention the log starts later: the checkpoint at the last deleted entry is the anchor,
  // and with nothing left at all the newest checkpoint anchors the empty remainder.
  const lowest = first ? first.sequence - 1 : latest.treeSize;
  const inRange = await checkpointsBetween(ctx, lowest, latest.treeSize);
  const anchor =
    first === undefined
      ? latest.treeSize > 0
        ? latest
        : undefined
      : first.sequence > 1
        ? inRange.find((cp) => cp.treeSize === first!.sequence - 1)
        : undefined;
  const notes = inRange.map((cp) => cp.note);
  if (notes.length === 0) notes.push(latest.note);
  const anchorJson = anchor
    ? `---\n${JSON.stringify({ sequence: anchor.treeSize, hash: anchor.headHash, merkleFrontier: anchor.merkleFrontier })}\n`
    : '';
  writeFileSync(join(dir, 'checkpoints.txt'), notes.join('---\n') + anchorJson);
  const key = await client.verifierKey();
  writeFileSync(
    join(dir, 'verifier-key.txt'),
    `# ${key.keyName}: compare with the key your deployment publishes\n${key.verifierKey}\n`,
  );

  const result = {
    exportId: record.exportId,
    format,
    directory: dir,
    entriesFile: file,
    entries: written,
    firstSequence: first?.sequence ?? null,
    lastSequence: last?.sequence ?? null,
    signedTreeSize: latest.treeSize,
    verifiable: !bounded && format === 'ndjson',
  };
  emit(ctx.io, ctx.json, result, () =>
    [
      `Exported ${written} entries to ${file}`,
      `  checkpoints   ${join(dir, 'checkpoints.txt')} (${notes.length}, up to tree size ${latest.treeSize}${anchor ? `, anchor at ${anchor.treeSize}` : ''})`,
      `  verifier key  ${join(dir, 'verifier-key.txt')}`,
      result.verifiable
        ? `Verify: rex audit verify --entries ${file} --checkpoints ${join(dir, 'checkpoints.txt')} --key ${join(dir, 'verifier-key.txt')}`
        : bounded
          ? 'A time-bounded export is for reading; export without --from/--to (NDJSON) to verify the chain.'
          : 'CSV is for reading; export as NDJSON to verify the chain.',
    ].join('\n'),
  );
  return 0;
}

/** The signed checkpoints of tree sizes from `lowest` to `highest`, ascending. */
async function checkpointsBetween(
  ctx: CommandContext,
  lowest: number,
  highest: number,
): Promise<CheckpointView[]> {
  const found: CheckpointView[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.client().auditCheckpoints({
      limit: 500,
      maxTreeSize: highest,
      ...(cursor ? { cursor } : {}),
    });
    for (const cp of page.items) if (cp.treeSize >= lowest) found.push(cp);
    const oldest = page.items[page.items.length - 1];
    if (!oldest || oldest.treeSize <= lowest) break;
    cursor = page.nextCursor;
  } while (cursor);
  return found.sort((a, b) => a.treeSize - b.treeSize);
}

export const auditExportCommand: Command = {
  name: 'audit export',
  summary: 'Export the audit log with its signed checkpoint and verifier key',
  help: `Usage: rex audit export --profile <dpo profile> --out <dir> [--format ndjson|csv] [--from <ISO>] [--to <ISO>] [--json]

Records the export (export.made, with you as the actor), then downloads the log in
chain order and writes into <dir>:

  entries.ndjson | entries.csv   one entry per line in sequence order (CSV: RFC 4180,
                                 data categories joined by ";")
  checkpoints.txt                every signed checkpoint of the exported range, and,
                                 when old entries were deleted by retention, the
                                 anchor (the checkpoint right before the first entry)
  verifier-key.txt               the key that signed it: compare it with the key your
                                 deployment publishes before you trust a verification

  --out <dir>         where to write (created if missing; files are overwritten)
  --format <f>        ndjson (default) or csv
  --from <ISO>        only entries at or after this time (inclusive)
  --to <ISO>          only entries before this time (exclusive)
  --json              machine-readable summary on stdout

Progress goes to stderr. A full NDJSON export (no --from/--to) is what
"rex audit verify" checks; a time-bounded export or CSV is for reading, because the
chain can only be verified from its start (or from an anchor checkpoint).`,
  options: {
    out: { type: 'string' },
    format: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  needsProfile: true,
  run: exportLog,
};
