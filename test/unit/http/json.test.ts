import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { MAX_JSON_DEPTH, parseJsonBody } from '#shared/http/json.ts';

const refusal = (text: string) => {
  try {
    parseJsonBody(text);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequest);
    return (error as InvalidRequest).issues[0]?.reason;
  }
};

describe('parseJsonBody', () => {
  it('parses what JSON.parse parses when names are unique', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonBody(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('refuses a member name repeated in one object, also when written with escapes', () => {
    expect(refusal('{"a":1,"a":2}')).toBe('a member name is repeated in one object');
    expect(refusal('{"x":{"status":"a","st\\u0061tus":"b"}}')).toBe(
      'a member name is repeated in one object',
    );
    expect(refusal('{"__proto__":1,"__proto__":2}')).toBe('a member name is repeated in one object');
  });

  it('allows the same name in different objects and as string values', () => {
    expect(parseJsonBody('{"a":{"a":"a"},"b":[{"a":1},{"a":2}],"c":"a"}')).toEqual({
      a: { a: 'a' },
      b: [{ a: 1 }, { a: 2 }],
      c: 'a',
    });
    expect(parseJsonBody('{"k":"\\"a\\":1,\\"a\\":2"}')).toEqual({ k: '"a":1,"a":2' });
  });

  it('refuses nesting deeper than the limit and malformed JSON', () => {
    expect(parseJsonBody(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeDefined();
    expect(refusal(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)).toContain(
      'nested deeper',
    );
    expect(refusal('{"a":')).toBe('not valid JSON');
  });
});
