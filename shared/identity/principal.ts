import { Forbidden } from '#shared/domain/errors.ts';

/**
 * Principals: who is calling. Identity comes only from the credential (IAM SigV4 in
 * AWS, the same signatures verified locally), never from a request body.
 *
 * A principal is written `authority:<id>`, `service:<id>`, `dpo:<scope>` or `operator`,
 * where ids are directory ids.
 */
export type Principal = (
  | { readonly kind: 'authority'; readonly id: string }
  | { readonly kind: 'service'; readonly id: string }
  | { readonly kind: 'dpo'; readonly scope: string }
  | { readonly kind: 'operator' }
) & {
  /**
   * Present when a signed-in person acts (docs/sign-in.md): their pseudonymous id
   * (`psn_…`, an HMAC of issuer and subject). The principal is their organisation
   * unit, so every rule applies to a person exactly as to that unit's program.
   */
  readonly personId?: string;
};

export type PrincipalKind = Principal['kind'];

/**
 * The principal kinds a signed-in person can act as: the organisation units whose
 * directory entries list people (an authority's clerks, an office's counsellors, a
 * DPO scope's officers). The operator is never a person. The people's API tree
 * (`shared/http/people.ts`) offers exactly the operations these kinds may call.
 */
export const PERSON_KINDS: readonly PrincipalKind[] = ['authority', 'service', 'dpo'];

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function formatPrincipal(p: Principal): string {
  switch (p.kind) {
    case 'authority':
    case 'service':
      return `${p.kind}:${p.id}`;
    case 'dpo':
      return `dpo:${p.scope}`;
    case 'operator':
      return 'operator';
  }
}

/** The actor of the events a principal causes: the principal, and the person if one signed in. */
export function actorOf(p: Principal): { readonly principal: string; readonly personId?: string } {
  return { principal: formatPrincipal(p), ...(p.personId ? { personId: p.personId } : {}) };
}

/** Parses `kind:id`; returns undefined for anything that is not a well-formed principal. */
export function parsePrincipal(text: string): Principal | undefined {
  if (text === 'operator') return { kind: 'operator' };
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const kind = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  if (!SLUG.test(rest)) return undefined;
  if (kind === 'authority' || kind === 'service') return { kind, id: rest };
  if (kind === 'dpo') return { kind, scope: rest };
  return undefined;
}

/**
 * The session tag that names the service office a session of an offices' role acts for
 * (docs/deploy.md, "Identity"). The role's trust policy requires it on every
 * AssumeRole and requires the role session name to equal it, so the session name in
 * the caller's ARN — all that API Gateway tells a function — is the office's id; the
 * role's policy gives queue and key access only where the queue's tag of the same name
 * matches (`aws:PrincipalTag/rex-office`). An office costs no IAM role.
 */
export const OFFICE_SESSION_TAG = 'rex-office';

/**
 * The one role every service office of a stage acts through, in this account:
 * `rex-<stage>-offices`. An organisation onboarded from outside the account (Roles
 * Anywhere, or its own AWS account) has its own offices' role,
 * `rex-<stage>-offices-<provider id>`, whose sessions resolve only to that provider's offices.
 */
export function officesRoleName(stage: string, providerId?: string): string {
  return providerId ? shortened(`rex-${stage}-offices-${providerId}`) : `rex-${stage}-offices`;
}

/**
 * The IAM role name that carries a principal in a stage. Role names are at most 64
 * characters; long ids are shortened with a stable hash suffix so the name stays unique.
 * A service office has no role of its own: it acts through `officesRoleName` with the
 * session name and tag of its id (`roleSessionOf`).
 */
export function roleNameFor(stage: string, p: Principal): string {
  const tail = p.kind === 'operator' ? 'operator' : `${p.kind}-${p.kind === 'dpo' ? p.scope : p.id}`;
  return shortened(`rex-${stage}-${tail}`);
}

/**
 * The role and session name a principal's program signs as: a service office as a
 * session of the offices' role named by its id, every other principal as any session
 * of its own role.
 */
export function roleSessionOf(
  stage: string,
  p: Principal,
  providerId?: string,
): { readonly roleName: string; readonly sessionName?: string } {
  if (p.kind === 'service') return { roleName: officesRoleName(stage, providerId), sessionName: p.id };
  return { roleName: roleNameFor(stage, p) };
}

/**
 * What the trust policy of an offices' role admits (infra/constructs/principals.ts), for
 * the local platform, which has no STS: a session of an offices' role only under the
 * name of its `rex-office` tag; any other session as it is.
 */
export function sessionAdmitted(
  stage: string,
  userArn: string,
  sessionTags: Readonly<Record<string, string>> | undefined,
): boolean {
  const assumed = parseAssumedRoleArn(userArn);
  if (!assumed) return true;
  const shared = officesRoleName(stage);
  if (assumed.roleName !== shared && !assumed.roleName.startsWith(`${shared}-`)) return true;
  return sessionTags?.[OFFICE_SESSION_TAG] === assumed.sessionName;
}

