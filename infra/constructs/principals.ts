import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { formatPrincipal, type Principal, roleNameFor } from '#shared/identity/principal.ts';
import type { ApiMethod } from './api.ts';
import type { AuthorityQueues, OfficeQueues } from './queues.ts';

export interface PrincipalRolesProps {
  readonly stage: string;
  /** The directory entries that become principals. */
  readonly directory: {
    readonly authorities: readonly { readonly id: string }[];
    readonly serviceOffices: readonly { readonly id: string }[];
    readonly dataProtectionOfficers: readonly { readonly scope: string }[];
  };
  /** The API's methods; each role may invoke those whose operation admits its principal kind. */
  readonly methods: readonly ApiMethod[];
  /** The office queues; a service office's role may consume its own queue and dead-letter queue. */
  readonly queues: OfficeQueues;
  /** The authorities' event queues; an authority's role may consume its own and nothing else. */
  readonly authorityQueues: AuthorityQueues;
  /**
   * Who may assume the roles (the organisation's identity set-up: SSO permission
   * sets, an identity provider, workloads in this account).
   * @default the account root (iam.AccountRootPrincipal): any identity of this account
   *   that an account administrator allows to call sts:AssumeRole on the role
   */
  readonly trustedPrincipal?: iam.IPrincipal;
}

/** A principal's role. */
export interface PrincipalRole {
  readonly principal: Principal;
  readonly role: iam.Role;
}

/** Construct id of a principal's role: stable, derived from the directory id. */
function roleId(p: Principal): string {
  return `Role-${formatPrincipal(p).replace(':', '-')}`;
}

/**
 * One IAM role per principal of the directory (each authority, service office and
 * data-protection officer scope) plus the operator, named `roleNameFor(stage, p)` —
 * the name by which the functions map a SigV4 caller back to its principal. A role
 * may invoke only the API methods its principal kind is admitted to; a service
 * office's role may in addition consume its own queue and dead-letter queue, an
 * authority's role its own event queue and dead-letter queue, and nothing else.
 */
export class PrincipalRoles extends Construct {
  readonly #roles: PrincipalRole[] = [];

  constructor(scope: Construct, id: string, props: PrincipalRolesProps) {
    super(scope, id);
    const trusted = props.trustedPrincipal ?? new iam.AccountRootPrincipal();
    const principals: Principal[] = [
      ...props.directory.authorities.map((a): Principal => ({ kind: 'authority', id: a.id })),
      ...props.directory.serviceOffices.map((s): Principal => ({ kind: 'service', id: s.id })),
      ...[...new Set(props.directory.dataProtectionOfficers.map((d) => d.scope))].map(
        (scope): Principal => ({ kind: 'dpo', scope }),
      ),
      { kind: 'operator' },
    ];

    for (const principal of principals) {
      // Every permission inline in the role itself: a principal costs one resource
      // (AWS::IAM::Role), not a role and a policy (docs/deploy.md, "Scale plan").
      const statements: iam.PolicyStatement[] = [];
      const wildcardOperations: { arn: string; operationId: string }[] = [];
      for (const { operation, method } of props.methods) {
        if (operation.auth === 'public' || !operation.auth.includes(principal.kind)) continue;
        statements.push(
          new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [method.methodArn] }),
        );
        wildcardOperations.push({ arn: method.methodArn, operationId: operation.operationId });
      }
      if (principal.kind === 'service') statements.push(...props.queues.consumeStatements(principal.id));
      if (principal.kind === 'authority')
        statements.push(...props.authorityQueues.consumeStatements(principal.id));
      const role = new iam.Role(this, roleId(principal), {
        roleName: roleNameFor(props.stage, principal),
        assumedBy: trusted,
        description: `referral-exchange ${props.stage}: ${formatPrincipal(principal)}`,
        ...(statements.length > 0
          ? { inlinePolicies: { Access: new iam.PolicyDocument({ statements }) } }
          : {}),
      });
      for (const { arn, operationId } of wildcardOperations)
        this.#acknowledgePathParameters(role, arn, operationId);
      this.#roles.push({ principal, role });
    }
  }

  /** Every principal with its role, in directory order (operator last). */
  all(): readonly PrincipalRole[] {
    return this.#roles;
  }

  /** The role of a principal. */
  roleFor(principal: Principal): iam.Role {
    const text = formatPrincipal(principal);
    const found = this.#roles.find((r) => formatPrincipal(r.principal) === text);
    if (!found) throw new Error(`No role for principal ${text}.`);
    return found.role;
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
