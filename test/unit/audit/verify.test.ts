import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChainHead } from '#shared/domain/audit/chain.ts';
import { entryHash, GENESIS_HASH, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { checkpointOfHead, Ed25519Signer, signCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import type { AuditEntry, AuditEntryDraft, UnhashedAuditEntry } from '#shared/domain/audit/entry.ts';
import { entryShapeProblem } from '#shared/domain/audit/entry-shape.ts';
import type { VerifyProblem, VerifyResult } from '#shared/domain/audit/verify.ts';
import { parseNdjsonEntries, verifyLog } from '#shared/domain/audit/verify.ts';
import { draft, drafts } from './fixtures.ts';

const ORIGIN = 'rex.example/audit';
const signer = Ed25519Signer.generate(ORIGIN);
const verifierKey = signer.verifierKey();
const TIME = '2026-11-03T00:00:00.000Z';

interface Log {
  readonly entries: AuditEntry[];
  readonly heads: Map<number, ChainHead>;
  readonly checkpoints: string[];
  readonly sizes: number[];
}

/** A log of n entries, with signed checkpoints at the given sizes and always at n. */
async function buildLog(n: number, checkpointSizes: readonly number[] = []): Promise<Log> {
  const sizes = [...new Set([...checkpointSizes.filter((s) => s >= 1 && s <= n), n])].sort((a, b) => a - b);
  const heads = new Map<number, ChainHead>();
  const entries: AuditEntry[] = [];
  let head: ChainHead | null = null;
  let from = 0;
  for (const size of sizes) {
    const batch = sequenceDrafts(head, drafts(size - from, from));
    entries.push(...batch.entries);
    head = batch.head;
    heads.set(size, head);
    from = size;
  }
  const checkpoints = await Promise.all(
    sizes.map((s) => signCheckpoint(checkpointOfHead(ORIGIN, heads.get(s)!, TIME), signer)),
  );
  return { entries, heads, checkpoints, sizes };
}

const verify = (log: Log, entries: Iterable<AuditEntry> = log.entries): Promise<VerifyResult> =>
  verifyLog(entries, { checkpoints: log.checkpoints, verifierKey });

const problemOf = (result: VerifyResult): Pick<VerifyProblem, 'kind' | 'sequence'> | 'ok' =>
  result.ok ? 'ok' : { kind: result.problem.kind, sequence: result.problem.sequence };

/** Re-hash an entry after a change, as a tamperer who knows the (public) algorithm would. */
const rehash = (e: UnhashedAuditEntry): AuditEntry => ({ ...e, hash: entryHash(e) });

const logArb = fc
  .integer({ min: 1, max: 200 })
  .chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: 4 })));

const MUTATIONS: ((e: AuditEntry) => AuditEntry)[] = [
  (e) => ({ ...e, time: new Date(Date.parse(e.time) + 1).toISOString() }),
  (e) => ({ ...e, event: e.event === 'referral.revoked' ? 'referral.received' : 'referral.revoked' }),
  (e) => ({ ...e, actor: 'operator' }),
  (e) => ({ ...e, subjectId: e.subjectId === null ? 'psn-99999999999999999999' : null }),
  (e) => ({ ...e, dataCategories: [...e.dataCategories, 'health'] }),
  (e) => ({ ...e, sequence: e.sequence + 1 }),
  (e) => ({
    ...e,
    previousHash: `${e.previousHash.slice(0, 63)}${e.previousHash.endsWith('0') ? '1' : '0'}`,
  }),
  (e) => ({ ...e, hash: `${e.hash[0] === '0' ? '1' : '0'}${e.hash.slice(1)}` }),
  (e) => ({ ...e, legalBasis: null, referralId: 'referral-x' }),
  (e) => ({ ...e, note: 'x' }) as AuditEntry,
  (e) => {
    const { purpose: _dropped, ...rest } = e;
    return rest as AuditEntry;
  },
];

