import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { AuditEntrySchema } from '#shared/domain/audit/entry.ts';
import { entryShapeProblem, isAuditTime, jsonTextProblem } from '#shared/domain/audit/entry-shape.ts';
import { draftArb } from './fixtures.ts';

/** Changes that each break one promise of docs/audit-format.md §1 (or none, for the last ones). */
const CHANGES: [string, (e: Record<string, unknown>) => unknown][] = [
  ['a missing member', ({ purpose: _p, ...rest }) => rest],
  ['an unknown member', (e) => ({ ...e, note: 'x' })],
  ['an unknown event', (e) => ({ ...e, event: 'referral.teleported' })],
  ['a malformed time', (e) => ({ ...e, time: '2026-11-02 09:15:00' })],
  ['an impossible date', (e) => ({ ...e, time: '2026-02-30T09:15:00.000Z' })],
  ['unsorted categories', (e) => ({ ...e, dataCategories: ['identity', 'contact'] })],
  ['repeated categories', (e) => ({ ...e, dataCategories: ['contact', 'contact'] })],
  ['a name in subjectId', (e) => ({ ...e, subjectId: 'Erika Mustermann' })],
  ['free text in reason', (e) => ({ ...e, reason: 'Die Person wollte nicht.' })],
  ['another article', (e) => ({ ...e, legalBasis: { article: 'GDPR Art. 6(1)(e)', consentId: 'c-1' } })],
  [
    'an extra legalBasis member',
    (e) => ({ ...e, legalBasis: { article: 'GDPR Art. 6(1)(a)', consentId: 'c-1', x: 1 } }),
  ],
  ['a string sequence', (e) => ({ ...e, sequence: '1' })],
  ['a fractional sequence', (e) => ({ ...e, sequence: 1.5 })],
  ['an upper-case hash', (e) => ({ ...e, hash: String(e.hash).toUpperCase() })],
  ['a bad actor', (e) => ({ ...e, actor: 'root' })],
  ['a number as purpose', (e) => ({ ...e, purpose: 7 })],
  ['an array', () => []],
  ['null', () => null],
  ['nothing changed', (e) => e],
  ['another valid actor', (e) => ({ ...e, actor: 'dpo:deployment' })],
];

const entryArb = fc.array(draftArb, { minLength: 1, maxLength: 3 }).map((ds) => {
  const unique = ds.map((d, i) => ({ ...d, entryId: `${d.entryId}-${i}` }));
  return sequenceDrafts(null, unique).entries[0]! as unknown as Record<string, unknown>;
});

describe('the entry shape check of the verifier', () => {
  it('agrees with AuditEntrySchema on valid entries and on every kind of malformed one', () => {
    fc.assert(
      fc.property(entryArb, fc.integer({ min: 0, max: CHANGES.length - 1 }), (entry, c) => {
        const [, change] = CHANGES[c]!;
        const value = change(entry);
        expect(entryShapeProblem(value) === undefined).toBe(AuditEntrySchema.safeParse(value).success);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses each broken promise, naming the member, never the value', () => {
    const entry = sequenceDrafts(null, [fc.sample(draftArb, { numRuns: 1, seed: 1 })[0]!]).entries[0]!;
    for (const [what, change] of CHANGES.slice(0, -2)) {
      const problem = entryShapeProblem(change(entry as unknown as Record<string, unknown>));
      expect(problem, what).toBeDefined();
      expect(problem, what).not.toMatch(/Mustermann|wollte|teleported/);
    }
  });
});

describe('JSON text that JSON.parse accepts but the format refuses', () => {
  it('finds a member name given twice, at any depth, and a byte order mark', () => {
    expect(jsonTextProblem('{"a":1,"b":2}')).toBeUndefined();
    expect(jsonTextProblem('{"a":1,"a":2}')).toBe('a member name given twice');
    expect(jsonTextProblem('{"l":{"x":"a","x":"b"}}')).toBe('a member name given twice');
    expect(jsonTextProblem('{"a\\u0062":1,"ab":2}')).toBe('a member name given twice');
    expect(jsonTextProblem('{"a":[{"k":1},{"k":2}],"b":"\\",\\"a\\":"}')).toBeUndefined();
    expect(jsonTextProblem('\ufeff{"a":1}')).toBe('a byte order mark');
  });
});

describe('isAuditTime', () => {
  it('accepts exactly what Date#toISOString writes for an instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 60 }),
        (y, mo, d, h, mi) => {
          const p = (v: number, l = 2) => String(v).padStart(l, '0');
          const text = `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(mi)}.123Z`;
          const ms = Date.parse(text);
          const byDate = !Number.isNaN(ms) && new Date(ms).toISOString() === text;
          expect(isAuditTime(text), text).toBe(byDate);
        },
      ),
      { numRuns: 3000 },
    );
    expect(isAuditTime('2028-02-29T23:59:59.999Z')).toBe(true);
    expect(isAuditTime('2100-02-29T00:00:00.000Z')).toBe(false);
  });
});
