/**
 * Offline verification of an exported audit log against signed checkpoints
 * (docs/audit-format.md §Verification). Streaming: memory stays constant besides
 * the Merkle compact range (at most 64 hashes), so a data-protection officer can
 * check millions of entries on a laptop.
 *
 * The verifier reports the FIRST problem, in stream order, as the simplest single
 * change that explains it:
 *
 * | kind                | seen at the entry in position of sequence s                         |
 * |---------------------|---------------------------------------------------------------------|
 * | modified            | its stored hash is not the hash of its content (reported at s); or  |
 * |                     | it chains to a hash its predecessor does not have, its own hash     |
 * |                     | being right: the predecessor was rewritten and re-hashed (at s - 1) |
 * | deleted             | sequence s is skipped, and the next entry is not s either           |
 * | reordered           | sequence s is skipped, and the very next entry is s (adjacent swap) |
 * | inserted            | an entry repeats a sequence already seen (reported at that number)  |
 * | truncated           | the log ends before the tree size of the largest checkpoint         |
 * | checkpoint-mismatch | at a checkpoint's tree size the chain head or Merkle root differs,  |
 * |                     | or the first entry does not chain to the anchor                     |
 * | bad-signature       | a checkpoint (or the anchor) is not signed by a trusted key         |
 * | malformed           | an export line is not an entry (NDJSON, with its line number)       |
 *
 * A tamperer who recomputes every hash after a change moves the first visible
 * inconsistency to the next signed checkpoint: that is what checkpoints are for.
 */
import { auditCrypto } from '#audit-crypto';
import type { MerkleFrontierJson } from './chain.ts';
import { type AuditCrypto, hexInto, toHex } from './crypto.ts';
import type { AuditEntry } from './entry.ts';
import { ENTRY_HASH_INPUT_PREFIX, entryCanonicalText, GENESIS_HASH, HEX_HASH } from './entry-text.ts';
import type { Checkpoint, CheckpointVerification } from './signed-note.ts';
import { verifyCheckpoint, verifyCheckpointAsync } from './signed-note.ts';

// The verifier runs on node:crypto and on WebCrypto alike (crypto.ts): no Buffer here.
const port: AuditCrypto = auditCrypto;

export type ProblemKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'checkpoint-mismatch'
  | 'bad-signature'
  | 'malformed';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** The sequence number where the log stops being consistent (for checkpoints: their tree size). */
  readonly sequence: number;
  /** For `malformed`: the 1-based line of the export. */
  readonly line?: number;
  /** Why, in words; never entry content. */
  readonly detail: string;
}

export type VerifyResult =
  | {
      readonly ok: true;
      /** Entries read and verified. */
      readonly entries: number;
      readonly firstSequence: number | null;
      readonly lastSequence: number;
      readonly headHash: string;
      /** Checkpoints whose tree size was reached and matched. */
      readonly checkpointsMatched: number;
      /** The largest signed tree size; entries after it are chained but not yet signed. */
      readonly signedTreeSize: number;
      /** The Merkle root at the end, hex; null when verifying from an anchor without frontier. */
      readonly rootHash: string | null;
    }
  | { readonly ok: false; readonly problem: VerifyProblem; readonly entries: number };

/** Where verification starts when older entries were deleted by retention. */
export interface VerifyAnchor {
  /** The tree size of the anchor checkpoint: the last deleted entry's sequence. */
  readonly sequence: number;
  /** That checkpoint's head hash: the first retained entry's `previousHash`. */
  readonly hash: string;
  /** The Merkle compact range at `sequence`, if published; lets later roots be checked too. */
  readonly merkleFrontier?: MerkleFrontierJson;
}

export interface VerifyOptions {
  /** Signed checkpoint notes, in any order. */
  readonly checkpoints: Iterable<string>;
  /** Trusted verifier key strings (several across a key rotation). */
  readonly verifierKey: string | readonly string[];
  /** Expected origin; by default, all checkpoints must share one. */
  readonly origin?: string;
  /** Start after deleted entries. The anchor must equal a signed checkpoint. */
  readonly anchor?: VerifyAnchor;
  readonly onProgress?: (entriesVerified: number) => void;
  /** How often onProgress is called, in entries (default 100,000). */
  readonly progressEvery?: number;
}

