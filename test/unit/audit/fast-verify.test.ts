import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import type { ChainHead } from '#shared/domain/audit/chain.ts';
import { entryHash, MerkleFrontier, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { checkpointOfHead, Ed25519Signer, signCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import { NdjsonVerifier, verifyNdjson } from '#shared/domain/audit/fast-verify.ts';
import type { VerifyOptions, VerifyResult } from '#shared/domain/audit/verify.ts';
import { LeafFrontier, parseNdjsonEntries, verifyLog } from '#shared/domain/audit/verify.ts';
import { draftArb, drafts } from './fixtures.ts';

const ORIGIN = 'rex.example/audit';
const signer = Ed25519Signer.fromSeed(ORIGIN, new Uint8Array(32).fill(3));
const verifierKey = signer.verifierKey();
const TIME = '2026-11-03T00:00:00.000Z';

interface Log {
  readonly entries: AuditEntry[];
  readonly heads: Map<number, ChainHead>;
  readonly checkpoints: string[];
}

async function buildLog(
  n: number,
  sizes: readonly number[],
  from: AuditEntry['sequence'] = 0,
  arb?: ReturnType<typeof drafts>,
): Promise<Log> {
  const all = arb ?? drafts(n, from);
  const heads = new Map<number, ChainHead>();
  const entries: AuditEntry[] = [];
  let head: ChainHead | null = null;
  let done = 0;
  for (const size of [...new Set([...sizes.filter((s) => s >= 1 && s < n), n])].sort((a, b) => a - b)) {
    const batch = sequenceDrafts(head, all.slice(done, size));
    entries.push(...batch.entries);
    head = batch.head;
    heads.set(size, head);
    done = size;
  }
  const checkpoints = await Promise.all(
    [...heads.values()].map((h) => signCheckpoint(checkpointOfHead(ORIGIN, h, TIME), signer)),
  );
  return { entries, heads, checkpoints };
}

/** What the reference path says: verifyLog over the lines split at `\n`. */
const reference = (text: string, options: VerifyOptions): Promise<VerifyResult> =>
  verifyLog(parseNdjsonEntries(text.split('\n')), options);

/** The fast verifier, fed in the given chunk sizes (cycled). */
function fast(text: string, options: VerifyOptions, chunkSizes: readonly number[] = []): VerifyResult {
  const bytes = Buffer.from(text, 'utf8');
  if (chunkSizes.length === 0) return verifyNdjson(bytes, options);
  const verifier = new NdjsonVerifier(options);
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const size = Math.max(1, chunkSizes[k % chunkSizes.length]!);
    if (!verifier.write(bytes.subarray(at, at + size))) break;
    at += size;
  }
  return verifier.end();
}

/** A line of the same entry that is not canonical: other member order, whitespace, escapes. */
const PLAIN_FORMS: ((e: AuditEntry) => string)[] = [
  (e) => JSON.stringify(e), // the draft's member order, hash last
  (e) => JSON.stringify(e, null, 1).replaceAll('\n', ' '), // whitespace
  (e) => JSON.stringify(Object.fromEntries(Object.entries(e).reverse())),
  (e) =>
    canonicalize(e).replace(
      /"actor":"(.)/,
      (_m, c: string) => `"actor":"\\u00${c.charCodeAt(0).toString(16)}`,
    ),
  (e) => `${canonicalize(e)}\r`,
  (e) => ` ${canonicalize(e)}`,
];

/** Changes of the export text as a tamperer or a broken tool might make them. */
type Edit = (lines: string[], i: number, entries: AuditEntry[]) => void;
const EDITS: Edit[] = [
  (l, i) => {
    l.splice(i, 1); // deletion
  },
  (l, i) => {
    l.splice(i, 0, l[i]!); // insertion (a replay)
  },
  (l, i) => {
    if (i + 1 < l.length) [l[i], l[i + 1]] = [l[i + 1]!, l[i]!]; // adjacent swap
  },
  (l, i) => {
    l.length = i; // truncation
  },
  (l, i) => {
    l[i] = l[i]!.replace('"time":"2026', '"time":"2025'); // content changed, hash not
  },
  (l, i, e) => {
    const { hash: _old, ...rest } = e[i]!;
    const changed = { ...rest, actor: 'operator' };
    l[i] = canonicalize({ ...changed, hash: entryHash(changed) }); // rewritten and re-hashed
  },
  (l, i) => {
    l[i] = l[i]!.replace(/"sequence":(\d+)/, (_m, s: string) => `"sequence":${Number(s) + 5}`);
  },
  (l, i) => {
    l[i] = l[i]!.replace(/"previousHash":"./, '"previousHash":"Z');
  },
  (l, i) => {
    l[i] = l[i]!.replace('"hash":"', '"hash":"A').replace(/("hash":"A[0-9a-f]{63})[0-9a-f]/, '$1');
  },
  (l, i) => {
    l[i] = l[i]!.slice(0, -1); // cut
  },
  (l, i) => {
    l[i] = `${l[i]!.slice(0, -1)},"note":"x"}`; // unknown member
  },
  (l, i) => {
    l.splice(i, 0, ''); // blank line
  },
  (l, i) => {
    l[i] = l[i]!.replace('"sequence":', '"sequence":-'); // negative
  },
  (l, i) => {
    l[i] = l[i]!.replace(/"sequence":(\d+)/, '"sequence":9999999999999999'); // 16 digits, not a safe integer
  },
];

/**
 * Lines a tamperer could make that hash consistently but are not entries: the hash
 * member moved into `legalBasis`, a raw control character or a DEL inside a string.
 * The bytes without the hash member are still the hashed ones.
 */
function craftedLines(e: AuditEntry): string[] {
  const { hash: _h, ...rest } = e;
  const text = canonicalize(rest);
  const withBasis = e.legalBasis
    ? text.replace(
        /"legalBasis":\{"article":"([^"]*)"/,
        (_m, a: string) => `"legalBasis":{"article":"${a}","hash":"${e.hash}"`,
      )
    : null;
  const controlled = canonicalize({ ...rest, actor: `${rest.actor}\t` });
  const tab = controlled.replace('\\t', '\t');
  const tabHash = entryHash({ ...rest, actor: `${rest.actor}\t` });
  const insertHash = (t: string, h: string) => t.replace(/,"legalBasis":/, `,"hash":"${h}","legalBasis":`);
  return [
    ...(withBasis ? [withBasis] : []),
    insertHash(tab, tabHash),
    insertHash(tab, createLeafHashOfRaw(tab)),
    insertHash(text.replace('"actor":"', '"actor":"\u007f'), e.hash),
  ];
}

/** SHA-256 over the raw text as the entry hash would be: what a naive byte-level verifier would accept. */
function createLeafHashOfRaw(canonicalWithoutHash: string): string {
  return createHash('sha256')
    .update(Buffer.from('\u0000rex-audit-entry-v1\n', 'latin1'))
    .update(canonicalWithoutHash)
    .digest('hex');
}

const toText = (lines: string[]) => `${lines.join('\n')}\n`;

describe('verifyNdjson: the export verified from its bytes', () => {
  it('gives the same result as verifyLog on valid logs, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 120 }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { maxLength: 4 }),
        async (n, sizes, chunks) => {
          const log = await buildLog(n, sizes);
          const text = toText(log.entries.map((e) => canonicalize(e)));
          const options = { checkpoints: log.checkpoints, verifierKey };
          const expected = await reference(text, options);
          expect(expected.ok).toBe(true);
          expect(fast(text, options, chunks)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gives the same result as verifyLog for every single change, non-canonical and crafted lines mixed in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(draftArb, { minLength: 1, maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 3 }),
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: -1, max: EDITS.length - 1 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 39 }), fc.integer({ min: 0, max: PLAIN_FORMS.length - 1 })),
          {
            maxLength: 4,
          },
        ),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 39 }), fc.integer({ min: 0, max: 3 })), { nil: null }),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 3 }),
        async (arbDrafts, sizes, at, edit, plain, crafted, chunks) => {
          const unique = arbDrafts.filter(
            (d, k) => arbDrafts.findIndex((x) => x.entryId === d.entryId) === k,
          );
          const n = unique.length;
          const log = await buildLog(n, sizes, 0, unique);
          const lines = log.entries.map((e) => canonicalize(e));
          for (const [k, form] of plain) if (k < n) lines[k] = PLAIN_FORMS[form]!(log.entries[k]!);
          if (crafted && crafted[0] < n) {
            const options = craftedLines(log.entries[crafted[0]]!);
            lines[crafted[0]] = options[crafted[1] % options.length]!;
          }
          if (edit >= 0) EDITS[edit]!(lines, Math.min(at, lines.length - 1), log.entries);
          const text = toText(lines);
          for (const options of [
            { checkpoints: log.checkpoints, verifierKey },
            { checkpoints: [], verifierKey },
          ]) {
            const expected = await reference(text, options);
            expect(fast(text, options)).toEqual(expected);
            expect(fast(text, options, chunks)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same result from an anchor, with and without its Merkle frontier', async () => {
    const log = await buildLog(30, [10, 20]);
    const anchorHead = log.heads.get(10)!;
    const text = toText(log.entries.slice(10).map((e) => canonicalize(e)));
    for (const anchor of [
      { sequence: 10, hash: anchorHead.hash, merkleFrontier: anchorHead.frontier },
      { sequence: 10, hash: anchorHead.hash },
      { sequence: 10, hash: log.heads.get(20)!.hash },
    ]) {
      const options = { checkpoints: log.checkpoints, verifierKey, anchor };
      expect(fast(text, options)).toEqual(await reference(text, options));
    }
  });

  it('refuses a hash member moved into legalBasis, as the general path does', async () => {
    const log = await buildLog(3, []);
    const lines = log.entries.map((e) => canonicalize(e));
    lines[1] = craftedLines(log.entries[1]!)[0]!;
    const options = { checkpoints: log.checkpoints, verifierKey };
    const result = fast(toText(lines), options);
    expect(result).toMatchObject({ ok: false, problem: { kind: 'malformed', sequence: 2, line: 2 } });
    expect(result).toEqual(await reference(toText(lines), options));
  });

  it('verifies the worked example of docs/audit-format.md from the page', () => {
    const doc = readFileSync(new URL('../../../docs/audit-format.md', import.meta.url), 'utf8');
    const lines = doc.split('\n').filter((line) => line.startsWith('{"actor"') && line.includes('"hash":'));
    const note = /```\n(rex\.example\/audit\n3\n[\s\S]*?\n)```/.exec(doc)?.[1];
    const key = /```\n(rex\.example\/audit\+[0-9a-f]{8}\+\S+)\n```/.exec(doc)?.[1];
    expect(lines).toHaveLength(3);
    const result = verifyNdjson(Buffer.from(toText(lines)), { checkpoints: [note!], verifierKey: key! });
    expect(result).toMatchObject({ ok: true, entries: 3, checkpointsMatched: 1, signedTreeSize: 3 });
    const tampered = toText(lines.map((l) => l.replace('"referral.received"', '"referral.declined"')));
    expect(verifyNdjson(Buffer.from(tampered), { checkpoints: [note!], verifierKey: key! })).toMatchObject({
      ok: false,
      problem: { kind: 'modified', sequence: 3 },
    });
  });

  it('tells the line of a recent entry, and reports progress', () => {
    const { entries } = sequenceDrafts(null, drafts(40));
    const seen: number[] = [];
    const verifier = new NdjsonVerifier({
      checkpoints: [],
      verifierKey,
      progressEvery: 10,
      onProgress: (n) => seen.push(n),
    });
    verifier.write(Buffer.from(toText(entries.map((e) => canonicalize(e)))));
    expect(verifier.end()).toMatchObject({ ok: true, entries: 40 });
    expect(seen).toEqual([10, 20, 30, 40, 40]);
    expect(verifier.lineOf(40)).toBe(40);
    expect(verifier.lineOf(25)).toBe(25);
    expect(verifier.lineOf(3)).toBeUndefined();
  });
});

describe('LeafFrontier', () => {
  it('gives the roots of MerkleFrontier, also from a published compact range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (n, start) => {
        const reference = new MerkleFrontier();
        const leaves = Array.from({ length: start + n }, (_, i) =>
          createHash('sha256').update(String(i)).digest('hex'),
        );
        for (const leaf of leaves.slice(0, start)) reference.appendHex(leaf);
        const leaf = LeafFrontier.fromJSON(reference.toJSON());
        expect(leaf.size).toBe(start);
        expect(Buffer.from(leaf.root()).toString('hex')).toBe(reference.root().toString('hex'));
        for (const h of leaves.slice(start)) {
          reference.appendHex(h);
          leaf.appendHex(h);
        }
        expect(Buffer.from(leaf.root()).toString('hex')).toBe(reference.root().toString('hex'));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses what MerkleFrontier refuses', () => {
    expect(() => LeafFrontier.fromJSON({ size: 3, hashes: ['00'.repeat(32)] })).toThrow(RangeError);
    expect(() => new LeafFrontier().appendHex('zz'.repeat(32))).toThrow(RangeError);
    expect(() => new LeafFrontier().appendHex('00')).toThrow(RangeError);
  });
});
