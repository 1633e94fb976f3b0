import { beforeAll, describe, expect, it } from 'vitest';
import {
  activeKeys,
  currentKey,
  emptyKeySet,
  isActiveKey,
  type OfficeKeySet,
  OfficeKeySetSchema,
  publishKeys,
  retire,
  rotate,
  toPublicJwks,
} from '#shared/domain/crypto/key-set.ts';
import { Conflict, InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { ecKeyPair, thrownBy } from './fixtures.ts';

type Jwk = Record<string, unknown>;

const T1 = new Date('2026-03-01T08:00:00.000Z');
const T2 = new Date('2026-06-01T08:00:00.000Z');
const T3 = new Date('2026-09-01T08:00:00.000Z');

let a: Jwk;
let b: Jwk;
let c: Jwk;
let other: Jwk;

beforeAll(async () => {
  [a, b, c, other] = (
    await Promise.all(['key-a', 'key-b', 'key-c', 'key-a'].map((kid) => ecKeyPair(kid)))
  ).map((pair) => pair.publicJwk) as [Jwk, Jwk, Jwk, Jwk];
});

const kids = (set: OfficeKeySet) =>
  set.keys.map((key) => `${key.kid}${key.current ? '*' : ''}${key.retiredAt ? '†' : ''}`);

describe('publishKeys', () => {
  it('makes the only key of a first publication current', () => {
    const set = publishKeys(emptyKeySet, { keys: [a] }, T1);
    expect(kids(set)).toEqual(['key-a*']);
    expect(currentKey(set)?.publishedAt).toBe(T1.toISOString());
    expect(OfficeKeySetSchema.parse(set)).toEqual(set);
  });

  it('makes a newly published key current and keeps the older one for decryption', () => {
    const set = publishKeys(publishKeys(emptyKeySet, { keys: [a] }, T1), { keys: [b] }, T2);
    expect(kids(set)).toEqual(['key-a', 'key-b*']);
    expect(isActiveKey(set, 'key-a')).toBe(true);
    expect(toPublicJwks(set).keys.map((jwk) => jwk.kid)).toEqual(['key-a', 'key-b']);
  });

  it('makes the last key of the document current unless another is named', () => {
    expect(kids(publishKeys(emptyKeySet, { keys: [a, b] }, T1))).toEqual(['key-a', 'key-b*']);
    expect(kids(publishKeys(emptyKeySet, { keys: [a, b] }, T1, { current: 'key-a' }))).toEqual([
      'key-a*',
      'key-b',
    ]);
  });

  it('treats republishing a known key as a no-op for that key', () => {
    const first = publishKeys(emptyKeySet, { keys: [a] }, T1);
    const again = publishKeys(first, { keys: [a] }, T2);
    expect(again).toEqual(first);
  });

  it('is additive: keys left out of a later document stay', () => {
    const set = publishKeys(publishKeys(emptyKeySet, { keys: [a, b] }, T1), { keys: [c] }, T2);
    expect(kids(set)).toEqual(['key-a', 'key-b', 'key-c*']);
  });

  it('refuses a kid that already names a different key', () => {
    const set = publishKeys(emptyKeySet, { keys: [a] }, T1);
    const error = thrownBy(() => publishKeys(set, { keys: [b, other] }, T2));
    expect(error).toBeInstanceOf(Conflict);
    expect((error as Conflict).details).toEqual({
      issues: [{ field: 'keys[1].kid', reason: 'kid already names a different key' }],
    });
  });

  it('refuses to bring back a retired key', () => {
    const set = retire(publishKeys(emptyKeySet, { keys: [a, b] }, T1), 'key-a', T2);
    const error = thrownBy(() => publishKeys(set, { keys: [a] }, T3));
    expect(error).toBeInstanceOf(Conflict);
  });

  it('refuses an invalid document and an unknown current kid', () => {
    expect(thrownBy(() => publishKeys(emptyKeySet, { keys: [{ ...a, use: 'sig' }] }, T1))).toBeInstanceOf(
      InvalidRequest,
    );
    const error = thrownBy(() => publishKeys(emptyKeySet, { keys: [a] }, T1, { current: 'key-z' }));
    expect((error as InvalidRequest).issues).toEqual([
      { field: 'current', reason: 'names no published, unretired key' },
    ]);
  });
});

describe('rotate', () => {
  it('switches to a key published ahead of time', () => {
    const set = publishKeys(emptyKeySet, { keys: [a, b] }, T1, { current: 'key-a' });
    expect(kids(rotate(set, 'key-b'))).toEqual(['key-a', 'key-b*']);
    expect(rotate(set, 'key-a')).toEqual(set);
  });

  it('refuses unknown and retired keys', () => {
    const set = retire(publishKeys(emptyKeySet, { keys: [a, b] }, T1), 'key-a', T2);
    expect(thrownBy(() => rotate(set, 'key-z'))).toBeInstanceOf(NotFound);
    expect(thrownBy(() => rotate(set, 'key-a'))).toBeInstanceOf(Conflict);
  });
});

describe('retire', () => {
  it('retires an older key: it leaves the JWKS and stops being active, but its kid stays taken', () => {
    const set = retire(publishKeys(emptyKeySet, { keys: [a, b] }, T1), 'key-a', T2);
    expect(kids(set)).toEqual(['key-a†', 'key-b*']);
    expect(set.keys[0]!.retiredAt).toBe(T2.toISOString());
    expect(isActiveKey(set, 'key-a')).toBe(false);
    expect(activeKeys(set).map((key) => key.kid)).toEqual(['key-b']);
    expect(toPublicJwks(set).keys.map((jwk) => jwk.kid)).toEqual(['key-b']);
    expect(OfficeKeySetSchema.parse(set)).toEqual(set);
  });

  it('refuses to retire the current key without a successor', () => {
    const set = publishKeys(emptyKeySet, { keys: [a, b] }, T1);
    const error = thrownBy(() => retire(set, 'key-b', T2));
    expect(error).toBeInstanceOf(Conflict);
    expect((error as Conflict).details).toEqual({ kid: 'key-b' });
  });

  it('retires the current key together with a successor that becomes current', () => {
    const set = retire(publishKeys(emptyKeySet, { keys: [a, b] }, T1), 'key-b', T2, { successor: 'key-a' });
    expect(kids(set)).toEqual(['key-a*', 'key-b†']);
    expect(currentKey(set)?.kid).toBe('key-a');
  });

  it('refuses a successor that is unknown, retired or the key itself', () => {
    const set = retire(publishKeys(emptyKeySet, { keys: [a, b, c] }, T1), 'key-a', T2);
    for (const successor of ['key-z', 'key-a', 'key-c']) {
      expect(thrownBy(() => retire(set, 'key-c', T3, { successor }))).toBeInstanceOf(InvalidRequest);
    }
  });

  it('is idempotent and refuses unknown keys', () => {
    const once = retire(publishKeys(emptyKeySet, { keys: [a, b] }, T1), 'key-a', T2);
    expect(retire(once, 'key-a', T3)).toBe(once);
    expect(thrownBy(() => retire(once, 'key-z', T3))).toBeInstanceOf(NotFound);
  });
});

describe('OfficeKeySetSchema', () => {
  it('refuses two current keys, a retired current key, and unretired keys without a current one', () => {
    const set = publishKeys(emptyKeySet, { keys: [a, b] }, T1);
    const [first, second] = set.keys as [OfficeKeySet['keys'][0], OfficeKeySet['keys'][0]];
    const messages = (candidate: OfficeKeySet) =>
      OfficeKeySetSchema.safeParse(candidate).error?.issues.map((issue) => issue.message);

    expect(messages({ keys: [{ ...first, current: true }, second] })).toEqual([
      'more than one key is current',
    ]);
    expect(messages({ keys: [first, { ...second, retiredAt: T2.toISOString() }] })).toEqual([
      'a retired key cannot be current',
    ]);
    expect(messages({ keys: [first, { ...second, current: false }] })).toEqual([
      'unretired keys exist but none is current',
    ]);
    expect(messages({ keys: [first, { ...first }] })).toContain('duplicate kid');
  });

  it('has no current key while the office has published none', () => {
    expect(currentKey(emptyKeySet)).toBeUndefined();
    expect(OfficeKeySetSchema.safeParse(emptyKeySet).success).toBe(true);
  });
});
