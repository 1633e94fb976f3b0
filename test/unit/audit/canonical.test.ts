import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '#shared/domain/audit/canonical.ts';
import { entryCanonicalText, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { draft, draftArb } from './fixtures.ts';

describe('RFC 8785 JSON canonicalization', () => {
  it('reproduces the example of RFC 8785 §3.2.2', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const out = canonicalize(input);
    const order = Object.keys(JSON.parse(out));
    // JSON.parse keeps "1" first (integer-like keys); compare the text order instead.
    expect(out).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    expect(order).toHaveLength(7);
    expect(Buffer.from(out, 'utf8').subarray(0, 8).toString('hex')).toBe('7b225c72223a2243');
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('formats the IEEE 754 value %s as %s (RFC 8785 Appendix B)', (bits, expected) => {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    expect(canonicalize(value)).toBe(expected);
  });

  it('refuses what I-JSON forbids', () => {
    expect(() => canonicalize(Number.NaN)).toThrow(/finite/);
    expect(() => canonicalize({ a: Number.POSITIVE_INFINITY })).toThrow(/finite/);
    expect(() => canonicalize('\ud800x')).toThrow(/surrogate/);
    expect(() => canonicalize([undefined])).toThrow(/type/);
    expect(() => canonicalize(10n)).toThrow(/type/);
  });

  it('leaves out members whose value is undefined, as JSON does', () => {
    expect(canonicalize({ b: 1, a: undefined })).toBe('{"b":1}');
  });

  it('is stable under a JSON round trip', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
    );
  });

  it('the fast path for entries equals the general algorithm', () => {
    fc.assert(
      fc.property(fc.array(draftArb, { minLength: 1, maxLength: 5 }), (batch) => {
        for (const entry of sequenceDrafts(null, batch).entries) {
          const { hash: _omitted, ...rest } = entry;
          expect(entryCanonicalText(entry)).toBe(canonicalize(rest));
          expect(entryCanonicalText(rest)).toBe(canonicalize(rest));
        }
      }),
    );
  });

  it('an entry of another shape takes the general path', () => {
    const [entry] = sequenceDrafts(null, [draft(1)]).entries;
    expect(entry).toBeDefined();
    const odd = { ...entry!, extra: 'x\u00e9' } as unknown as Parameters<typeof entryCanonicalText>[0];
    const { hash: _h, ...rest } = odd as unknown as Record<string, unknown>;
    expect(entryCanonicalText(odd)).toBe(canonicalize(rest));
    expect(entryCanonicalText(odd)).toContain('"extra":"xé"');
  });
});
