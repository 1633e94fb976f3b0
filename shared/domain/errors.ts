/**
 * Named domain errors. The domain throws these; `shared/http/problem.ts` maps each
 * to an HTTP status and an RFC 9457 problem document in one place.
 *
 * Messages and details must never carry personal data: they end up in responses
 * and logs. Name the field and the reason, never the value.
 */

/** One offending field: a dotted path into the input and why it was refused. */
export interface FieldIssue {
  readonly field: string;
  readonly reason: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  /** Extra, non-personal members for the problem document. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The input does not have the required shape (400). */
export class InvalidRequest extends DomainError {
  readonly code = 'invalid-request';
  constructor(
    readonly issues: readonly FieldIssue[],
    message = 'The request is not valid.',
  ) {
    super(message);
  }
}

/** The input is well-formed but breaks a rule, e.g. a field outside the consent (422). */
export class UnprocessableContent extends DomainError {
  readonly code: string = 'unprocessable-content';
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[] = [],
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}

/** No credential, or one that cannot be checked (401). */
export class Unauthenticated extends DomainError {
  readonly code = 'unauthenticated';
}

/** A valid credential whose principal may not use this operation (403). */
export class Forbidden extends DomainError {
  readonly code = 'forbidden';
}

/**
 * The object does not exist *for this caller* (404). Objects of other principals
 * are reported the same way, so that their existence does not leak.
 */
export class NotFound extends DomainError {
  readonly code = 'not-found';
  constructor(readonly resource: string) {
    super(`The ${resource} was not found.`);
  }
}

/** The request conflicts with the current state (409), e.g. an open referral exists. */
export class Conflict extends DomainError {
  readonly code: string = 'conflict';
}

/** The object existed but is no longer available, e.g. a revoked referral (410). */
export class Gone extends DomainError {
  readonly code = 'gone';
}

/** The body is larger than the operation accepts (413). */
export class PayloadTooLarge extends DomainError {
  readonly code = 'payload-too-large';
  constructor(readonly limitBytes: number) {
    super(`The request body exceeds ${limitBytes} bytes.`, { limitBytes });
  }
}

/** The media type is not JSON (415). */
export class UnsupportedMediaType extends DomainError {
  readonly code = 'unsupported-media-type';
}

/** Too many requests (429). */
export class TooManyRequests extends DomainError {
  readonly code = 'too-many-requests';
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests; retry later.', { retryAfterSeconds });
  }
}

/** A dependency failed or is unavailable (503); the request may be retried. */
export class DependencyUnavailable extends DomainError {
  readonly code = 'dependency-unavailable';
}
