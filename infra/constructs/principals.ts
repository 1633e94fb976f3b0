import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rolesanywhere from 'aws-cdk-lib/aws-rolesanywhere';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import type { OrganisationAccess } from '#shared/domain/directory/index.ts';
import {
  formatPrincipal,
  OFFICE_SESSION_TAG,
  officesRoleName,
  type Principal,
  roleNameFor,
} from '#shared/identity/principal.ts';
import type { ApiMethod } from './api.ts';
import { type AuthorityQueues, OFFICE_QUEUE_TAGS, type OfficeQueues } from './queues.ts';

export interface PrincipalRolesProps {
  readonly stage: string;
  /** The directory entries that become principals, and the organisations' onboarding. */
  readonly directory: {
    readonly authorities: readonly { readonly id: string; readonly access?: OrganisationAccess }[];
    readonly providers: readonly { readonly id: string; readonly access?: OrganisationAccess }[];
    readonly serviceOffices: readonly { readonly id: string; readonly providerId: string }[];
    readonly dataProtectionOfficers: readonly { readonly scope: string }[];
  };
  /** The API's methods; each role may invoke those whose operation admits its principal kind. */
  readonly methods: readonly ApiMethod[];
  /** The office queues; an office's session may consume its own queue and dead-letter queue. */
  readonly queues: OfficeQueues;
  /** The authorities' event queues; an authority's role may consume its own and nothing else. */
  readonly authorityQueues: AuthorityQueues;
  /**
   * Who in this account may assume the roles of authorities, DPO scopes and the operator
   * (the organisation's identity set-up: SSO permission sets, workloads in this account).
   * The offices' role always trusts the account, under its session-tag conditions.
   * @default the account root (iam.AccountRootPrincipal): any identity of this account
   *   that an account administrator allows to call sts:AssumeRole on the role
   */
  readonly trustedPrincipal?: iam.IPrincipal;
}

/** A role and the principals whose programs act through it. */
export interface PrincipalRole {
  /** The principal (authorities, DPO scopes, the operator), or undefined for an offices' role. */
  readonly principal?: Principal;
  /** For an offices' role: the provider whose offices it serves, or undefined for the shared one. */
  readonly providerId?: string;
  readonly role: iam.Role;
}

/** The session tag a Roles Anywhere session carries for the certificate's subject CN. */
const CERTIFICATE_CN_TAG = 'x509Subject/CN';
const CERTIFICATE_O_TAG = 'x509Subject/O';
const ROLES_ANYWHERE = 'rolesanywhere.amazonaws.com';

/**
 * A role's trust policy as a list of statements: each way in (this account with the
 * office tag, Roles Anywhere for one organisation's CA, one organisation's account) is a
 * statement with its own principal and conditions, which CDK's `assumedBy` cannot express.
 */
class TrustStatements extends iam.PrincipalBase {
  constructor(private readonly statements: readonly iam.PolicyStatement[]) {
    super();
  }
  get policyFragment(): iam.PrincipalPolicyFragment {
    return new iam.PrincipalPolicyFragment({});
  }
  override addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(...this.statements);
  }
  override toString(): string {
    return 'TrustStatements';
  }
  override dedupeString(): string | undefined {
    return undefined;
  }
}

/** Construct id of a principal's role: stable, derived from the directory id. */
function roleId(p: Principal): string {
  return `Role-${formatPrincipal(p).replace(':', '-')}`;
}

/**
 * The roles programs act through, and the organisations' Roles Anywhere trust anchors
 * and profiles (docs/deploy.md, "Identity: who may do what"):
 *
 * - one role per authority, per data-protection officer scope and the operator, named
 *   `roleNameFor(stage, p)`, invoking only the methods its kind is admitted to (an
 *   authority also consuming its own event queues);
 * - **one role for every service office**, `rex-<stage>-offices`: a session acts for the
 *   office its tag `rex-office` names. The trust policy admits a session only with that
 *   tag equal to the caller's own principal tag and with the role session name equal to
 *   it, so the session's ARN — what the functions see — names the office; the policy
 *   gives queue access only where the queue's `rex-office` tag equals the session's. An
 *   office costs no IAM role;
 * - per provider onboarded from outside the account (`access` in the directory), an
 *   offices' role of its own, `rex-<stage>-offices-<provider>`, trusted by Roles
 *   Anywhere for the provider's CA (certificate subject O and CN checked, CN = office
 *   id) and/or by the provider's AWS account (tag limited to its offices), and limited
 *   to queues tagged with that provider.
 */
