/**
 * Verification of an NDJSON export straight from its bytes (docs/audit-format.md
 * §6, §7). Same results as verifyLog(parseNdjsonEntries(lines)) — the same
 * problem kinds, sequences, details and counts — at several times the speed:
 *
 * - Input is taken in chunks of bytes, split into lines here: no promise and no
 *   string per line besides the one the check below needs.
 * - A line in the canonical shape (the JCS form of an entry whose strings are
 *   printable ASCII without escapes, which is what the platform exports) is not
 *   parsed: one regular expression checks the exact member list and captures
 *   `hash`, `previousHash` and `sequence`, and the line without its `"hash"`
 *   member IS the canonical text of the entry without `hash` (JCS sorts the
 *   members, so removing one leaves the others in canonical order). It is hashed
 *   from the line's bytes behind the 0x00 || "rex-audit-entry-v1\n" prefix.
 * - Every other line (another member order, whitespace, escapes, non-ASCII text,
 *   blank lines, anything unexpected) takes the general path of verify.ts for that
 *   line: JSON.parse, shape checks, canonicalisation.
 *
 * Both paths feed the same LogVerifier, so chain, Merkle tree and checkpoints are
 * checked by one piece of code. Why the shortcut gives the general path's answer:
 * for a line the expression accepts, JSON.parse yields exactly these members with
 * these values, all checks of parseEntryLine pass, and re-serialising the entry in
 * JCS gives back the line without its hash member byte for byte (no escapes, an
 * integer `sequence` of at most 16 digits that is a safe integer) — so the hash
 * input is the same bytes either way.
 */
import { auditCrypto } from '#audit-crypto';
import { ENTRY_ARTICLE, ENTRY_PATTERNS, isRealInstant, MAX_DATA_CATEGORIES } from './entry-shape.ts';
import { ENTRY_HASH_INPUT_PREFIX } from './entry-text.ts';
import { AUDIT_EVENTS } from './events.ts';
import type { VerifyOptions, VerifyProblem, VerifyResult } from './verify.ts';
import { LogVerifier, MalformedEntryLine, parseEntryLine, prepareCheckpoints } from './verify.ts';

const P = ENTRY_PATTERNS;
/** A JSON string of §1's pattern: none of them admits `"`, `\\` or a non-ASCII character, so nothing is escaped. */
const str = (pattern: string) => `"${pattern}"`;
const strOrNull = (pattern: string) => `(?:null|"${pattern}")`;
const EVENT = `(?:${AUDIT_EVENTS.map((e) => e.replace(/[.-]/g, (c) => `\\${c}`)).join('|')})`;
const ARTICLE = ENTRY_ARTICLE.replace(/[.()]/g, (c) => `\\${c}`);

/**
 * The canonical line of a well-formed entry: the members of §2 in JCS order, each
 * of the form §1 gives it. Captures: 1 everything before the hash member, 2 the data
 * categories (without brackets), 3 `hash`, 4 `previousHash`, 5 `sequence`, 6 `time`.
 * What the expression cannot say (categories sorted and unique, at most 64, a real
 * instant) is checked after a match; a line that fails takes the general path.
 */
const CANONICAL_LINE = new RegExp(
  [
    `^(\\{"actor":${str(P.actor)},"authorityId":${strOrNull(P.directoryId)}`,
    `,"dataCategories":\\[((?:${str(P.code)}(?:,${str(P.code)})*)?)\\]`,
    `,"entryId":${str(P.recordId)},"event":"${EVENT}")`,
    `,"hash":"(${P.hash})"`,
    `,"legalBasis":(?:null|\\{"article":"${ARTICLE}","consentId":${str(P.recordId)}\\})`,
    `(?:,"personId":${str(P.personId)})?`,
    `,"previousHash":"(${P.hash})"`,
    `,"purpose":${strOrNull(P.code)},"reason":${strOrNull(P.code)},"referralId":${strOrNull(P.recordId)}`,
    ',"sequence":([1-9][0-9]{0,15})',
    `,"serviceOfficeId":${strOrNull(P.directoryId)},"subjectId":${strOrNull(P.pseudonym)}`,
    `,"time":"(${P.time})"\\}$`,
  ].join(''),
);

