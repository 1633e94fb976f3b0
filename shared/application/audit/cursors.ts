/**
 * Page cursors of the DPO queries: opaque base64url JSON to the client, checked on
 * the way back in so that a cursor of one query cannot steer another (an index
 * cursor must name the same index and key value).
 */
import { InvalidRequest } from '#shared/domain/errors.ts';
import { type AuditIndexName, INDEX_KEY_ATTRIBUTE } from './ports.ts';

const CURSOR_FIELD = 'query.cursor';

export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function badCursor(): InvalidRequest {
  return new InvalidRequest([{ field: CURSOR_FIELD, reason: 'is not a cursor of this query' }]);
}

function decodeCursorObject(cursor: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badCursor();
  return value as Record<string, unknown>;
}

/** A LastEvaluatedKey of an index query, checked to belong to that index and key value. */
export function decodeIndexCursor(
  cursor: string,
  index: AuditIndexName,
  keyValue: string,
): Record<string, unknown> {
  const key = decodeCursorObject(cursor);
  const attribute = INDEX_KEY_ATTRIBUTE[index];
  const expected = ['pk', 'sk', attribute, 'indexedAt'];
  const names = Object.keys(key);
  if (names.length !== expected.length || !expected.every((n) => typeof key[n] === 'string'))
    throw badCursor();
  if (key[attribute] !== keyValue || key.sk !== 'ENTRY' || !String(key.pk).startsWith('ENTRY#'))
    throw badCursor();
  if (String(key.pk).length > 200 || String(key.indexedAt).length > 200) throw badCursor();
  return key;
}

/** A LastEvaluatedKey of the checkpoint list. */
export function decodeCheckpointCursor(cursor: string): Record<string, unknown> {
  const key = decodeCursorObject(cursor);
  if (Object.keys(key).length !== 2 || key.pk !== 'CHECKPOINT') throw badCursor();
  if (typeof key.sk !== 'string' || !/^[0-9]{16}$/.test(key.sk)) throw badCursor();
  return key;
}

/** The next sequence number of the export feed. */
export function decodeSequenceCursor(cursor: string): number {
  const key = decodeCursorObject(cursor);
  const s = key.s;
  if (Object.keys(key).length !== 1 || typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1)
    throw badCursor();
  return s;
}