describe('verifying an audit log', () => {
  it('accepts a valid log and reports what it covered', async () => {
    const log = await buildLog(10, [4, 7]);
    const result = await verify(log);
    expect(result).toEqual({
      ok: true,
      entries: 10,
      firstSequence: 1,
      lastSequence: 10,
      headHash: log.entries[9]!.hash,
      checkpointsMatched: 3,
      signedTreeSize: 10,
      rootHash: checkpointOfHead(ORIGIN, log.heads.get(10)!, TIME).rootHash,
    });
  });

  it('accepts random valid logs of 1 to 200 entries', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, async ([n, sizes]) => {
        expect(problemOf(await verify(await buildLog(n, sizes)))).toBe('ok');
      }),
      { numRuns: 30 },
    );
  });

  it('accepts entries after the last checkpoint as chained but not yet signed', async () => {
    const log = await buildLog(6, [3]);
    const result = await verifyLog(log.entries, { checkpoints: [log.checkpoints[0]!], verifierKey });
    expect(result).toMatchObject({ ok: true, lastSequence: 6, signedTreeSize: 3 });
  });

  it('finds every single-entry modification, at its sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb.chain(([n, sizes]) =>
          fc.tuple(
            fc.constant(n),
            fc.constant(sizes),
            fc.integer({ min: 0, max: n - 1 }),
            fc.integer({ min: 0, max: MUTATIONS.length - 1 }),
          ),
        ),
        async ([n, sizes, i, m]) => {
          const log = await buildLog(n, sizes);
          const tampered = [...log.entries];
          tampered[i] = MUTATIONS[m]!(tampered[i]!);
          // A change that breaks the form of §1 is refused as malformed before any hash is checked.
          const kind = entryShapeProblem(tampered[i]) === undefined ? 'modified' : 'malformed';
          expect(problemOf(await verify(log, tampered))).toEqual({ kind, sequence: i + 1 });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds a rewritten and re-hashed entry by its successor, or by the checkpoint when it is the last', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb.chain(([n, sizes]) =>
          fc.tuple(fc.constant(n), fc.constant(sizes), fc.integer({ min: 0, max: n - 1 })),
        ),
        async ([n, sizes, i]) => {
          const log = await buildLog(n, sizes);
          const tampered = [...log.entries];
          const { hash: _old, ...rest } = tampered[i]!;
          tampered[i] = rehash({ ...rest, actor: 'operator', reason: 'rewritten' });
          const expected =
            i + 1 < n ? { kind: 'modified', sequence: i + 1 } : { kind: 'checkpoint-mismatch', sequence: n };
          expect(problemOf(await verify(log, tampered))).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('finds every single-entry deletion (the last one is a truncation)', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb.chain(([n, sizes]) =>
          fc.tuple(fc.constant(n), fc.constant(sizes), fc.integer({ min: 0, max: n - 1 })),
        ),
        async ([n, sizes, i]) => {
          const log = await buildLog(n, sizes);
          const tampered = log.entries.filter((_, j) => j !== i);
          const expected =
            i + 1 < n ? { kind: 'deleted', sequence: i + 1 } : { kind: 'truncated', sequence: n };
          expect(problemOf(await verify(log, tampered))).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds every single-entry insertion, at the sequence claimed twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb.chain(([n, sizes]) =>
          fc.tuple(
            fc.constant(n),
            fc.constant(sizes),
            fc.integer({ min: 0, max: n }),
            fc.integer({ min: 0, max: 2 }),
          ),
        ),
        async ([n, sizes, p, variant]) => {
          const log = await buildLog(n, sizes);
          const before = log.entries[p - 1];
          const after = log.entries[p];
          let inserted: AuditEntry;
          let claimed: number;
          if (before && (variant === 0 || !after)) {
            // A replayed copy of the entry before.
            inserted = { ...before };
            claimed = before.sequence;
          } else if (before && variant === 1) {
            // A forged entry with a correct hash, claiming the sequence before it.
            inserted = rehash({
              ...draft(9999),
              sequence: before.sequence,
              previousHash: before.previousHash,
            });
            claimed = before.sequence;
          } else {
            // A forged entry that chains perfectly to the one before and takes the next sequence.
            inserted = rehash({
              ...draft(9999),
              sequence: p + 1,
              previousHash: before?.hash ?? GENESIS_HASH,
            });
            claimed = p + 1;
          }
          const tampered = [...log.entries.slice(0, p), inserted, ...log.entries.slice(p)];
          expect(problemOf(await verify(log, tampered))).toEqual({ kind: 'inserted', sequence: claimed });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds every swap of two adjacent entries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 200 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 2 }), fc.integer({ min: 1, max: n })),
          ),
        async ([n, i, c]) => {
          const log = await buildLog(n, [c]);
          const tampered = [...log.entries];
          [tampered[i], tampered[i + 1]] = [tampered[i + 1]!, tampered[i]!];
          expect(problemOf(await verify(log, tampered))).toEqual({ kind: 'reordered', sequence: i + 1 });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('finds a truncation against the last checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb.chain(([n, sizes]) =>
          fc.tuple(fc.constant(n), fc.constant(sizes), fc.integer({ min: 1, max: n })),
        ),
        async ([n, sizes, k]) => {
          const log = await buildLog(n, sizes);
          const tampered = log.entries.slice(0, n - k);
          expect(problemOf(await verify(log, tampered))).toEqual({ kind: 'truncated', sequence: n - k + 1 });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('finds a deletion hidden by re-sequencing the rest at the next checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        logArb.chain(([n, sizes]) =>
          fc.tuple(fc.constant(n), fc.constant(sizes), fc.integer({ min: 0, max: n - 1 })),
        ),
        async ([n, sizes, i]) => {
          const log = await buildLog(n, sizes);
          const kept = log.entries.filter((_, j) => j !== i);
          const tampered = sequenceDrafts(
            null,
            kept.map(({ sequence: _s, previousHash: _p, hash: _h, ...d }) => d as AuditEntryDraft),
          ).entries;
          const next = log.sizes.find((s) => s >= i + 1)!;
          const expected =
            next <= n - 1
              ? { kind: 'checkpoint-mismatch', sequence: next }
              : { kind: 'truncated', sequence: n };
          expect(problemOf(await verify(log, tampered))).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('verifies a log merged from 32 concurrent writers and sequenced in several batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 12 }), {
          minLength: 32,
          maxLength: 32,
        }),
        fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        async (writers, cuts, seed) => {
          // Each writer's drafts in its own time order; arrival interleaves the writers.
          const lists = writers.map((gaps, w) => {
            let t = Date.parse('2026-11-02T08:00:00.000Z');
            return gaps.map((gap, j) => {
              t += gap;
              return draft(w * 100 + j, { entryId: `w${w}-${j}`, time: new Date(t).toISOString() });
            });
          });
          const arrival: AuditEntryDraft[] = [];
          let s = seed >>> 0;
          const cursors = lists.map(() => 0);
          while (arrival.length < lists.flat().length) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const w = s % 32;
            if (cursors[w]! < lists[w]!.length) arrival.push(lists[w]![cursors[w]!++]!);
          }
          const bounds = [...new Set([0, ...cuts.map((c) => c % arrival.length), arrival.length])].sort(
            (a, b) => a - b,
          );
          let head: ChainHead | null = null;
          const entries: AuditEntry[] = [];
          const checkpoints: string[] = [];
          for (let b = 1; b < bounds.length; b++) {
            const batch = sequenceDrafts(head, arrival.slice(bounds[b - 1], bounds[b]));
            entries.push(...batch.entries);
            head = batch.head;
            checkpoints.push(await signCheckpoint(checkpointOfHead(ORIGIN, head, TIME), signer));
          }
          const result = await verifyLog(entries, { checkpoints, verifierKey });
          expect(result).toMatchObject({
            ok: true,
            entries: arrival.length,
            checkpointsMatched: bounds.length - 1,
          });
          expect(new Set(entries.map((e) => e.entryId)).size).toBe(arrival.length);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('retention', () => {
  it('verifies what remains after the first k entries were deleted, from a signed anchor', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 120 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.integer({ min: 1, max: n - 1 }),
              fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: 3 }),
            ),
          ),
        async ([n, k, sizes]) => {
          const log = await buildLog(n, [k, ...sizes]);
          const head = log.heads.get(k)!;
          const remaining = log.entries.slice(k);
          const withFrontier = await verifyLog(remaining, {
            checkpoints: log.checkpoints,
            verifierKey,
            anchor: { sequence: k, hash: head.hash, merkleFrontier: head.frontier },
          });
          expect(withFrontier).toMatchObject({
            ok: true,
            firstSequence: k + 1,
            lastSequence: n,
            entries: n - k,
          });
          const chainOnly = await verifyLog(remaining, {
            checkpoints: log.checkpoints,
            verifierKey,
            anchor: { sequence: k, hash: head.hash },
          });
          expect(chainOnly).toMatchObject({ ok: true, rootHash: null, lastSequence: n });
          // A deletion inside the retained part is still found.
          if (remaining.length > 1) {
            const result = await verifyLog(remaining.slice(1), {
              checkpoints: log.checkpoints,
              verifierKey,
              anchor: { sequence: k, hash: head.hash },
            });
            expect(problemOf(result)).toEqual({ kind: 'deleted', sequence: k + 1 });
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('refuses an anchor that no signed checkpoint vouches for, or that the log does not continue', async () => {
    const log = await buildLog(12, [5, 8]);
    const anchor = { sequence: 5, hash: log.heads.get(5)!.hash };
    const unsigned = await verifyLog(log.entries.slice(6), {
      checkpoints: log.checkpoints,
      verifierKey,
      anchor: { sequence: 6, hash: log.entries[5]!.hash },
    });
    expect(problemOf(unsigned)).toEqual({ kind: 'bad-signature', sequence: 6 });
    const wrongHash = await verifyLog(log.entries.slice(5), {
      checkpoints: log.checkpoints,
      verifierKey,
      anchor: { ...anchor, hash: log.entries[3]!.hash },
    });
    expect(problemOf(wrongHash)).toEqual({ kind: 'checkpoint-mismatch', sequence: 5 });
    const notContinued = await verifyLog(log.entries.slice(6), {
      checkpoints: log.checkpoints.slice(0, 1).concat(log.checkpoints.slice(2)),
      verifierKey,
      anchor,
    });
    expect(problemOf(notContinued)).toEqual({ kind: 'deleted', sequence: 6 });
    const badFrontier = await verifyLog(log.entries.slice(5), {
      checkpoints: log.checkpoints,
      verifierKey,
      anchor: { ...anchor, merkleFrontier: log.heads.get(8)!.frontier },
    });
    expect(problemOf(badFrontier)).toEqual({ kind: 'checkpoint-mismatch', sequence: 5 });
  });
});

describe('checkpoints during verification', () => {
  it('refuses a forged checkpoint signature', async () => {
    const log = await buildLog(8, [4]);
    const forged = log.checkpoints[0]!.replace(`${ORIGIN}\n4\n`, `${ORIGIN}\n3\n`);
    const result = await verifyLog(log.entries, { checkpoints: [forged, log.checkpoints[1]!], verifierKey });
    expect(problemOf(result)).toEqual({ kind: 'bad-signature', sequence: 3 });
    const byStranger = await signCheckpoint(
      checkpointOfHead(ORIGIN, log.heads.get(8)!, TIME),
      Ed25519Signer.generate(ORIGIN),
    );
    expect(problemOf(await verifyLog(log.entries, { checkpoints: [byStranger], verifierKey }))).toEqual({
      kind: 'bad-signature',
      sequence: 8,
    });
  });

  it('refuses checkpoints of another log', async () => {
    const log = await buildLog(4);
    const other = await signCheckpoint(
      checkpointOfHead('other.example/log', log.heads.get(4)!, TIME),
      signer,
    );
    const result = await verifyLog(log.entries, { checkpoints: [log.checkpoints[0]!, other], verifierKey });
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.problem.kind).toBe('bad-signature');
  });

  it('reports progress every N entries', async () => {
    const log = await buildLog(25);
    const seen: number[] = [];
    await verifyLog(log.entries, {
      checkpoints: log.checkpoints,
      verifierKey,
      progressEvery: 10,
      onProgress: (n) => seen.push(n),
    });
    expect(seen).toEqual([10, 20, 25]);
  });
});

