import { createHash } from 'node:crypto';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import {
  EMPTY_TREE_ROOT,
  entryHash,
  GENESIS_HASH,
  headRoot,
  MerkleFrontier,
  sequenceDrafts,
} from '#shared/domain/audit/chain.ts';
import {
  AuditEntryDraftSchema,
  AuditEntrySchema,
  auditDraft,
  InvalidAuditEntry,
} from '#shared/domain/audit/entry.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { draft, draftArb, drafts } from './fixtures.ts';

const sha256 = (...parts: (Buffer | string)[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

describe('audit drafts', () => {
  it('fills defaults: fresh id, the clock, nulls, sorted unique categories, consent as legal basis', () => {
    const d = auditDraft(
      {
        event: 'referral.accepted',
        actor: 'authority:abh-karlsruhe',
        dataCategories: ['contact', 'identity', 'contact'],
        consentId: 'consent-1',
      },
      new FixedClock('2026-11-02T08:00:00Z'),
    );
    expect(d.time).toBe('2026-11-02T08:00:00.000Z');
    expect(d.entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.dataCategories).toEqual(['contact', 'identity']);
    expect(d.legalBasis).toEqual({ article: 'GDPR Art. 6(1)(a)', consentId: 'consent-1' });
    expect(d.subjectId).toBeNull();
    expect(d.reason).toBeNull();
  });

  it('refuses personal data: unknown fields, free-text reasons, names as subjects', () => {
    const base = draft(1);
    expect(AuditEntryDraftSchema.safeParse({ ...base, name: 'Erika Mustermann' }).success).toBe(false);
    expect(AuditEntryDraftSchema.safeParse({ ...base, reason: 'Kein Interesse, sagt sie' }).success).toBe(
      false,
    );
    expect(AuditEntryDraftSchema.safeParse({ ...base, subjectId: 'Erika Mustermann' }).success).toBe(false);
    expect(AuditEntryDraftSchema.safeParse({ ...base, actor: 'erika' }).success).toBe(false);
    expect(
      AuditEntryDraftSchema.safeParse({
        ...base,
        legalBasis: { article: 'GDPR Art. 6(1)(b)', consentId: 'c' },
      }).success,
    ).toBe(false);
    expect(AuditEntryDraftSchema.safeParse(base).success).toBe(true);
  });

  it('reports schema failures by field, without the value', () => {
    try {
      auditDraft({ event: 'referral.refused', actor: 'authority:abh', reason: 'Frau Mustermann lehnt ab' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidAuditEntry);
      const e = error as InvalidAuditEntry;
      expect(e.issues.map((i) => i.field)).toEqual(['reason']);
      expect(e.message).not.toContain('Mustermann');
    }
  });

  it('accepts only millisecond UTC times that exist', () => {
    expect(AuditEntryDraftSchema.safeParse({ ...draft(1), time: '2026-11-02T08:00:00Z' }).success).toBe(
      false,
    );
    expect(AuditEntryDraftSchema.safeParse({ ...draft(1), time: '2026-02-30T08:00:00.000Z' }).success).toBe(
      false,
    );
  });

  it('sequenced entries satisfy the strict entry schema', () => {
    const { entries } = sequenceDrafts(null, drafts(3));
    for (const e of entries) expect(AuditEntrySchema.parse(e)).toEqual(e);
    expect(AuditEntrySchema.safeParse({ ...entries[0], extra: 1 }).success).toBe(false);
  });
});

const batchAndPermutation = fc
  .uniqueArray(draftArb, { minLength: 1, maxLength: 40, selector: (d) => d.entryId })
  .chain((batch) =>
    fc
      .shuffledSubarray(batch, { minLength: batch.length, maxLength: batch.length })
      .map((shuffled) => [batch, shuffled] as const),
  );

describe('hash chain', () => {
  it('hashes 0x00, the domain prefix and the JCS form without `hash`', () => {
    const { entries } = sequenceDrafts(null, [draft(1)]);
    const entry = entries[0]!;
    const { hash: stored, ...rest } = entry;
    const expected = sha256(
      Buffer.from([0]),
      'rex-audit-entry-v1\n',
      Buffer.from(canonicalize(rest), 'utf8'),
    ).toString('hex');
    expect(stored).toBe(expected);
    expect(entryHash(entry)).toBe(expected);
    expect(entry.previousHash).toBe(GENESIS_HASH);
    expect(entry.sequence).toBe(1);
  });

  it('is deterministic: any arrival order of the same drafts gives the same chain', () => {
    fc.assert(
      fc.property(batchAndPermutation, ([batch, shuffled]) => {
        const one = sequenceDrafts(null, batch);
        const two = sequenceDrafts(null, shuffled);
        expect(two).toEqual(one);
        expect(one.entries.map((e) => e.sequence)).toEqual(batch.map((_, i) => i + 1));
        for (let i = 1; i < one.entries.length; i++) {
          expect(one.entries[i]!.previousHash).toBe(one.entries[i - 1]!.hash);
          expect(one.entries[i - 1]!.time <= one.entries[i]!.time).toBe(true);
        }
        expect(one.head.sequence).toBe(batch.length);
        expect(one.head.hash).toBe(one.entries.at(-1)!.hash);
      }),
    );
  });

  it('orders by time, then by entry id', () => {
    const a = draft(1, { entryId: 'b', time: '2026-11-02T08:00:00.000Z' });
    const b = draft(2, { entryId: 'a', time: '2026-11-02T08:00:00.000Z' });
    const c = draft(3, { entryId: 'a0', time: '2026-11-02T07:59:59.999Z' });
    const { entries } = sequenceDrafts(null, [a, b, c]);
    expect(entries.map((e) => e.entryId)).toEqual(['a0', 'a', 'b']);
  });

  it('continues from a head: batches chain exactly like one run', () => {
    const all = drafts(25);
    const whole = sequenceDrafts(null, all);
    let head = null as ReturnType<typeof sequenceDrafts>['head'] | null;
    const pieces = [];
    for (const [from, to] of [
      [0, 1],
      [1, 9],
      [9, 9],
      [9, 25],
    ] as const) {
      const batch = sequenceDrafts(head, all.slice(from, to));
      pieces.push(...batch.entries);
      head = batch.head;
    }
    expect(pieces).toEqual(whole.entries);
    expect(head).toEqual(whole.head);
  });

  it('refuses duplicate entry ids and an inconsistent head', () => {
    expect(() => sequenceDrafts(null, [draft(1), draft(1)])).toThrow(/duplicate/);
    expect(() =>
      sequenceDrafts({ sequence: 2, hash: GENESIS_HASH, frontier: { size: 0, hashes: [] } }, [draft(1)]),
    ).toThrow(/frontier/);
  });
});

/** RFC 9162 §2.1.1, written the obvious recursive way, over leaf hashes. */
function naiveRoot(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return sha256('');
  if (leafHashes.length === 1) return leafHashes[0]!;
  let k = 1;
  while (k * 2 < leafHashes.length) k *= 2;
  return sha256(Buffer.from([1]), naiveRoot(leafHashes.slice(0, k)), naiveRoot(leafHashes.slice(k)));
}

describe('Merkle frontier', () => {
  it('matches a naive recomputation for sizes 0 to 64', () => {
    const byInput = new MerkleFrontier();
    const byHash = new MerkleFrontier();
    const leaves: Buffer[] = [];
    expect(byInput.root()).toEqual(naiveRoot([]));
    expect(byInput.root()).toEqual(EMPTY_TREE_ROOT);
    for (let n = 1; n <= 64; n++) {
      const input = Buffer.from(`entry ${n}`);
      const leafHash = sha256(Buffer.from([0]), input);
      leaves.push(leafHash);
      byInput.appendLeafInput(input);
      if (n % 2) byHash.append(leafHash);
      else byHash.appendHex(leafHash.toString('hex'));
      expect(byInput.size).toBe(n);
      expect(byInput.root().toString('hex')).toBe(naiveRoot(leaves).toString('hex'));
      expect(byHash.root()).toEqual(byInput.root());
      expect(byInput.toJSON().hashes.length).toBeLessThanOrEqual(Math.floor(Math.log2(n)) + 1);
    }
  });

  it('reproduces the RFC 6962 reference tree of the certificate-transparency test data', () => {
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ];
    const frontier = new MerkleFrontier();
    for (const hex of leaves) frontier.appendLeafInput(Buffer.from(hex, 'hex'));
    expect(frontier.root().toString('hex')).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
  });

  it('survives a round trip through the chain head', () => {
    const first = sequenceDrafts(null, drafts(13));
    const second = sequenceDrafts(JSON.parse(JSON.stringify(first.head)), drafts(8, 13));
    const all = sequenceDrafts(null, drafts(21));
    expect(headRoot(second.head)).toEqual(headRoot(all.head));
    expect(headRoot(all.head)).toEqual(naiveRoot(all.entries.map((e) => Buffer.from(e.hash, 'hex'))));
  });

  it('refuses a frontier whose hash count does not fit its size', () => {
    expect(() => new MerkleFrontier(3, [sha256('x')])).toThrow(/count/);
    expect(() => MerkleFrontier.fromJSON({ size: 1, hashes: ['00'] })).toThrow(/length/);
  });
});

describe('Merkle frontier input checks', () => {
  it('refuses leaf hashes that are not 32 bytes of hex', () => {
    const frontier = new MerkleFrontier();
    expect(() => frontier.appendHex('ab')).toThrow(/length/);
    expect(() => frontier.append(new Uint8Array(31))).toThrow(/length/);
    frontier.appendHex('z'.repeat(64));
    expect(() => frontier.root()).toThrow(/hex/);
    const two = new MerkleFrontier();
    two.appendHex('a'.repeat(64));
    expect(() => two.appendHex('z'.repeat(64))).toThrow(/hex/);
  });
});