function shortened(name: string): string {
  if (name.length <= 64) return name;
  // FNV-1a: a short, dependency-free, stable suffix; not a security property.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${name.slice(0, 55)}-${h.toString(16).padStart(8, '0')}`;
}

/**
 * The IAM identity a role session presents: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
 * Returns the account, role name and session name, or undefined for any other kind of ARN.
 */
export function parseAssumedRoleArn(
  arn: string,
): { account: string; roleName: string; sessionName: string } | undefined {
  const m = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/.exec(arn);
  if (!m) return undefined;
  return { account: m[1]!, roleName: m[2]!, sessionName: m[3]! };
}

/**
 * One key for the forms an IAM identity takes: a role ARN as configured (with or
 * without a path) and the assumed-role ARN a SigV4 caller presents, which carries
 * only the role's name, both become `<account>/role/<name>`; a user stays a user.
 */
export function iamIdentityKey(arn: string): string | undefined {
  const role = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(arn);
  if (role) return `${role[1]}/role/${role[2]}`;
  const assumed = parseAssumedRoleArn(arn);
  if (assumed) return `${assumed.account}/role/${assumed.roleName}`;
  const user = /^arn:aws[a-z-]*:iam::(\d{12}):user\/((?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64})$/.exec(arn);
  if (user) return `${user[1]}/user/${user[2]}`;
  return undefined;
}

/** A person as the directory lists them: by subject or by e-mail, never by name. */
export interface DirectoryPerson {
  readonly subject?: string;
  readonly email?: string;
}

/** What a principal entry of the directory says about who acts for it. */
interface PrincipalEntry {
  readonly iamPrincipals?: readonly string[];
  readonly people?: readonly DirectoryPerson[];
  /** The unit's own identity provider, federated into the deployment's user pool (docs/sign-in.md). */
  readonly identityProvider?: { readonly name: string };
}

/** The directory entries that can be principals (structurally, the directory file). */
export interface PrincipalDirectory {
  readonly authorities: readonly (PrincipalEntry & { readonly id: string })[];
  readonly serviceOffices: readonly (PrincipalEntry & {
    readonly id: string;
    readonly providerId?: string;
  })[];
  readonly dataProtectionOfficers: readonly (PrincipalEntry & { readonly scope: string })[];
  readonly operatorIamPrincipals?: readonly string[];
}

/**
 * The claims of a verified ID token as API Gateway's Cognito user-pool authorizer
 * passes them to the function (`requestContext.authorizer.claims`, every value a
 * string) and as the local gateway passes them after the same verification.
 */
export type TokenClaims = Readonly<Record<string, string | undefined>>;

/**
 * The identity provider a Cognito user signed in through, from the `identities` claim
 * of a federated user's ID token: the provider's name and the person's subject there.
 * Undefined when the claim is absent (a user of the pool itself, or the local
 * provider); `null` when it is present but unreadable, which must refuse the sign-in.
 * API Gateway hands nested claims on as text — JSON or `{key=value, …}` — so both forms
 * are read.
 */
export function federatedIdentity(
  claims: TokenClaims,
): { readonly provider: string; readonly subject: string } | undefined | null {
  const text = claims.identities;
  if (text === undefined) return undefined;
  const field = (name: string) =>
    new RegExp(`\\b${name}["']?\\s*[:=]\\s*["']?([^"',}\\]\\s]+)`).exec(text)?.[1];
  const provider = field('providerName');
  const subject = field('userId');
  return provider && subject ? { provider, subject } : null;
}

/**
 * Maps the IAM identity of a request to a principal. Built once per cold start from
 * the directory: the roles the stack creates (by deterministic name, in this account)
 * and any IAM principals the operator mapped explicitly in the directory file.
 */
export class PrincipalResolver {
  readonly #byRoleName = new Map<string, Principal>();
  /**
   * The offices' roles (`officesRoleName`), each with the offices whose id it accepts as
   * session name: the stage's shared role every office, a provider's own role that
   * provider's offices only.
   */
  readonly #officesRoles = new Map<string, Map<string, Principal>>();
  /** Explicitly mapped IAM identities, by `iamIdentityKey`. */
  readonly #byIdentity = new Map<string, Principal>();
  /**
   * Signed-in people, by `sub:<subject>` or `email:<lower-cased address>`, each key
   * prefixed with the identity provider of the person's unit (`<name>/`, empty for the
   * deployment's own user pool): a person of a federated unit resolves only when they
   * signed in through that unit's provider, and a provider resolves only its unit's people.
   */
  readonly #byPerson = new Map<string, Principal>();

