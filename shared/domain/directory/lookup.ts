import type {
  Authority,
  Directory,
  IdentityProvider,
  Municipality,
  Person,
  Provider,
  ServiceOffice,
  ServiceType,
} from './schema.ts';
import { BUILT_IN_SERVICE_TYPES } from './schema.ts';

// Lookups scan the arrays: a district has tens of entries, a national directory
// about 1,500 offices, and a scan of that is microseconds.

export function officeById(directory: Directory, id: string): ServiceOffice | undefined {
  return directory.serviceOffices.find((office) => office.id === id);
}

export function authorityById(directory: Directory, id: string): Authority | undefined {
  return directory.authorities.find((authority) => authority.id === id);
}

/**
 * The name of the organisation unit a principal stands for (`authority:`, `service:`,
 * `dpo:`), as the directory gives it; undefined for the operator or an unknown unit.
 */
export function unitNameOf(
  directory: Directory,
  unit: { readonly kind: string; readonly id?: string; readonly scope?: string },
): string | undefined {
  switch (unit.kind) {
    case 'authority':
      return unit.id === undefined ? undefined : authorityById(directory, unit.id)?.name;
    case 'service':
      return unit.id === undefined ? undefined : officeById(directory, unit.id)?.name;
    case 'dpo':
      return directory.dataProtectionOfficers.find((d) => d.scope === unit.scope)?.name;
    default:
      return undefined;
  }
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

/** Code-unit order, independent of locale, so that every machine sorts alike. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every identity provider the directory's units name, once each, in directory order. */
export function identityProvidersOf(directory: Directory): IdentityProvider[] {
  const byName = new Map<string, IdentityProvider>();
  for (const unit of [
    ...directory.authorities,
    ...directory.serviceOffices,
    ...directory.dataProtectionOfficers,
  ])
    if (unit.identityProvider && !byName.has(unit.identityProvider.name))
      byName.set(unit.identityProvider.name, unit.identityProvider);
  return [...byName.values()];
}

/** A person the directory lists, the unit they act for and how they sign in. */
export interface ListedPerson extends Person {
  /** The principal of their unit: `authority:<id>`, `service:<id>` or `dpo:<scope>`. */
  readonly unit: string;
  /** Their unit's own identity provider; absent: an account of the deployment's user pool. */
  readonly identityProvider?: string;
}

/** Every person the directory lists, in directory order. */
export function peopleOf(directory: Directory): ListedPerson[] {
  const units = [
    ...directory.authorities.map((u) => ({ unit: `authority:${u.id}`, entry: u })),
    ...directory.serviceOffices.map((u) => ({ unit: `service:${u.id}`, entry: u })),
    ...directory.dataProtectionOfficers.map((u) => ({ unit: `dpo:${u.scope}`, entry: u })),
  ];
  return units.flatMap(({ unit, entry }) =>
    (entry.people ?? []).map((person) => ({
      ...person,
      unit,
      ...(entry.identityProvider ? { identityProvider: entry.identityProvider.name } : {}),
    })),
  );
}
