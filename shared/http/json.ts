import { InvalidRequest } from '#shared/domain/errors.ts';

/**
 * Parses a request body as JSON, refusing what JSON.parse quietly accepts but a careful
 * API must not: a member name repeated in one object (JSON.parse keeps the last one, so
 * two parsers could disagree on what was sent — RFC 8259 §4 leaves it undefined) and
 * nesting deeper than a limit. `__proto__` members need no special care: JSON.parse makes
 * them own properties, and the strict schemas refuse every unknown member.
 *
 * Hand-written because JSON.parse offers no hook for repeated names; it is one linear
 * scan over the text, done only after JSON.parse has accepted it.
 */
export const MAX_JSON_DEPTH = 32;

export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequest([{ field: '(body)', reason: 'not valid JSON' }]);
  }
  checkStructure(text);
  return value;
}

function checkStructure(text: string): void {
  // A stack of the member names seen per open object (null for arrays).
  const stack: (Set<string> | null)[] = [];
  let expectingName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? new Set() : null);
      if (stack.length > MAX_JSON_DEPTH) {
        throw new InvalidRequest([
          { field: '(body)', reason: `nested deeper than ${MAX_JSON_DEPTH} levels` },
        ]);
      }
      expectingName = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectingName = false;
    } else if (c === ',') {
      expectingName = stack.at(-1) instanceof Set;
    } else if (c === '"') {
      let j = i + 1;
      let raw = '';
      while (text[j] !== '"') {
        if (text[j] === '\\') {
          raw += text.slice(j, j + 2);
          j += 2;
        } else {
          raw += text[j];
          j++;
        }
      }
      if (expectingName) {
        const names = stack.at(-1) as Set<string>;
        const name = JSON.parse(`"${raw}"`) as string;
        if (names.has(name)) {
          throw new InvalidRequest([{ field: '(body)', reason: 'a member name is repeated in one object' }]);
        }
        names.add(name);
        expectingName = false;
      }
      i = j;
    }
  }
}