  constructor(
    directory: PrincipalDirectory,
    private readonly options: { readonly stage: string; readonly accountId: string },
  ) {
    const add = (p: Principal, entry: PrincipalEntry & { readonly providerId?: string }) => {
      if (p.kind === 'service') {
        for (const roleName of [
          officesRoleName(options.stage),
          officesRoleName(options.stage, entry.providerId),
        ]) {
          const offices = this.#officesRoles.get(roleName) ?? new Map<string, Principal>();
          offices.set(p.id, p);
          this.#officesRoles.set(roleName, offices);
        }
      } else {
        this.#byRoleName.set(roleNameFor(options.stage, p), p);
      }
      for (const arn of entry.iamPrincipals ?? []) {
        const key = iamIdentityKey(arn);
        if (key) this.#byIdentity.set(key, p);
      }
      if (!PERSON_KINDS.includes(p.kind)) return;
      const via = entry.identityProvider ? `${entry.identityProvider.name}/` : '';
      for (const person of entry.people ?? []) {
        if (person.subject) this.#byPerson.set(`${via}sub:${person.subject}`, p);
        if (person.email) this.#byPerson.set(`${via}email:${person.email.toLowerCase()}`, p);
      }
    };
    for (const a of directory.authorities) add({ kind: 'authority', id: a.id }, a);
    for (const s of directory.serviceOffices) add({ kind: 'service', id: s.id }, s);
    for (const d of directory.dataProtectionOfficers) add({ kind: 'dpo', scope: d.scope }, d);
    add({ kind: 'operator' }, { iamPrincipals: directory.operatorIamPrincipals ?? [] });
  }

  /** The principal for an API Gateway `requestContext.identity.userArn`, if mapped. */
  resolve(userArn: string | null | undefined): Principal | undefined {
    if (!userArn) return undefined;
    const key = iamIdentityKey(userArn);
    const explicit = key ? this.#byIdentity.get(key) : undefined;
    if (explicit) return explicit;
    const assumed = parseAssumedRoleArn(userArn);
    if (!assumed || assumed.account !== this.options.accountId) return undefined;
    // A session of an offices' role is the office its session name names: the trust
    // policy admits a session only under the name of its office tag (docs/deploy.md).
    const offices = this.#officesRoles.get(assumed.roleName);
    if (offices) return offices.get(assumed.sessionName);
    return this.#byRoleName.get(assumed.roleName);
  }

  /**
   * The organisation unit a signed-in person acts for, from the claims of their
   * verified ID token: by subject first, else by e-mail when the provider verified it.
   * Undefined for a person the directory does not list (any more).
   *
   * A person who signed in through their unit's own identity provider (federated into
   * the user pool) is found among that unit's people only: by their subject at that
   * provider, else by the e-mail it asserts — the organisation vouches for its own
   * staff's addresses (Entra ID, for one, sends no `email_verified`), and it can vouch
   * for nobody else's, since no other unit's people are looked up for its sign-ins.
   */
  resolvePerson(claims: TokenClaims): Principal | undefined {
    if (claims.token_use !== undefined && claims.token_use !== 'id') return undefined;
    const federated = federatedIdentity(claims);
    if (federated === null) return undefined;
    if (federated) {
      const via = `${federated.provider}/`;
      return (
        this.#byPerson.get(`${via}sub:${federated.subject}`) ??
        (claims.email ? this.#byPerson.get(`${via}email:${claims.email.toLowerCase()}`) : undefined)
      );
    }
    const bySubject = claims.sub ? this.#byPerson.get(`sub:${claims.sub}`) : undefined;
    if (bySubject) return bySubject;
    if (claims.email && claims.email_verified === 'true')
      return this.#byPerson.get(`email:${claims.email.toLowerCase()}`);
    return undefined;
  }

  /**
   * Every principal with the role (and, for an office, the session name) its program
   * signs as in this account; the local platform issues demo credentials for these.
   */
  principals(): { principal: Principal; roleName: string; sessionName?: string }[] {
    const shared = this.#officesRoles.get(officesRoleName(this.options.stage)) ?? new Map();
    return [
      ...[...this.#byRoleName].map(([roleName, principal]) => ({ principal, roleName })),
      ...[...shared].map(([sessionName, principal]: [string, Principal]) => ({
        principal,
        roleName: officesRoleName(this.options.stage),
        sessionName,
      })),
    ];
  }
}

/**
 * Narrows the caller to the one kind an operation admits. The API layer has already
 * refused other kinds; this keeps the type honest and fails closed if it ever did not.
 */
export function principalOfKind<K extends PrincipalKind>(
  p: Principal | undefined,
  kind: K,
): Extract<Principal, { kind: K }> {
  if (p?.kind !== kind) throw new Forbidden(`This operation is available to ${kind} principals only.`);
  return p as Extract<Principal, { kind: K }>;
}