describe('NDJSON export', () => {
  async function* lines(text: string): AsyncGenerator<string> {
    for (const line of text.split('\n')) yield line;
  }

  it('reads one entry per line, in JCS or plain JSON, and verifies it', async () => {
    const log = await buildLog(5, [2]);
    const text = `${log.entries.map((e, i) => (i % 2 ? JSON.stringify(e, null, 0) : JSON.stringify(e))).join('\r\n')}\n`;
    const result = await verifyLog(parseNdjsonEntries(lines(text)), {
      checkpoints: log.checkpoints,
      verifierKey,
    });
    expect(result).toMatchObject({ ok: true, entries: 5 });
  });

  it('reports the line number of a malformed line', async () => {
    const log = await buildLog(5);
    const rows = log.entries.map((e) => JSON.stringify(e));
    for (const [bad, reason] of [
      ['{"sequence":3', 'not JSON'],
      ['[1,2]', 'not a JSON object'],
      [JSON.stringify({ ...log.entries[2], sequence: '3' }), 'sequence'],
      [JSON.stringify({ ...log.entries[2], hash: 'ABC' }), 'hash'],
      [JSON.stringify({ ...log.entries[2], name: 'x' }), 'unknown member'],
    ] as const) {
      const text = [...rows.slice(0, 2), bad, ...rows.slice(3)].join('\n');
      const result = await verifyLog(parseNdjsonEntries(lines(text)), {
        checkpoints: log.checkpoints,
        verifierKey,
      });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problem).toMatchObject({ kind: 'malformed', line: 3, sequence: 3 });
        expect(result.problem.detail).toContain(reason);
      }
    }
  });
});

describe('entries caused by a signed-in person', () => {
  it('carry an optional pseudonymous person id and verify with and without it', async () => {
    const personId = `psn_${'ab'.repeat(32)}`;
    const batch = sequenceDrafts(
      null,
      drafts(4, 0).map((d, i) => (i % 2 === 0 ? { ...d, personId } : d)),
    );
    const checkpoint = await signCheckpoint(checkpointOfHead(ORIGIN, batch.head, TIME), signer);
    const ndjson = batch.entries.map((e) => JSON.stringify(e)).join('\n');
    expect(ndjson).toContain(personId);
    const parsed = parseNdjsonEntries(ndjson.split('\n'));
    expect((await verifyLog(parsed, { checkpoints: [checkpoint], verifierKey })).ok).toBe(true);
    const changed = batch.entries.map((e, i) => (i === 0 ? { ...e, personId: `psn_${'cd'.repeat(32)}` } : e));
    expect((await verifyLog(changed, { checkpoints: [checkpoint], verifierKey })).ok).toBe(false);
  });
});
