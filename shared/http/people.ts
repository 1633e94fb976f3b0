import { PERSON_KINDS, type PrincipalKind } from '#shared/identity/principal.ts';
import type { OperationSpec } from './operation.ts';

/**
 * The people's API tree (docs/sign-in.md). A REST API method has one authorizer, so the
 * operations that people use are served twice: under `/v1/…` for programs, signed with
 * SigV4 (IAM), and under `/people/v1/…` for signed-in people, with a Cognito user-pool
 * authorizer that verifies their ID token. Both reach the same function, which finds
 * the same operation and applies the same rules to the same principal.
 */
export const PEOPLE_PATH_PREFIX = '/people';

/**
 * The web pages people sign in on, below the API's base URL: each is a redirect and a
 * post-logout URI of the web client, in AWS (the app client) and on one machine.
 */
export const SIGN_IN_PAGES = ['/dpo', '/office', '/authority'] as const;

/**
 * How long a sign-in and its tokens last, the same in AWS (the app client) and on one
 * machine (the local provider): a sign-in a working day at most (session, refresh
 * token), ID and access tokens 15 minutes (the page renews them silently before).
 */
export const SIGN_IN_LIFETIMES = {
  sessionSeconds: 8 * 3600,
  idTokenSeconds: 15 * 60,
} as const;

/** The principal kinds of an operation that a signed-in person can act as. */
export function personKindsOf(operation: OperationSpec): PrincipalKind[] {
  if (operation.auth === 'public') return [];
  return operation.auth.filter((kind) => PERSON_KINDS.includes(kind));
}

/**
 * Whether the operation has a twin in the people's tree: it is signed, and a clerk,
 * counsellor or DPO (an authority, service office or DPO unit's principal) may call it.
 * Public operations need no credential, operator-only ones are for programs.
 */
export function hasPeopleTwin(operation: OperationSpec): boolean {
  return personKindsOf(operation).length > 0;
}

/** The resource path of an operation's people twin, e.g. `/people/v1/audit/events`. */
export function peoplePath(operation: OperationSpec): string {
  return `${PEOPLE_PATH_PREFIX}${operation.path}`;
}

/** The operations that have a people twin, in the given order. */
export function peopleOperations(operations: readonly OperationSpec[]): OperationSpec[] {
  return operations.filter(hasPeopleTwin);
}

/**
 * Which tree a request came through, from its resource path (API Gateway's `resource`),
 * and the operation path it stands for.
 */
export function splitResource(resource: string): { readonly people: boolean; readonly path: string } {
  return resource.startsWith(`${PEOPLE_PATH_PREFIX}/`)
    ? { people: true, path: resource.slice(PEOPLE_PATH_PREFIX.length) }
    : { people: false, path: resource };
}