/** A line of an NDJSON export that is not an audit entry. */
export class MalformedEntryLine extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`Line ${line} of the audit export is not an entry: ${reason}.`);
    this.name = 'MalformedEntryLine';
  }
}

/**
 * Verifies a log, streaming. Accepts arrays and iterators (fastest) or async
 * iterables (files, HTTP bodies via parseNdjsonEntries).
 */
export async function verifyLog(
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const prepared = await prepareCheckpointsAsync(options);
  if ('problem' in prepared) return { ok: false, problem: prepared.problem, entries: 0 };
  const verifier = new LogVerifier(prepared, options);
  const startProblem = verifier.start();
  if (startProblem) return { ok: false, problem: startProblem, entries: 0 };
  try {
    if (Symbol.iterator in entries) {
      for (const entry of entries) {
        const problem = verifier.push(entry);
        if (problem) return { ok: false, problem, entries: verifier.read };
      }
    } else {
      for await (const entry of entries) {
        const problem = verifier.push(entry);
        if (problem) return { ok: false, problem, entries: verifier.read };
      }
    }
  } catch (error) {
    if (!(error instanceof MalformedEntryLine)) throw error;
    return {
      ok: false,
      problem: { kind: 'malformed', sequence: verifier.expected, line: error.line, detail: error.reason },
      entries: verifier.read,
    };
  }
  return verifier.finish();
}

export interface PreparedCheckpoints {
  /** Verified checkpoints by tree size, ascending, one per size. */
  readonly bySize: readonly Checkpoint[];
}

/** Verifies the signed checkpoints and orders them; the first problem, in the order given, if any. */
export function prepareCheckpoints(options: VerifyOptions): PreparedCheckpoints | { problem: VerifyProblem } {
  const notes = [...options.checkpoints];
  const verified: CheckpointVerification[] = [];
  for (const note of notes) {
    const result = verifyCheckpoint(note, options.verifierKey);
    verified.push(result);
    if (!result.ok) break;
  }
  return collectCheckpoints(notes, verified, options.origin);
}

/** prepareCheckpoints, for a crypto port whose signature checks are asynchronous (WebCrypto). */
export async function prepareCheckpointsAsync(
  options: VerifyOptions,
): Promise<PreparedCheckpoints | { problem: VerifyProblem }> {
  const notes = [...options.checkpoints];
  const verified = await Promise.all(notes.map((note) => verifyCheckpointAsync(note, options.verifierKey)));
  return collectCheckpoints(notes, verified, options.origin);
}

function collectCheckpoints(
  notes: readonly string[],
  verified: readonly CheckpointVerification[],
  expectedOrigin: string | undefined,
): PreparedCheckpoints | { problem: VerifyProblem } {
  const bySize = new Map<number, Checkpoint>();
  let origin = expectedOrigin;
  for (const [i, result] of verified.entries()) {
    if (!result.ok) {
      const size = /^[^\n]*\n(\d+)\n/.exec(notes[i]!)?.[1];
      return { problem: { kind: 'bad-signature', sequence: size ? Number(size) : 0, detail: result.detail } };
    }
    const cp = result.checkpoint;
    origin ??= cp.origin;
    if (cp.origin !== origin) {
      return {
        problem: {
          kind: 'bad-signature',
          sequence: cp.treeSize,
          detail: 'a checkpoint belongs to another log',
        },
      };
    }
    const same = bySize.get(cp.treeSize);
    if (same && (same.rootHash !== cp.rootHash || same.headHash !== cp.headHash)) {
      return {
        problem: {
          kind: 'checkpoint-mismatch',
          sequence: cp.treeSize,
          detail: 'two signed checkpoints of the same size disagree',
        },
      };
    }
    bySize.set(cp.treeSize, cp);
  }
  return { bySize: [...bySize.values()].sort((a, b) => a.treeSize - b.treeSize) };
}

