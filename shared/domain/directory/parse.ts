import { type Directory, DirectorySchema, formatPath } from './schema.ts';

/** One problem in a directory file: where (JSON path) and why. */
export interface DirectoryIssue {
  readonly path: string;
  readonly reason: string;
}

/**
 * The directory file is not valid. The message lists every issue, one per line,
 * as `path: reason`. Directory contents (ids, municipality keys) are not personal
 * data, so reasons may quote them.
 */
export class DirectoryInvalidError extends Error {
  readonly issues: readonly DirectoryIssue[];
  constructor(issues: readonly DirectoryIssue[], source?: string) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const heading = `The directory${source ? ` ${source}` : ''} is not valid (${count}):`;
    super([heading, ...issues.map((issue) => `${issue.path}: ${issue.reason}`)].join('\n'));
    this.name = 'DirectoryInvalidError';
    this.issues = issues;
  }
}

/** Validates parsed JSON as a directory. Pure; throws `DirectoryInvalidError` with every problem found. */
export function parseDirectory(json: unknown, source?: string): Directory {
  const result = DirectorySchema.safeParse(json);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    reason: issue.message,
  }));
  throw new DirectoryInvalidError(issues, source);
}
