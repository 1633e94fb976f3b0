import type { Directory } from '#shared/domain/directory/index.ts';
import type { PrincipalKind } from '#shared/identity/principal.ts';

/** IAM roles of an organisation's own AWS account, by the kind of unit they act for. */
export interface ExternalCallers {
  readonly kind: PrincipalKind;
  readonly arns: readonly string[];
}

/**
 * The organisations' own IAM roles that reach the deployment directly from their
 * account (docs/deploy.md, "Onboarding from outside the account"): the `iamPrincipals`
 * of an authority, or of an office whose provider, lists `access.awsAccountId` — those
 * in that account only (the directory refuses others). Each needs the resource policies
 * that let another account in: the API's (to call the methods of its kind), its queues'
 * and the key's (to receive and decrypt its own messages).
 */
export function externalConsumersOf(directory: Directory): {
  readonly authorities: ReadonlyMap<string, readonly string[]>;
  readonly offices: ReadonlyMap<string, readonly string[]>;
  readonly callers: readonly ExternalCallers[];
} {
  const accounts = new Map<string, string>();
  for (const org of [...directory.authorities, ...directory.providers]) {
    if (org.access?.awsAccountId) accounts.set(org.id, org.access.awsAccountId);
  }
  const inAccount = (arns: readonly string[] | undefined, account: string | undefined) =>
    account ? (arns ?? []).filter((arn) => arn.split(':')[4] === account) : [];
  const authorities = new Map<string, readonly string[]>();
  for (const a of directory.authorities) {
    const arns = inAccount(a.iamPrincipals, accounts.get(a.id));
    if (arns.length > 0) authorities.set(a.id, arns);
  }
  const offices = new Map<string, readonly string[]>();
  for (const o of directory.serviceOffices) {
    const arns = inAccount(o.iamPrincipals, accounts.get(o.providerId));
    if (arns.length > 0) offices.set(o.id, arns);
  }
  const callers: ExternalCallers[] = [];
  if (authorities.size > 0) callers.push({ kind: 'authority', arns: [...authorities.values()].flat() });
  if (offices.size > 0) callers.push({ kind: 'service', arns: [...offices.values()].flat() });
  return { authorities, offices, callers };
}