/**
 * The verification state machine, one entry at a time. Exposed for callers that
 * drive it themselves (e.g. a page reading a stream); verifyLog is the usual way in.
 */
export class LogVerifier {
  /** The sequence the next entry must carry. */
  expected: number;
  /** Entries consumed. */
  read = 0;
  #previousHash: string;
  readonly #frontier: LeafFrontier | null;
  readonly #checkpoints: readonly Checkpoint[];
  #nextCheckpoint = 0;
  #matched = 0;
  /** The sequence of an entry that arrived ahead of its turn: its predecessor is missing or comes next (swap). */
  #heldSequence: number | null = null;
  /** A checkpoint at the size just reached, checked when the next entry arrives or at the end. */
  #pending: Checkpoint | null = null;
  readonly #firstExpected: number;
  readonly #anchor: VerifyAnchor | undefined;
  readonly #onProgress: ((n: number) => void) | undefined;
  readonly #progressEvery: number;

  constructor(
    prepared: PreparedCheckpoints,
    options: Pick<VerifyOptions, 'anchor' | 'onProgress' | 'progressEvery'>,
  ) {
    const anchor = options.anchor;
    this.#anchor = anchor;
    this.expected = (anchor?.sequence ?? 0) + 1;
    this.#firstExpected = this.expected;
    this.#previousHash = anchor?.hash ?? GENESIS_HASH;
    this.#frontier = anchor
      ? anchor.merkleFrontier
        ? LeafFrontier.fromJSON(anchor.merkleFrontier)
        : null
      : new LeafFrontier();
    this.#checkpoints = prepared.bySize;
    this.#onProgress = options.onProgress;
    this.#progressEvery = Math.max(1, options.progressEvery ?? 100_000);
  }

