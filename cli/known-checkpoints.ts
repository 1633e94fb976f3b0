/**
 * The checkpoints a data-protection officer has seen, kept in a local file: the
 * defence against a re-signed history (docs/audit-format.md §12). `rex audit verify`
 * and `rex audit consistency` check every new checkpoint against them and add the
 * new ones once they hold. One file per log origin, signed notes separated by lines
 * `---`, ordered by tree size, one per size; written with mode 0600 in a 0700 folder.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  type Checkpoint,
  parseCheckpointText,
  parseSignedNote,
  verifyCheckpoint,
} from '#shared/domain/audit/signed-note.ts';
import { CliError } from './io.ts';

/** A log origin as a file name: anything outside [A-Za-z0-9._-] percent-encoded. */
const originStem = (origin: string): string =>
  origin.replace(
    /[^A-Za-z0-9._-]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );

/**
 * `--remember <file>`, else `.local/audit/<profile>/<origin>.checkpoints` (the profile of
 * `--profile` or REX_PROFILE), else `.local/audit/<origin>.checkpoints`, from `cwd`.
 */
export function knownCheckpointsFile(
  explicit: string | undefined,
  profileName: string | undefined,
  origin: string,
  cwd: string,
): string {
  if (explicit) return resolve(cwd, explicit);
  const file = `${originStem(origin)}.checkpoints`;
  return profileName
    ? resolve(cwd, '.local', 'audit', profileName, file)
    : resolve(cwd, '.local', 'audit', file);
}

/** The origin a note names, read without checking its signature (to find its file). */
export function noteOrigin(note: string): string | undefined {
  const signed = parseSignedNote(note);
  return signed ? parseCheckpointText(signed.text)?.origin : undefined;
}

export interface KnownCheckpoint {
  readonly note: string;
  readonly checkpoint: Checkpoint;
}

export interface KnownCheckpoints {
  readonly file: string;
  /** Remembered checkpoints of the origin that verify with the trusted keys, by tree size. */
  readonly trusted: readonly KnownCheckpoint[];
  /** Remembered notes that no trusted key verifies (another log, a retired key): kept, not used. */
  readonly others: readonly string[];
}

function splitNotes(text: string): string[] {
  return text
    .split(/^---\r?\n/m)
    .map((chunk) => chunk.replace(/^\s+/, ''))
    .filter((chunk) => chunk.length > 0)
    .map((chunk) => (chunk.endsWith('\n') ? chunk : `${chunk}\n`));
}

/** Reads the remembered checkpoints of `origin`; an absent file is an empty memory. */
export function readKnownCheckpoints(
  file: string,
  origin: string,
  keys: readonly string[],
): KnownCheckpoints {
  if (!existsSync(file)) return { file, trusted: [], others: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`Cannot read the remembered checkpoints ${file}.`);
  }
  const trusted: KnownCheckpoint[] = [];
  const others: string[] = [];
  for (const note of splitNotes(text)) {
    const verified = verifyCheckpoint(note, keys);
    if (verified.ok && verified.checkpoint.origin === origin)
      trusted.push({ note, checkpoint: verified.checkpoint });
    else others.push(note);
  }
  trusted.sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize);
  return { file, trusted, others };
}

/**
 * Adds checkpoints (already verified) to the file: one per tree size, the one kept
 * first winning — two different ones of a size are a finding the caller reports
 * before it remembers anything. Written to a temporary file and renamed.
 */
export function rememberCheckpoints(
  file: string,
  known: KnownCheckpoints,
  added: readonly KnownCheckpoint[],
): number {
  const bySize = new Map<number, KnownCheckpoint>();
  for (const k of [...known.trusted, ...added])
    if (!bySize.has(k.checkpoint.treeSize)) bySize.set(k.checkpoint.treeSize, k);
  const ordered = [...bySize.values()].sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = join(dirname(file), `.${process.pid}.checkpoints.tmp`);
  writeFileSync(temporary, [...known.others, ...ordered.map((k) => k.note)].join('---\n'), { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return ordered.length;
}
