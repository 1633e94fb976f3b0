/**
 * The public part of the deployment's directory, as the people's pages need it: the
 * municipalities by name, the authorities, the providers, the service offices with the
 * places they serve and their public contact, and the routing rules (so that a page can
 * explain a routing decision in words). Never the directory's people, credentials or
 * queues.
 */
import * as z from 'zod';
import { providerById, serviceTypesOf } from '#shared/domain/directory/lookup.ts';
import { type Directory, RoutingConditionsSchema } from '#shared/domain/directory/schema.ts';
import { OfficeContact } from './referral.ts';

export const DirectoryMunicipality = z
  .strictObject({ ags: z.string(), name: z.string() })
  .meta({ id: 'DirectoryMunicipality' });

export const DirectoryAuthority = z
  .strictObject({ id: z.string(), name: z.string() })
  .meta({ id: 'DirectoryAuthority' });

export const DirectoryOffice = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    providerId: z.string(),
    providerName: z.string(),
    municipalities: z.array(z.string()).meta({ description: 'AGS keys of the places the office serves.' }),
    languages: z.array(z.string()).meta({ description: 'ISO 639-1 codes of the languages it counsels in.' }),
    contact: OfficeContact,
  })
  .meta({ id: 'DirectoryOffice' });

export const DirectoryRoutingRule = z
  .strictObject({
    id: z.string(),
    priority: z.int(),
    serviceType: z.string(),
    validFrom: z.string(),
    validUntil: z.string().optional(),
    when: RoutingConditionsSchema,
  })
  .meta({ id: 'DirectoryRoutingRule', description: 'A routing rule (docs/routing.md).' });

export const DirectorySummary = z
  .strictObject({
    version: z.string().meta({ description: "The directory's version." }),
    deployment: z.strictObject({ id: z.string(), name: z.string() }),
    municipalities: z.array(DirectoryMunicipality),
    serviceTypes: z.array(z.strictObject({ code: z.string(), name: z.string() })),
    authorities: z.array(DirectoryAuthority),
    providers: z.array(z.strictObject({ id: z.string(), name: z.string() })).meta({
      description: 'The providers (Träger) running the offices, e.g. for the person’s choice of provider.',
    }),
    serviceOffices: z.array(DirectoryOffice),
    routingRules: z.array(DirectoryRoutingRule),
  })
  .meta({
    id: 'DirectorySummary',
    description:
      "The directory's public part: municipalities, service types, authorities, providers, service offices with their public contact, and the routing rules. No people, credentials or queues.",
  });
export type DirectorySummary = z.infer<typeof DirectorySummary>;

/** The public part of a directory. */
export function directorySummary(directory: Directory): DirectorySummary {
  return {
    version: directory.version,
    deployment: { id: directory.deployment.id, name: directory.deployment.name },
    municipalities: directory.municipalities.map(({ ags, name }) => ({ ags, name })),
    serviceTypes: serviceTypesOf(directory).map(({ code, name }) => ({ code, name })),
    authorities: directory.authorities.map(({ id, name }) => ({ id, name })),
    providers: directory.providers.map(({ id, name }) => ({ id, name })),
    serviceOffices: directory.serviceOffices.map((office) => ({
      id: office.id,
      name: office.name,
      type: office.type,
      providerId: office.providerId,
      providerName: providerById(directory, office.providerId)?.name ?? office.providerId,
      municipalities: [...office.municipalities],
      languages: [...office.languages],
      contact: {
        email: office.contact.email,
        ...(office.contact.phone !== undefined ? { phone: office.contact.phone } : {}),
        ...(office.contact.address !== undefined ? { address: office.contact.address } : {}),
        ...(office.contact.openingHours !== undefined ? { openingHours: office.contact.openingHours } : {}),
      },
    })),
    routingRules: directory.routingRules.map((r) => ({
      id: r.id,
      priority: r.priority,
      serviceType: r.serviceType,
      validFrom: r.validFrom,
      ...(r.validUntil === undefined ? {} : { validUntil: r.validUntil }),
      when: { ...r.when },
    })),
  };
}
