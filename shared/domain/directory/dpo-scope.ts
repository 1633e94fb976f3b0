/**
 * What a data-protection officer's scope covers (docs/dpo-guide.md, "Scoped
 * data-protection officers"). A DPO entry's `scope` is one id of the directory's
 * shared namespace: the deployment id (everything), an authority id (what that
 * authority did and sent), a provider id (what its service offices received and
 * did) or a service office id (that office). Pure.
 */
import type { Directory } from './schema.ts';

export type DpoCoverage =
  | { readonly kind: 'deployment' }
  | { readonly kind: 'authority'; readonly authorityId: string }
  | { readonly kind: 'provider'; readonly providerId: string; readonly officeIds: readonly string[] }
  | { readonly kind: 'office'; readonly officeId: string; readonly officeIds: readonly string[] }
  /** A scope the directory no longer lists: covers nothing (fail closed). */
  | { readonly kind: 'none' };

/** The coverage of a DPO scope in a directory. */
export function dpoCoverage(directory: Directory, scope: string): DpoCoverage {
  if (scope === directory.deployment.id) return { kind: 'deployment' };
  if (directory.authorities.some((a) => a.id === scope)) return { kind: 'authority', authorityId: scope };
  if (directory.providers.some((p) => p.id === scope))
    return {
      kind: 'provider',
      providerId: scope,
      officeIds: directory.serviceOffices.filter((o) => o.providerId === scope).map((o) => o.id),
    };
  if (directory.serviceOffices.some((o) => o.id === scope))
    return { kind: 'office', officeId: scope, officeIds: [scope] };
  return { kind: 'none' };
}

/** The fields of an audit entry that place it in a scope. */
export interface ScopedFacts {
  readonly authorityId?: string | null;
  readonly serviceOfficeId?: string | null;
}

/**
 * Whether an audit entry (or a report line) is within the coverage: an authority
 * scope covers the entries naming that authority, a provider or office scope those
 * naming one of its offices; entries naming neither (checkpoints, exports, the DPO's
 * own reports) only the deployment scope.
 */
export function covers(coverage: DpoCoverage, facts: ScopedFacts): boolean {
  switch (coverage.kind) {
    case 'deployment':
      return true;
    case 'authority':
      return facts.authorityId === coverage.authorityId;
    case 'provider':
    case 'office':
      return !!facts.serviceOfficeId && coverage.officeIds.includes(facts.serviceOfficeId);
    case 'none':
      return false;
  }
}

/**
 * Whether a DPO of this coverage may compute a person's pseudonym (the subject
 * lookup). The deployment's DPO and an authority's DPO may: an authority records the
 * consent with the person in front of it, so its DPO answers the person's requests
 * there. A provider's or an office's DPO may not: the pseudonym keys the whole log,
 * and the lookup would let them test for any person's name; they answer a person
 * through the deployment's DPO, or from the referral ids their offices hold.
 */
export function mayLookUpSubject(coverage: DpoCoverage): boolean {
  return coverage.kind === 'deployment' || coverage.kind === 'authority';
}

/** A short label of the coverage for messages and the report (`authority abh-bruchsal`). */
export function coverageLabel(coverage: DpoCoverage): string {
  switch (coverage.kind) {
    case 'deployment':
      return 'deployment';
    case 'authority':
      return `authority ${coverage.authorityId}`;
    case 'provider':
      return `provider ${coverage.providerId}`;
    case 'office':
      return `service office ${coverage.officeId}`;
    case 'none':
      return 'none';
  }
}
