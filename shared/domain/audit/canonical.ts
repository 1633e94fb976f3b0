/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * Written here rather than taken from a library: none is installed, and the
 * algorithm is short and fully specified (RFC 8785 §3.2), so an independent
 * verifier in any language reproduces the same bytes:
 * - no whitespace;
 * - strings serialised as ECMAScript's JSON.stringify does (RFC 8785 §3.2.2.2
 *   adopts exactly that escaping: `"`, `\`, and controls below U+0020 as
 *   \b \t \n \f \r or \u00xx in lower case; everything else literally);
 * - numbers in ECMAScript Number-to-String form (§3.2.2.3), which is what
 *   JSON.stringify emits for finite numbers (and `-0` becomes `0`);
 * - object members sorted by their names as arrays of UTF-16 code units
 *   (§3.2.3), which is JavaScript's default string ordering;
 * - arrays keep their order.
 * Inputs that I-JSON (RFC 7493) forbids are refused: non-finite numbers and
 * strings with lone surrogates. Object members whose value is `undefined` are
 * left out, as JSON.stringify would, so an entry and its JSON export hash alike.
 */

/** A JSON value as JCS accepts it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

const LONE_SURROGATE = /\p{Surrogate}/u;

/** The canonical JSON text of `value` (a JavaScript string; encode it as UTF-8 to hash it). */
export function canonicalize(value: unknown): string {
  return serialize(value, 'value');
}

function serialize(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`JCS: ${at} is not a finite number`);
      return JSON.stringify(value);
    case 'string':
      return serializeString(value, at);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += serialize(value[i], `${at}[${i}]`);
        }
        return out + ']';
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += serializeString(key, `${at} member name`) + ':' + serialize(member, `${at}.${key}`);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`JCS: ${at} has a type JSON cannot carry`);
  }
}

function serializeString(value: string, at: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError(`JCS: ${at} contains a lone surrogate`);
  return JSON.stringify(value);
}