/**
 * What CANONICAL_LINE cannot check: the categories (their captured text, codes in
 * quotes separated by commas) sorted, unique, at most 64. Compares in place, without
 * splitting: this runs for every line.
 */
function categoriesInOrder(text: string): boolean {
  if (text === '') return true;
  let count = 1;
  // [start, end) of the previous code, without its quotes.
  let previousStart = 1;
  let previousEnd = text.indexOf('"', 1);
  while (previousEnd + 1 < text.length) {
    const start = previousEnd + 3;
    const end = text.indexOf('"', start);
    if (++count > MAX_DATA_CATEGORIES || !codeBefore(text, previousStart, previousEnd, start, end))
      return false;
    previousStart = start;
    previousEnd = end;
  }
  return true;
}

/** Whether text[a, aEnd) < text[b, bEnd), compared as UTF-16 code units. */
function codeBefore(text: string, a: number, aEnd: number, b: number, bEnd: number): boolean {
  for (; a < aEnd && b < bEnd; a++, b++) {
    const d = text.charCodeAt(a) - text.charCodeAt(b);
    if (d !== 0) return d < 0;
  }
  return a === aEnd && b < bEnd;
}

/** `,"hash":"` + 64 hex digits + `"`. */
const HASH_MEMBER_LENGTH = 9 + 64 + 1;
const PREFIX = Buffer.from(ENTRY_HASH_INPUT_PREFIX, 'latin1');
/** Refuses invalid UTF-8 instead of replacing it (§6); keeps a byte order mark for parseEntryLine to refuse. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Lines remembered for lineOf. */
const RECENT = 16;

/**
 * Verifies an NDJSON export fed as byte chunks (any split, e.g. a file read in
 * large chunks). `write` each chunk while it returns true, then `end`.
 */
export class NdjsonVerifier {
  readonly #verifier: LogVerifier | null;
  #problem: VerifyProblem | undefined;
  /** The bytes of an incomplete last line, waiting for the next chunk. */
  #carry: Buffer | null = null;
  #lineNumber = 0;
  #ended = false;
  /** Hash input: the prefix, then the line without its hash member. Grows with the longest line. */
  #scratch = Buffer.alloc(4096);
  /** Sequence and line of the last RECENT entries read (a ring), to say where a problem stands. */
  readonly #recentSequence = new Float64Array(RECENT).fill(-1);
  readonly #recentLine = new Float64Array(RECENT);
  #recentNext = 0;

