/**
 * The checkpoints this browser has seen: the officer's defence against a history that
 * was rewritten and re-signed with the platform's own key (docs/audit-format.md §12).
 * After a successful verification the page keeps the verified checkpoint; every later
 * verification (and, quietly, every sign-in) asks the API for an RFC 9162 consistency
 * proof from each kept tree size to the newest checkpoint and checks it here, against
 * the browser's own copy of the older checkpoint — never against the platform's.
 *
 * Kept in localStorage, one key per log origin (`rex-dpo-checkpoints:<origin>`), a JSON
 * list of signed notes ordered by tree size, one per size. A signed checkpoint note
 * holds no personal data: the log's origin, a tree size, two hashes, a time and
 * signatures — nothing about a person, and nothing decrypted.
 */
import { type ProofVerification, verifyCheckpointConsistency } from '#shared/domain/audit/proofs.ts';
import {
  type Checkpoint,
  parseCheckpointText,
  parseSignedNote,
  verifyCheckpointAsync,
} from '#shared/domain/audit/signed-note.ts';

/** The part of the Web Storage API used (localStorage in the page). */
export interface CheckpointStore {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const STORAGE_PREFIX = 'rex-dpo-checkpoints:';
/** The newest this many are kept: a consistency proof to a newer one covers the older. */
export const MAX_REMEMBERED = 200;

export interface RememberedCheckpoint {
  readonly treeSize: number;
  readonly note: string;
}

const storageKey = (origin: string) => `${STORAGE_PREFIX}${origin}`;

/** The tree size and origin a note names, read without checking its signature. */
export function noteCheckpoint(note: string): Checkpoint | undefined {
  const signed = parseSignedNote(note);
  return signed ? parseCheckpointText(signed.text) : undefined;
}

/** The remembered checkpoints of a log, by tree size; what cannot be read is no memory. */
export function rememberedCheckpoints(store: CheckpointStore, origin: string): RememberedCheckpoint[] {
  let stored: unknown;
  try {
    stored = JSON.parse(store.getItem(storageKey(origin)) ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(stored)) return [];
  const bySize = new Map<number, RememberedCheckpoint>();
  for (const note of stored) {
    if (typeof note !== 'string') continue;
    const cp = noteCheckpoint(note);
    if (cp?.origin === origin && !bySize.has(cp.treeSize))
      bySize.set(cp.treeSize, { treeSize: cp.treeSize, note });
  }
  return [...bySize.values()].sort((a, b) => a.treeSize - b.treeSize);
}

/**
 * Adds a verified checkpoint note to the memory of its log: one per tree size, the
 * one kept first winning (two different ones of a size are a finding the check
 * reports before anything is remembered). Returns the memory after.
 */
export function rememberCheckpoint(store: CheckpointStore, note: string): RememberedCheckpoint[] {
  const cp = noteCheckpoint(note);
  if (!cp) throw new RangeError('not a checkpoint note');
  const kept = rememberedCheckpoints(store, cp.origin);
  const list = kept.some((k) => k.treeSize === cp.treeSize)
    ? kept
    : [...kept, { treeSize: cp.treeSize, note }].sort((a, b) => a.treeSize - b.treeSize);
  const trimmed = list.slice(-MAX_REMEMBERED);
  store.setItem(storageKey(cp.origin), JSON.stringify(trimmed.map((k) => k.note)));
  return trimmed;
}

/** Forgets the remembered checkpoints of every log; returns how many were forgotten. */
export function forgetCheckpoints(store: CheckpointStore): number {
  const keys: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(STORAGE_PREFIX)) keys.push(key);
  }
  let count = 0;
  for (const key of keys) {
    count += rememberedCheckpoints(store, key.slice(STORAGE_PREFIX.length)).length;
    store.removeItem(key);
  }
  return count;
}

/** The proof the API gives from a remembered size to the newest; `gone` when it has no checkpoint of that size. */
export type FetchConsistency = (
  fromTreeSize: number,
  toTreeSize: number,
) => Promise<readonly string[] | 'gone'>;

export type RememberedFailure = Extract<ProofVerification, { ok: false }>['reason'] | 'shrunk' | 'gone';

export type RememberedCheck =
  | {
      readonly ok: true;
      /** How many remembered checkpoints the newest extends. */
      readonly extended: number;
      /** Remembered notes no trusted key verifies (another key before a rotation): not used. */
      readonly skipped: number;
    }
  | {
      readonly ok: false;
      /** The remembered checkpoint the newest does not extend. */
      readonly treeSize: number;
      readonly reason: RememberedFailure;
      readonly detail: string;
    };

/**
 * Checks that the newest signed checkpoint extends every remembered one: a remembered
 * size above the newest means the log shrank; the API's consistency proof must lead
 * from the remembered root to the newest root (`verifyCheckpointConsistency`).
 */
export async function checkRemembered(input: {
  readonly remembered: readonly RememberedCheckpoint[];
  /** The newest signed checkpoint note, already verified by the caller. */
  readonly newest: string;
  readonly verifierKey: readonly string[];
  readonly fetchProof: FetchConsistency;
}): Promise<RememberedCheck> {
  const newest = noteCheckpoint(input.newest);
  if (!newest) return { ok: false, treeSize: 0, reason: 'malformed', detail: 'the newest checkpoint' };
  let extended = 0;
  let skipped = 0;
  for (const kept of input.remembered) {
    const signed = await verifyCheckpointAsync(kept.note, input.verifierKey);
    if (!signed.ok || signed.checkpoint.origin !== newest.origin) {
      skipped++;
      continue;
    }
    const size = kept.treeSize;
    if (size > newest.treeSize)
      return {
        ok: false,
        treeSize: size,
        reason: 'shrunk',
        detail: `the log now ends at ${newest.treeSize}`,
      };
    const hashes = size === newest.treeSize ? [] : await input.fetchProof(size, newest.treeSize);
    if (hashes === 'gone')
      return {
        ok: false,
        treeSize: size,
        reason: 'gone',
        detail: 'the platform no longer has a checkpoint of this size',
      };
    const verdict = await verifyCheckpointConsistency({
      from: kept.note,
      to: input.newest,
      hashes,
      verifierKey: input.verifierKey,
      origin: newest.origin,
    });
    if (!verdict.ok) return { ok: false, treeSize: size, reason: verdict.reason, detail: verdict.detail };
    extended++;
  }
  return { ok: true, extended, skipped };
}
