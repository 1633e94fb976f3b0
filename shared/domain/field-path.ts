import type * as z from 'zod';
import { type FieldIssue, InvalidRequest } from './errors.ts';

/**
 * How this project names an offending field, everywhere: in API problems, in
 * directory-file errors and in key-set refusals — `scope.serviceTypes[0]`,
 * `keys[1].d`, `serviceOffices[3].municipalities[0]`.
 */
export function formatFieldPath(path: readonly PropertyKey[], root = '(body)'): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? root : out;
}

export const UNKNOWN_PROPERTY = 'unknown property';

/** Messages for the cases where zod's own are vague; none quotes the input. */
export const fieldErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return `must be of type ${issue.expected}`;
  return undefined;
};

/** zod issues as field issues; an unknown property becomes one issue per property. */
export function zodFieldIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
  root?: string,
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ field: formatFieldPath([...path, key], root), reason: UNKNOWN_PROPERTY });
    } else {
      out.push({ field: formatFieldPath(path, root), reason: issue.message });
    }
  }
  return out;
}

/** Parses with the schema or throws InvalidRequest naming every offending field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(value, { error: fieldErrorMap });
  if (!result.success) throw new InvalidRequest(zodFieldIssues(result.error.issues, prefix));
  return result.data;
}
