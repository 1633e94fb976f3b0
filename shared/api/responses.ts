import type { ResponseSpec } from '#shared/http/operation.ts';
import { ProblemSchema } from '#shared/schemas/problem.ts';

const problem = (description: string): ResponseSpec => ({
  description,
  schema: ProblemSchema,
  contentType: 'application/problem+json',
});

/** The problem responses every operation can give, by status. */
export const problems = {
  400: problem('The request is malformed; `errors` names each field and reason.'),
  401: problem('No credential was presented.'),
  403: problem('The credential is invalid, stale, or its principal may not call this operation.'),
  404: problem('The object does not exist for this caller.'),
  409: problem('The request conflicts with the current state.'),
  410: problem('The object is no longer available.'),
  413: problem('The body is too large.'),
  415: problem('The body is not JSON.'),
  422: problem('The request is well-formed but breaks a rule; `errors` names each field.'),
  429: problem('Too many requests; see Retry-After.'),
  500: problem('A defect; the body says nothing more. It may be retried.'),
  503: problem('A dependency is unavailable; retry later.'),
} as const satisfies Record<number, ResponseSpec>;

/** The problems of a signed operation that takes a body. */
export const signedBodyProblems = {
  400: problems[400],
  401: problems[401],
  403: problems[403],
  413: problems[413],
  415: problems[415],
  429: problems[429],
} as const;
