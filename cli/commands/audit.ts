import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MerkleFrontierJsonSchema } from '../../shared/domain/audit/chain.ts';
import type { AuditEntry } from '../../shared/domain/audit/entry.ts';
import { parseNdjsonEntries, type VerifyAnchor, verifyLog } from '../../shared/domain/audit/verify.ts';
import type { Command, CommandContext } from '../command.ts';
import { CliError, emit, UsageError } from '../io.ts';

/** Default progress interval, in entries. */
export const PROGRESS_EVERY = 100_000;

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

  const path = resolve(ctx.io.cwd, entriesFile);
  if (!existsSync(path)) throw new CliError(`Cannot read the entries file ${path}.`);
  // Remember the line of the last few entries, to say where a problem stands.
  let lineNumber = 0;
  const lineOf = new Map<number, number>();
  // Opened on the first read, closed when verification stops reading (at the end or at a problem).
  async function* counted(): AsyncGenerator<string> {
    const stream = createReadStream(path, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        lineNumber++;
        yield line;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
  }
  async function* located(entries: AsyncIterable<AuditEntry>): AsyncGenerator<AuditEntry> {
    for await (const entry of entries) {
      lineOf.set(entry.sequence, lineNumber);
      if (lineOf.size > 16) lineOf.delete(lineOf.keys().next().value!);
      yield entry;
    }
  }
  const tty = ctx.io.stderr.isTTY === true;
  const started = Date.now();
  let lastProgress = 0;
  const result = await verifyLog(located(parseNdjsonEntries(counted())), {
    checkpoints: notes,
    verifierKey: keys,
    ...(ctx.values.origin !== undefined ? { origin: String(ctx.values.origin) } : {}),
    ...(anchor ? { anchor } : {}),
    progressEvery: every,
    onProgress: (n) => {
      if (n === lastProgress) return;
      lastProgress = n;
      const text = `verified ${n.toLocaleString('en')} entries`;
      ctx.io.stderr.write(tty ? `\r${text}` : `${text}\n`);
    },
  });
  if (tty) ctx.io.stderr.write('\r\u001b[K');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.ok) {
    emit(ctx.io, ctx.json, result, () => {
      const out = [
        `OK: ${result.entries} entries verified` +
          (result.firstSequence === null
            ? ''
            : ` (sequence ${result.firstSequence}–${result.lastSequence})`) +
          ` in ${seconds} s`,
        `  checkpoints matched  ${result.checkpointsMatched} of ${notes.length}`,
        `  signed tree size     ${result.signedTreeSize}`,
        `  head hash            ${result.headHash}`,
        ...(result.rootHash ? [`  Merkle root          ${result.rootHash}`] : []),
      ];
      if (result.lastSequence > result.signedTreeSize) {
        out.push(
          `  entries ${result.signedTreeSize + 1}–${result.lastSequence} are chained but not yet signed by a checkpoint`,
        );
      }
      return out.join('\n');
    });
    return 0;
  }
  const line = result.problem.line ?? lineOf.get(result.problem.sequence);
  const problem = { ...result.problem, ...(line !== undefined ? { line } : {}) };
  emit(ctx.io, ctx.json, { ok: false, problem, entries: result.entries }, () =>
    [
      `FAILED: ${problem.kind} at sequence ${problem.sequence}${line !== undefined ? ` (line ${line})` : ''}`,
      `  ${problem.detail}`,
      `  ${result.entries} entries read`,
    ].join('\n'),
  );
  return 1;
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
  --progress-every <n>    progress on stderr every n entries (default ${PROGRESS_EVERY})
  --json                  machine-readable result

Exit status: 0 verified, 1 a problem was found (the first one is printed with its
kind, sequence and line), 2 wrong usage.`,
  options: {
    entries: { type: 'string' },
    checkpoints: { type: 'string', multiple: true },
    key: { type: 'string', multiple: true },
    anchor: { type: 'string' },
    origin: { type: 'string' },
    'progress-every': { type: 'string' },
  },
  needsProfile: false,
  run: verify,
};
