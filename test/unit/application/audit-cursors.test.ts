import { describe, expect, it } from 'vitest';
import {
  decodeCheckpointCursor,
  decodeIndexCursor,
  decodeSequenceCursor,
  encodeCursor,
} from '#shared/application/audit/cursors.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';

const subjectKey = {
  pk: 'ENTRY#e-1',
  sk: 'ENTRY',
  subjectId: 'sub_abc',
  indexedAt: '2026-11-02T08:00:00.000Z#e-1',
};

function rejected(decode: () => unknown): InvalidRequest {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequest);
    return error as InvalidRequest;
  }
  throw new Error('the cursor was accepted');
}

describe('audit query cursors', () => {
  it('are URL-safe and give back the key they were made of', () => {
    const cursor = encodeCursor(subjectKey);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeIndexCursor(cursor, 'bySubject', 'sub_abc')).toEqual(subjectKey);
    const officeKey = { pk: 'ENTRY#e-2', sk: 'ENTRY', serviceOfficeId: 'mbe-1', indexedAt: 't#e-2' };
    expect(decodeIndexCursor(encodeCursor(officeKey), 'byOffice', 'mbe-1')).toEqual(officeKey);
    const checkpointKey = { pk: 'CHECKPOINT', sk: '0000000000000042' };
    expect(decodeCheckpointCursor(encodeCursor(checkpointKey))).toEqual(checkpointKey);
    expect(decodeSequenceCursor(encodeCursor({ s: 15 }))).toBe(15);
  });

  it('of one query are refused by another', () => {
    const cursor = encodeCursor(subjectKey);
    rejected(() => decodeIndexCursor(cursor, 'bySubject', 'sub_other'));
    rejected(() => decodeIndexCursor(cursor, 'byOffice', 'sub_abc'));
    rejected(() => decodeCheckpointCursor(cursor));
    rejected(() => decodeSequenceCursor(cursor));
    rejected(() => decodeIndexCursor(encodeCursor({ s: 3 }), 'bySubject', 'sub_abc'));
  });

  it('refuse keys that do not point at an entry, carry more, or are oversized', () => {
    const decode = (key: object) => () => decodeIndexCursor(encodeCursor(key), 'bySubject', 'sub_abc');
    rejected(decode({ ...subjectKey, sk: 'EXPORT' }));
    rejected(decode({ ...subjectKey, pk: 'EXPORT#e-1' }));
    rejected(decode({ ...subjectKey, extra: 'x' }));
    rejected(decode({ ...subjectKey, indexedAt: 7 }));
    rejected(decode({ ...subjectKey, pk: `ENTRY#${'x'.repeat(200)}` }));
    rejected(() => decodeCheckpointCursor(encodeCursor({ pk: 'CHECKPOINT', sk: '42' })));
    for (const s of [0, -1, 1.5, '3', Number.MAX_SAFE_INTEGER + 1])
      rejected(() => decodeSequenceCursor(encodeCursor({ s })));
  });

  it('refuse what is not base64url JSON of an object, naming the cursor parameter', () => {
    for (const cursor of ['not a cursor!', Buffer.from('[1]').toString('base64url'), encodeCursor([])]) {
      const error = rejected(() => decodeSequenceCursor(cursor));
      expect(error.issues).toEqual([{ field: 'query.cursor', reason: 'is not a cursor of this query' }]);
    }
  });
});