export class PrincipalRoles extends Construct {
  readonly #roles: PrincipalRole[] = [];
  /** The Roles Anywhere trust anchor of each organisation (authority or provider id) with a CA. */
  readonly trustAnchors = new Map<string, rolesanywhere.CfnTrustAnchor>();
  readonly #props: PrincipalRolesProps;

  constructor(scope: Construct, id: string, props: PrincipalRolesProps) {
    super(scope, id);
    this.#props = props;
    const trusted = props.trustedPrincipal ?? new iam.AccountRootPrincipal();

    for (const a of props.directory.authorities) {
      const principal: Principal = { kind: 'authority', id: a.id };
      const extra = this.#organisationTrust(a.id, a.access, [a.id], false);
      const role = this.#role(roleId(principal), roleNameFor(props.stage, principal), principal, {
        trust: extra.length > 0 ? [this.#plainTrust(trusted), ...extra] : undefined,
        trusted,
        statements: props.authorityQueues.consumeStatements(a.id),
      });
      this.#roles.push({ principal, role });
      this.#profile(a.id, role);
    }
    const dpoScopes = [...new Set(props.directory.dataProtectionOfficers.map((d) => d.scope))];
    for (const scope of dpoScopes) {
      const principal: Principal = { kind: 'dpo', scope };
      const role = this.#role(roleId(principal), roleNameFor(props.stage, principal), principal, { trusted });
      this.#roles.push({ principal, role });
    }
    const operator: Principal = { kind: 'operator' };
    this.#roles.push({
      principal: operator,
      role: this.#role(roleId(operator), roleNameFor(props.stage, operator), operator, { trusted }),
    });

    if (props.directory.serviceOffices.length > 0) {
      const role = this.#role(
        'OfficesRole',
        officesRoleName(props.stage),
        { kind: 'service', id: '*' },
        {
          trust: [this.#sameAccountOfficeTrust()],
          statements: this.#officeQueueStatements([OFFICE_SESSION_TAG]),
          description: `referral-exchange ${props.stage}: every service office, by its session tag ${OFFICE_SESSION_TAG}`,
        },
      );
      this.#acknowledgeStageQueues(role);
      this.#roles.push({ role });
    }
    for (const provider of props.directory.providers) {
      const offices = props.directory.serviceOffices.filter((o) => o.providerId === provider.id);
      if (!provider.access || offices.length === 0) continue;
      const trust = this.#organisationTrust(
        provider.id,
        provider.access,
        offices.map((o) => o.id),
        true,
      );
      if (trust.length === 0) continue;
      const role = this.#role(
        `OfficesRole-${provider.id}`,
        officesRoleName(props.stage, provider.id),
        { kind: 'service', id: '*' },
        {
          trust,
          statements: this.#officeQueueStatements(
            provider.access.rolesAnywhere ? [OFFICE_SESSION_TAG, CERTIFICATE_CN_TAG] : [OFFICE_SESSION_TAG],
            provider.id,
          ),
          description: `referral-exchange ${props.stage}: the service offices of ${provider.id}, from outside the account`,
        },
      );
      this.#acknowledgeStageQueues(role);
      this.#roles.push({ providerId: provider.id, role });
      this.#profile(provider.id, role);
    }
  }

  /** Every role: authorities, DPO scopes, the operator, then the offices' roles. */
  all(): readonly PrincipalRole[] {
    return this.#roles;
  }

  /** The role a principal's program acts through (a service office: the shared offices' role). */
  roleFor(principal: Principal): iam.Role {
    if (principal.kind === 'service') {
      const found = this.#roles.find((r) => !r.principal && !r.providerId);
      if (!found) throw new Error('No offices role: the directory lists no service office.');
      return found.role;
    }
    const text = formatPrincipal(principal);
    const found = this.#roles.find((r) => r.principal && formatPrincipal(r.principal) === text);
    if (!found) throw new Error(`No role for principal ${text}.`);
    return found.role;
  }

  /** The offices' role of a provider onboarded from outside the account, if it has one. */
  officesRoleOf(providerId: string): iam.Role | undefined {
    return this.#roles.find((r) => r.providerId === providerId)?.role;
  }

  #role(
    id: string,
    roleName: string,
    principal: Principal,
    options: {
      readonly trust?: readonly iam.PolicyStatement[] | undefined;
      readonly trusted?: iam.IPrincipal;
      readonly statements?: readonly iam.PolicyStatement[];
      readonly description?: string;
    },
  ): iam.Role {
    // Every permission inline in the role itself: a role costs one resource
    // (AWS::IAM::Role), not a role and a policy (docs/deploy.md, "Scale plan").
    const statements: iam.PolicyStatement[] = [];
    const wildcardOperations: { arn: string; operationId: string }[] = [];
    for (const { operation, method } of this.#props.methods) {
      if (operation.auth === 'public' || !operation.auth.includes(principal.kind)) continue;
      statements.push(
        new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [method.methodArn] }),
      );
      wildcardOperations.push({ arn: method.methodArn, operationId: operation.operationId });
    }
    statements.push(...(options.statements ?? []));
    const role = new iam.Role(this, id, {
      roleName,
      assumedBy: options.trust
        ? new TrustStatements(options.trust)
        : (options.trusted ?? new iam.AccountRootPrincipal()),
      description:
        options.description ?? `referral-exchange ${this.#props.stage}: ${formatPrincipal(principal)}`,
      ...(statements.length > 0
        ? { inlinePolicies: { Access: new iam.PolicyDocument({ statements }) } }
        : {}),
    });
    for (const { arn, operationId } of wildcardOperations)
      this.#acknowledgePathParameters(role, arn, operationId);
    return role;
  }

  /** sts:AssumeRole for the trusted principal of this account, as a role without other ways in has it. */
  #plainTrust(trusted: iam.IPrincipal): iam.PolicyStatement {
    return new iam.PolicyStatement({ principals: [trusted], actions: ['sts:AssumeRole'] });
  }

  /**
   * This account's way into the offices' role: the caller (an office's workload role or
   * SSO permission set, tagged `rex-office=<office id>` by the account's administrator)
   * must pass that very tag as the session's only tag and name the session after it.
   */
  #sameAccountOfficeTrust(): iam.PolicyStatement {
    const own = `\${aws:PrincipalTag/${OFFICE_SESSION_TAG}}`;
    return new iam.PolicyStatement({
      sid: 'ThisAccountByOfficeTag',
      principals: [new iam.AccountRootPrincipal()],
      actions: ['sts:AssumeRole', 'sts:TagSession'],
      conditions: {
        StringEquals: { [`aws:RequestTag/${OFFICE_SESSION_TAG}`]: own, 'sts:RoleSessionName': own },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [OFFICE_SESSION_TAG] },
      },
    });
  }

  /**
   * The ways in of an organisation from outside the account, as its directory entry's
   * `access` configures them:
   *
   * - Roles Anywhere: only through the organisation's own trust anchor (`aws:SourceArn`),
   *   only with a certificate whose subject O is the configured one and whose CN is one of
   *   the organisation's units — so no organisation takes another's identity, even when
   *   both use the same CA. For offices the session must be named after the CN.
   * - its AWS account: `sts:AssumeRole` (offices: with the office tag, limited to its
   *   offices, and the session named after it, as in this account).
   */
  #organisationTrust(
    organisationId: string,
    access: OrganisationAccess | undefined,
    unitIds: readonly string[],
    offices: boolean,
  ): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    const sidOf = (what: string) => `${what}${organisationId.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 100);
    if (access?.rolesAnywhere) {
      const anchor = new rolesanywhere.CfnTrustAnchor(this, `TrustAnchor-${organisationId}`, {
        name: `rex-${this.#props.stage}-${organisationId}`.slice(0, 255),
        enabled: true,
        source: {
          sourceType: 'CERTIFICATE_BUNDLE',
          sourceData: { x509CertificateData: access.rolesAnywhere.certificateAuthority.trim() },
        },
      });
      this.trustAnchors.set(organisationId, anchor);
      statements.push(
        new iam.PolicyStatement({
          sid: sidOf('RolesAnywhere'),
          principals: [new iam.ServicePrincipal(ROLES_ANYWHERE)],
          actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          conditions: {
            ArnEquals: { 'aws:SourceArn': anchor.attrTrustAnchorArn },
            StringEquals: {
              [`aws:PrincipalTag/${CERTIFICATE_O_TAG}`]: access.rolesAnywhere.subjectOrganization,
              [`aws:PrincipalTag/${CERTIFICATE_CN_TAG}`]: [...unitIds],
              ...(offices ? { 'sts:RoleSessionName': `\${aws:PrincipalTag/${CERTIFICATE_CN_TAG}}` } : {}),
            },
          },
        }),
      );
    }
    if (access?.awsAccountId) {
      const own = `\${aws:PrincipalTag/${OFFICE_SESSION_TAG}}`;
      statements.push(
        new iam.PolicyStatement({
          sid: sidOf('Account'),
          principals: [new iam.AccountPrincipal(access.awsAccountId)],
          actions: offices ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'],
          ...(offices
            ? {
                conditions: {
                  // The calling role's own tag is one of the provider's offices, and the
                  // session carries that very tag and is named after it.
                  StringEquals: {
                    [`aws:PrincipalTag/${OFFICE_SESSION_TAG}`]: [...unitIds],
                    [`aws:RequestTag/${OFFICE_SESSION_TAG}`]: own,
                    'sts:RoleSessionName': own,
                  },
                  'ForAllValues:StringEquals': { 'aws:TagKeys': [OFFICE_SESSION_TAG] },
                  // No certificate tag may ride in from a session of the other account:
                  // this role grants queue access by it for its Roles Anywhere sessions.
                  Null: { [`aws:PrincipalTag/${CERTIFICATE_CN_TAG}`]: 'true' },
                },
              }
            : {}),
        }),
      );
    }
    return statements;
  }

  /** The Roles Anywhere profile of an organisation with a trust anchor: its one role, session names as the caller gives them. */
  #profile(organisationId: string, role: iam.Role): void {
    if (!this.trustAnchors.has(organisationId)) return;
    const profile = new rolesanywhere.CfnProfile(this, `Profile-${organisationId}`, {
      name: `rex-${this.#props.stage}-${organisationId}`.slice(0, 255),
      enabled: true,
      roleArns: [role.roleArn],
      // The office's client names its session after its office (the trust policy checks it).
      acceptRoleSessionName: true,
      durationSeconds: 3600,
    });
    this.#profiles.set(organisationId, profile);
  }

  readonly #profiles = new Map<string, rolesanywhere.CfnProfile>();

  /** The ARN of an organisation's Roles Anywhere profile. */
  profileArn(organisationId: string): string {
    const profile = this.#profiles.get(organisationId);
    if (!profile) throw new Error(`No Roles Anywhere profile for ${organisationId}.`);
    return profile.attrProfileArn;
  }

  /**
   * What an office's session may do on the office queues, by attribute: receive,
   * delete, change visibility and read attributes on the queues whose `rex-office` tag
   * equals the session's tag (each of `tagKeys`: the office tag, or a Roles Anywhere
   * session's certificate CN), and send only to such a queue that is an inbox (a redrive by hand
   * from the dead-letter queue). `providerId` limits a provider's role to its queues.
   * The key's use is bound to SQS and to the stage's queues; SQS decrypts only for a
   * receive it authorised on the queue, which the tag condition limits to the office's own.
   */
  #officeQueueStatements(tagKeys: readonly string[], providerId?: string): iam.PolicyStatement[] {
    return [
      ...tagKeys.flatMap((tagKey) => this.#officeQueueStatementsBy(tagKey, providerId)),
      this.#props.queues.officeKeyStatement(),
    ];
  }

  #officeQueueStatementsBy(tagKey: string, providerId: string | undefined): iam.PolicyStatement[] {
    const stageQueues = this.#stageQueues();
    const own = {
      [`aws:ResourceTag/${OFFICE_QUEUE_TAGS.stage}`]: this.#props.stage,
      [`aws:ResourceTag/${OFFICE_QUEUE_TAGS.office}`]: `\${aws:PrincipalTag/${tagKey}}`,
      ...(providerId ? { [`aws:ResourceTag/${OFFICE_QUEUE_TAGS.provider}`]: providerId } : {}),
    };
    return [
      new iam.PolicyStatement({
        actions: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        resources: [stageQueues],
        conditions: { StringEquals: own },
      }),
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [stageQueues],
        conditions: { StringEquals: { ...own, [`aws:ResourceTag/${OFFICE_QUEUE_TAGS.role}`]: 'inbox' } },
      }),
    ];
  }

  /** The ARN pattern of the stage's office queues, which an offices' role narrows by tag. */
  #stageQueues(): string {
    return Stack.of(this).formatArn({ service: 'sqs', resource: `rex-${this.#props.stage}-*` });
  }

  #acknowledgeStageQueues(role: iam.Role): void {
    const flat = flattenCfnReference(Stack.of(this).resolve(this.#stageQueues()));
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flat}]`,
      reason:
        "The stage's office queues, narrowed by condition to the queues whose rex-office tag equals the session's own (attribute-based: one role for all offices).",
    });
  }

  /**
   * A method ARN for a path with parameters (`/v1/referrals/{id}`) ends in `*` where
   * the parameter goes: that wildcard is the operation itself, not a broad grant.
   */
  #acknowledgePathParameters(role: iam.Role, methodArn: string, operationId: string): void {
    const flat = flattenCfnReference(Stack.of(this).resolve(methodArn));
    if (!flat.includes('*')) return;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flat}]`,
      reason: `${operationId}: the wildcard stands for the path parameter of this one operation.`,
    });
  }
}