  /** Checks the anchor against the signed checkpoints; skips checkpoints older than the log's start. */
  start(): VerifyProblem | undefined {
    const anchor = this.#anchor;
    const startSize = this.expected - 1;
    if (anchor) {
      const bad = (detail: string): VerifyProblem => ({
        kind: 'checkpoint-mismatch',
        sequence: startSize,
        detail,
      });
      if (!Number.isSafeInteger(anchor.sequence) || anchor.sequence < 0 || !HEX_HASH.test(anchor.hash)) {
        return bad('the anchor is not well-formed');
      }
      const signed = this.#checkpoints.find((cp) => cp.treeSize === anchor.sequence);
      if (!signed)
        return { kind: 'bad-signature', sequence: startSize, detail: 'no signed checkpoint at the anchor' };
      if (signed.headHash !== anchor.hash) return bad('the anchor hash differs from the signed checkpoint');
      if (this.#frontier) {
        if (this.#frontier.size !== anchor.sequence) return bad('the anchor frontier has another size');
        if (toHex(this.#frontier.root()) !== signed.rootHash) {
          return bad('the anchor frontier does not give the signed root');
        }
      }
    }
    while (this.#nextCheckpoint < this.#checkpoints.length) {
      const cp = this.#checkpoints[this.#nextCheckpoint]!;
      if (cp.treeSize > startSize) break;
      if (cp.treeSize === startSize) {
        const problem = this.#checkAt(cp);
        if (problem) return problem;
      }
      this.#nextCheckpoint++;
    }
    return undefined;
  }

  /** Consumes one entry; returns the first problem, if this entry reveals it. */
  push(entry: AuditEntry): VerifyProblem | undefined {
    return this.pushHashed(entry.sequence, entry.previousHash, entry.hash, hashOf(entry));
  }

  /**
   * Consumes one entry given by the members verification reads and its recomputed
   * hash (hex). For readers that take these from the export bytes directly
   * (fast-verify.ts); `push` is this with the hash computed from the entry.
   */
  pushHashed(
    sequence: number,
    previousHash: string,
    storedHash: string,
    computed: string,
  ): VerifyProblem | undefined {
    this.read++;
    const expected = this.expected;
    const held = this.#heldSequence;
    if (computed !== storedHash) {
      if (held !== null) return this.#missing(expected);
      return { kind: 'modified', sequence: expected, detail: 'the entry hash does not match its content' };
    }
    if (held !== null) {
      if (sequence !== expected) return this.#missing(expected);
      // The missing entry came right after the one that jumped ahead: an adjacent swap.
      return {
        kind: 'reordered',
        sequence: expected,
        detail: `entry ${held} appears before entry ${expected}`,
      };
    }
    if (sequence !== expected) {
      if (typeof sequence === 'number' && sequence > expected) {
        this.#heldSequence = sequence;
        return undefined;
      }
      if (typeof sequence === 'number' && sequence >= this.#firstExpected) {
        return { kind: 'inserted', sequence, detail: `a second entry claims sequence ${sequence}` };
      }
      return {
        kind: 'inserted',
        sequence: expected,
        detail: 'an entry claims a sequence before the start of the log',
      };
    }
    if (previousHash !== this.#previousHash) {
      if (expected === this.#firstExpected) {
        return this.#anchor
          ? {
              kind: 'checkpoint-mismatch',
              sequence: expected - 1,
              detail: 'the first entry does not chain to the anchor',
            }
          : {
              kind: 'modified',
              sequence: expected,
              detail: 'the first entry does not start from the genesis hash',
            };
      }
      return {
        kind: 'modified',
        sequence: expected - 1,
        detail: `entry ${expected} does not chain to entry ${expected - 1}: that entry was rewritten`,
      };
    }
    // A checkpoint reached by the previous entry is checked only now that its
    // successor is known to chain to it: a more specific finding (an insertion,
    // a rewritten entry) then wins over the bare checkpoint mismatch.
    if (this.#pending) {
      const problem = this.#checkAt(this.#pending);
      if (problem) return problem;
      this.#pending = null;
    }
    this.#previousHash = computed;
    if (this.#frontier) {
      this.#frontier.appendHex(computed);
    }
    this.expected = expected + 1;
    if (this.#nextCheckpoint < this.#checkpoints.length) {
      const cp = this.#checkpoints[this.#nextCheckpoint]!;
      if (cp.treeSize === expected) {
        this.#nextCheckpoint++;
        this.#pending = cp;
      }
    }
    if (this.#onProgress && this.read % this.#progressEvery === 0) this.#onProgress(this.read);
    return undefined;
  }

  /** Ends the stream: a held entry means a gap; a checkpoint beyond the end means truncation. */
  finish(): VerifyResult {
    if (this.#heldSequence !== null) {
      return { ok: false, problem: this.#missing(this.expected), entries: this.read };
    }
    if (this.#pending) {
      const problem = this.#checkAt(this.#pending);
      if (problem) return { ok: false, problem, entries: this.read };
      this.#pending = null;
    }
    const last = this.#checkpoints[this.#checkpoints.length - 1];
    const lastSequence = this.expected - 1;
    if (last && last.treeSize > lastSequence) {
      return {
        ok: false,
        problem: {
          kind: 'truncated',
          sequence: this.expected,
          detail: `the log ends at ${lastSequence}, a checkpoint covers ${last.treeSize}`,
        },
        entries: this.read,
      };
    }
    this.#onProgress?.(this.read);
    return {
      ok: true,
      entries: this.read,
      firstSequence: this.read > 0 ? this.#firstExpected : null,
      lastSequence,
      headHash: this.#previousHash,
      checkpointsMatched: this.#matched,
      signedTreeSize: last?.treeSize ?? 0,
      rootHash: this.#frontier ? toHex(this.#frontier.root()) : null,
    };
  }

  #missing(sequence: number): VerifyProblem {
    return { kind: 'deleted', sequence, detail: `entry ${sequence} is missing` };
  }

  #checkAt(cp: Checkpoint): VerifyProblem | undefined {
    if (cp.headHash !== this.#previousHash) {
      return {
        kind: 'checkpoint-mismatch',
        sequence: cp.treeSize,
        detail: 'the chain head differs from the checkpoint',
      };
    }
    if (this.#frontier && toHex(this.#frontier.root()) !== cp.rootHash) {
      return {
        kind: 'checkpoint-mismatch',
        sequence: cp.treeSize,
        detail: 'the Merkle root differs from the checkpoint',
      };
    }
    this.#matched++;
    return undefined;
  }
}

/**
 * The entry hash, recomputed. For a line read from a JCS export, the line without
 * its `"hash"` member is tried first: if those bytes hash to the stored value they
 * are, by SHA-256's collision resistance, exactly the canonical form, and the
 * re-serialisation is saved. Otherwise (plain JSON, or a changed entry) the
 * entry is canonicalised as usual.
 */
function hashOf(entry: AuditEntry): string {
  const candidate = canonicalLineText.get(entry);
  if (candidate !== undefined) {
    const fromLine = port.sha256Hex(ENTRY_HASH_INPUT_PREFIX + candidate);
    if (fromLine === entry.hash) return fromLine;
  }
  return port.sha256Hex(ENTRY_HASH_INPUT_PREFIX + canonicalTextOrNull(entry));
}

/** Export lines without their hash member, by the entry parsed from them. */
const canonicalLineText = new WeakMap<object, string>();
const HASH_MEMBER = ',"hash":"';

/** The canonical text, or a marker that can never hash to a stored value when the entry is not JSON. */
function canonicalTextOrNull(entry: AuditEntry): string {
  try {
    return entryCanonicalText(entry);
  } catch {
    return '\u0000not-json';
  }
}

const ENTRY_KEYS = new Set([
  // Optional (docs/audit-format.md): only in entries a signed-in person caused.
  'personId',
  'entryId',
  'time',
  'event',
  'actor',
  'subjectId',
  'authorityId',
  'serviceOfficeId',
  'dataCategories',
  'legalBasis',
  'purpose',
  'referralId',
  'reason',
  'sequence',
  'previousHash',
  'hash',
]);

/**
 * Reads an NDJSON export (one entry per line, in sequence order; blank lines are
 * ignored) into entries. Only the shape that verification relies on is checked
 * here (a JSON object with a whole-number `sequence`, hex `previousHash` and `hash`);
 * the content itself is checked by its hash. A line that fails throws
 * MalformedEntryLine with its number, which verifyLog reports as `malformed`.
 */
export async function* parseNdjsonEntries(
  lines: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<AuditEntry> {
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    const entry = parseEntryLine(raw, lineNumber);
    if (entry) yield entry;
  }
}

/**
 * One line of an NDJSON export as parseNdjsonEntries reads it: the entry, null for
 * a blank line, or MalformedEntryLine thrown. A trailing `\r` is dropped.
 */
export function parseEntryLine(raw: string, lineNumber: number): AuditEntry | null {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new MalformedEntryLine(lineNumber, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedEntryLine(lineNumber, 'not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (typeof record.sequence !== 'number' || !Number.isSafeInteger(record.sequence) || record.sequence < 1) {
    throw new MalformedEntryLine(lineNumber, 'sequence is not a positive whole number');
  }
  if (typeof record.hash !== 'string' || !HEX_HASH.test(record.hash)) {
    throw new MalformedEntryLine(lineNumber, 'hash is not 64 lower-case hex digits');
  }
  if (typeof record.previousHash !== 'string' || !HEX_HASH.test(record.previousHash)) {
    throw new MalformedEntryLine(lineNumber, 'previousHash is not 64 lower-case hex digits');
  }
  for (const key in record) {
    if (!ENTRY_KEYS.has(key))
      throw new MalformedEntryLine(lineNumber, `unknown member ${JSON.stringify(key)}`);
  }
  const at = line.indexOf(HASH_MEMBER);
  if (at > 0 && line.charCodeAt(at + HASH_MEMBER.length + 64) === 0x22) {
    canonicalLineText.set(record, line.slice(0, at) + line.slice(at + HASH_MEMBER.length + 65));
  }
  return record as unknown as AuditEntry;
}

/** RFC 9162 hash of the empty tree: SHA-256 of no bytes. */
const EMPTY_TREE_ROOT = port.sha256(new Uint8Array(0));
const HASH_BYTES = 32;
const MAX_LEVELS = 64;

function popCount(n: number): number {
  let count = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) count += s % 2;
  return count;
}

/**
 * The Merkle compact range of MerkleFrontier (chain.ts, docs/audit-format.md §4),
 * kept in raw bytes for verification: one slot of 32 bytes per tree level, the
 * slot of level i holding the root of a perfect subtree of 2^i leaves while bit i
 * of the size is set. Appending a leaf costs its hex decoding plus one node hash
 * per trailing one bit of the size (one on average); no hex conversion of node
 * hashes, no allocation besides the digest. A unit test holds its roots equal to
 * MerkleFrontier's.
 */
export class LeafFrontier {
  #size = 0;
  readonly #levels = new Uint8Array(MAX_LEVELS * HASH_BYTES);
  /** Node hash input: 0x01 || left || right; the right half doubles as the carry of an append. */
  readonly #input = new Uint8Array(1 + 2 * HASH_BYTES);

  constructor() {
    this.#input[0] = 0x01;
  }

  /** From a published compact range (largest subtree first), validated as MerkleFrontier.fromJSON does. */
  static fromJSON(value: MerkleFrontierJson): LeafFrontier {
    for (const h of value.hashes)
      if (!HEX_HASH.test(h)) throw new RangeError('Merkle frontier: bad hash length');
    const size = value.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('Merkle frontier: bad size');
    if (value.hashes.length !== popCount(size))
      throw new RangeError('Merkle frontier: hash count does not match size');
    const frontier = new LeafFrontier();
    frontier.#size = size;
    let next = 0;
    for (let level = MAX_LEVELS - 1; level >= 0; level--) {
      if (Math.floor(size / 2 ** level) % 2 === 1) {
        hexInto(value.hashes[next++]!, frontier.#levels, level * HASH_BYTES, HASH_BYTES);
      }
    }
    return frontier;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends a leaf by its hash in hex (64 lower-case digits). */
  appendHex(leafHash: string): void {
    const input = this.#input;
    if (leafHash.length !== 2 * HASH_BYTES) throw new RangeError('Merkle frontier: bad hash length');
    if (!hexInto(leafHash, input, 1 + HASH_BYTES, HASH_BYTES))
      throw new RangeError('Merkle frontier: a hash is not hex');
    const levels = this.#levels;
    let level = 0;
    // Each trailing one bit of the old size is a perfect subtree of the new leaf's size: merge it.
    for (let s = this.#size; s % 2 === 1; s = (s - 1) / 2) {
      const at = level * HASH_BYTES;
      for (let i = 0; i < HASH_BYTES; i++) input[1 + i] = levels[at + i]!;
      port.sha256Into(input, input, 1 + HASH_BYTES);
      level++;
    }
    const at = level * HASH_BYTES;
    for (let i = 0; i < HASH_BYTES; i++) levels[at + i] = input[1 + HASH_BYTES + i]!;
    this.#size += 1;
  }

  /** The RFC 9162 Merkle tree hash of the leaves so far. */
  root(): Uint8Array {
    if (this.#size === 0) return EMPTY_TREE_ROOT.slice();
    const input = new Uint8Array(1 + 2 * HASH_BYTES);
    input[0] = 0x01;
    let acc: Uint8Array | null = null;
    for (let level = 0; level < MAX_LEVELS; level++) {
      if (Math.floor(this.#size / 2 ** level) % 2 !== 1) continue;
      const slot = this.#levels.subarray(level * HASH_BYTES, (level + 1) * HASH_BYTES);
      if (acc === null) {
        acc = slot.slice();
      } else {
        input.set(slot, 1);
        input.set(acc, 1 + HASH_BYTES);
        acc = port.sha256(input);
      }
    }
    return acc!;
  }
}
