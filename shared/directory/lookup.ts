import type { Authority, Directory, Municipality, Provider, ServiceOffice, ServiceType } from './schema.ts';
import { BUILT_IN_SERVICE_TYPES } from './schema.ts';

// Lookups scan the arrays: a district has tens of entries, a national directory
// about 1,500 offices, and a scan of that is microseconds.

export function officeById(directory: Directory, id: string): ServiceOffice | undefined {
  return directory.serviceOffices.find((office) => office.id === id);
}

export function authorityById(directory: Directory, id: string): Authority | undefined {
  return directory.authorities.find((authority) => authority.id === id);
}

export function providerById(directory: Directory, id: string): Provider | undefined {
  return directory.providers.find((provider) => provider.id === id);
}

export function municipalityByAgs(directory: Directory, ags: string): Municipality | undefined {
  return directory.municipalities.find((municipality) => municipality.ags === ags);
}

/** Built-in service types (MBE, JMD, IM) and the directory's own, built-in ones first. */
export function serviceTypesOf(directory: Directory): readonly ServiceType[] {
  const listed = directory.serviceTypes ?? [];
  const builtIn = BUILT_IN_SERVICE_TYPES.map((t) => listed.find((l) => l.code === t.code) ?? { ...t });
  return [...builtIn, ...listed.filter((l) => !BUILT_IN_SERVICE_TYPES.some((t) => t.code === l.code))];
}

/** Offices covering a municipality, optionally of one service type, in office id order. */
export function officesCovering(directory: Directory, ags: string, serviceType?: string): ServiceOffice[] {
  return directory.serviceOffices
    .filter((office) => office.municipalities.includes(ags))
    .filter((office) => serviceType === undefined || office.type === serviceType)
    .sort((a, b) => compareIds(a.id, b.id));
}

/** Who an AWS principal is in the directory. */
export type DirectoryPrincipal =
  | { readonly kind: 'authority'; readonly id: string }
  | { readonly kind: 'service-office'; readonly id: string }
  | { readonly kind: 'data-protection-officer'; readonly scope: string };

/**
 * Maps a caller's ARN to a directory entry. Accepts the ARN as configured (IAM role
 * or user) or as a SigV4 caller appears (an STS assumed-role ARN, whose role path is
 * not visible, so roles are matched by account and role name).
 */
export function findPrincipal(directory: Directory, arn: string): DirectoryPrincipal | undefined {
  const wanted = principalKey(arn);
  if (wanted === undefined) return undefined;
  const matches = (principals: readonly string[] | undefined) =>
    (principals ?? []).some((configured) => principalKey(configured) === wanted);
  const authority = directory.authorities.find((a) => matches(a.iamPrincipals));
  if (authority) return { kind: 'authority', id: authority.id };
  const office = directory.serviceOffices.find((o) => matches(o.iamPrincipals));
  if (office) return { kind: 'service-office', id: office.id };
  const officer = directory.dataProtectionOfficers.find((d) => matches(d.iamPrincipals));
  if (officer) return { kind: 'data-protection-officer', scope: officer.scope };
  return undefined;
}

/** "account/role/name" or "account/user/path/name"; undefined for anything else. */
function principalKey(arn: string): string | undefined {
  const role = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (role) return `${role[1]}/role/${role[2]}`;
  const assumed = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(arn);
  if (assumed) return `${assumed[1]}/role/${assumed[2]}`;
  const user = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(.+)$/.exec(arn);
  if (user) return `${user[1]}/user/${user[2]}`;
  return undefined;
}

/** Code-unit order, independent of locale, so that every machine sorts alike. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