  constructor(options: VerifyOptions) {
    PREFIX.copy(this.#scratch);
    const prepared = prepareCheckpoints(options);
    if ('problem' in prepared) {
      this.#verifier = null;
      this.#problem = prepared.problem;
      return;
    }
    this.#verifier = new LogVerifier(prepared, options);
    this.#problem = this.#verifier.start();
  }

  /** False once a problem has been found: the rest of the input does not matter. */
  get reading(): boolean {
    return this.#problem === undefined;
  }

  /** Consumes the next bytes of the export. Returns `reading`. */
  write(chunk: Uint8Array): boolean {
    if (this.#ended) throw new Error('NdjsonVerifier: write after end');
    if (this.#problem) return false;
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.#carry) {
      const newline = bytes.indexOf(10);
      if (newline === -1) {
        this.#carry = Buffer.concat([this.#carry, bytes]);
        return true;
      }
      const line = Buffer.concat([this.#carry, bytes.subarray(0, newline)]);
      this.#carry = null;
      if (!this.#line(line, 0, line.length)) return false;
      start = newline + 1;
    }
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      if (!this.#line(bytes, start, end)) return false;
      start = end + 1;
    }
    if (start < bytes.length) this.#carry = Buffer.from(bytes.subarray(start));
    return true;
  }

  /** Ends the input (a last line without a newline counts) and returns the result. */
  end(): VerifyResult {
    if (!this.#ended) {
      this.#ended = true;
      const carry = this.#carry;
      this.#carry = null;
      if (carry && !this.#problem) this.#line(carry, 0, carry.length);
    }
    const verifier = this.#verifier;
    if (!verifier) return { ok: false, problem: this.#problem!, entries: 0 };
    if (this.#problem) return { ok: false, problem: this.#problem, entries: verifier.read };
    const result = verifier.finish();
    if (!result.ok) this.#problem = result.problem;
    return result;
  }

  /** The line of the most recent entry (of the last 16 read) that claimed `sequence`. */
  lineOf(sequence: number): number | undefined {
    for (let k = 1; k <= RECENT; k++) {
      const i = (this.#recentNext - k + RECENT) % RECENT;
      if (this.#recentSequence[i] === sequence) return this.#recentLine[i];
    }
    return undefined;
  }

  /** One line, bytes[start, end) without its newline. Returns false when it revealed a problem. */
  #line(bytes: Buffer, start: number, end: number): boolean {
    const verifier = this.#verifier!;
    const lineNumber = ++this.#lineNumber;
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    // latin1: one char per byte; the expression accepts ASCII only, so a match is the UTF-8 text too.
    const text = bytes.toString('latin1', start, stop);
    const match = CANONICAL_LINE.exec(text);
    let problem: VerifyProblem | undefined;
    const sequence = match === null ? 0 : Number(match[5]);
    if (
      match !== null &&
      Number.isSafeInteger(sequence) &&
      categoriesInOrder(match[2]!) &&
      isRealInstant(match[6]!)
    ) {
      const before = match[1]!.length;
      const length = stop - start - HASH_MEMBER_LENGTH;
      if (this.#scratch.length < PREFIX.length + length) {
        this.#scratch = Buffer.alloc(2 * (PREFIX.length + length));
        PREFIX.copy(this.#scratch);
      }
      const scratch = this.#scratch;
      bytes.copy(scratch, PREFIX.length, start, start + before);
      bytes.copy(scratch, PREFIX.length + before, start + before + HASH_MEMBER_LENGTH, stop);
      const computed = auditCrypto.sha256Hex(scratch.subarray(0, PREFIX.length + length));
      this.#remember(sequence, lineNumber);
      problem = verifier.pushHashed(sequence, match[4]!, match[3]!, computed);
    } else {
      try {
        let text: string;
        try {
          text = UTF8.decode(bytes.subarray(start, end));
        } catch {
          throw new MalformedEntryLine(lineNumber, 'not UTF-8');
        }
        const entry = parseEntryLine(text, lineNumber);
        this.#remember(entry.sequence, lineNumber);
        problem = verifier.push(entry);
      } catch (error) {
        if (!(error instanceof MalformedEntryLine)) throw error;
        problem = { kind: 'malformed', sequence: verifier.expected, line: error.line, detail: error.reason };
      }
    }
    if (problem === undefined) return true;
    this.#problem = problem;
    return false;
  }

  #remember(sequence: number, line: number): void {
    const i = this.#recentNext;
    this.#recentSequence[i] = sequence;
    this.#recentLine[i] = line;
    this.#recentNext = (i + 1) % RECENT;
  }
}

/** Verifies a whole NDJSON export held in memory. */
export function verifyNdjson(bytes: Uint8Array, options: VerifyOptions): VerifyResult {
  const verifier = new NdjsonVerifier(options);
  verifier.write(bytes);
  return verifier.end();
}

/**
 * Verifies an NDJSON export read as a stream of byte chunks (e.g. fs.createReadStream
 * with a large highWaterMark). Stops reading at the first problem.
 */
export async function verifyNdjsonStream(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: VerifyOptions,
  verifier: NdjsonVerifier = new NdjsonVerifier(options),
): Promise<VerifyResult> {
  if (verifier.reading) {
    for await (const chunk of chunks) {
      if (!verifier.write(chunk)) break;
    }
  }
  return verifier.end();
}
