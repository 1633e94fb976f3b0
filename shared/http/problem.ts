import type { APIGatewayProxyResult } from 'aws-lambda';
import {
  Conflict,
  DependencyUnavailable,
  DomainError,
  type FieldIssue,
  Forbidden,
  Gone,
  InvalidRequest,
  NotFound,
  PayloadTooLarge,
  TooManyRequests,
  Unauthenticated,
  UnprocessableContent,
  UnsupportedMediaType,
} from '#shared/domain/errors.ts';
import { ReferralRefused } from '#shared/domain/referral/errors.ts';
import { refusalDetail, refusalStatus } from './refusals.ts';

/** RFC 9457 problem details, with `errors` listing each offending field. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors?: readonly FieldIssue[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem type URIs: stable identifiers, documented in docs/api.md. */
export const problemType = (code: string) => `tag:referral-exchange,2026:problem:${code}`;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function statusOf(error: DomainError): number {
  if (error instanceof InvalidRequest) return 400;
  if (error instanceof Unauthenticated) return 401;
  if (error instanceof Forbidden) return 403;
  if (error instanceof NotFound) return 404;
  if (error instanceof Conflict) return 409;
  if (error instanceof Gone) return 410;
  if (error instanceof PayloadTooLarge) return 413;
  if (error instanceof UnsupportedMediaType) return 415;
  if (error instanceof UnprocessableContent) return 422;
  if (error instanceof TooManyRequests) return 429;
  if (error instanceof DependencyUnavailable) return 503;
  return 500;
}

export function problem(
  status: number,
  code: string,
  detail?: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: problemType(code),
    title: TITLES[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    ...extensions,
  };
}

/**
 * Maps any thrown value to a problem. Domain errors carry their own, safe message;
 * anything else becomes a 500 whose body says nothing about the cause (the cause is
 * logged by the caller, by error name only).
 */
export function problemFromError(error: unknown, instance?: string): Problem {
  if (error instanceof ReferralRefused) {
    const { refusal } = error;
    return {
      ...problem(refusalStatus(refusal.reason), refusal.reason, refusalDetail(refusal), error.details),
      ...(refusal.errors && refusal.errors.length > 0 ? { errors: refusal.errors } : {}),
      ...(instance ? { instance } : {}),
    };
  }
  if (error instanceof DomainError) {
    const status = statusOf(error);
    const issues =
      error instanceof InvalidRequest || error instanceof UnprocessableContent ? error.issues : [];
    // Every refusal (409, 422) names its reason, also where the type alone says it.
    const reason = status === 409 || status === 422 ? { reason: error.code } : {};
    return {
      ...problem(status, error.code, error.message, { ...reason, ...error.details }),
      ...(issues.length > 0 ? { errors: issues } : {}),
      ...(instance ? { instance } : {}),
    };
  }
  return {
    ...problem(500, 'internal-error', 'The request could not be completed. It may be retried.'),
    ...(instance ? { instance } : {}),
  };
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: p.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
    body: JSON.stringify(p),
  };
}
