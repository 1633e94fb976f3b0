/**
 * The public part of the deployment's directory, as the people's pages need it: the
 * municipalities by name, the authorities and the service offices with the places they
 * serve and their public contact. Never the directory's people, credentials or queues.
 */
import * as z from 'zod';
import { providerById, serviceTypesOf } from '#shared/domain/directory/lookup.ts';
import type { Directory } from '#shared/domain/directory/schema.ts';
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

export const DirectorySummary = z
  .strictObject({
    version: z.string().meta({ description: "The directory's version." }),
    deployment: z.strictObject({ id: z.string(), name: z.string() }),
    municipalities: z.array(DirectoryMunicipality),
    serviceTypes: z.array(z.strictObject({ code: z.string(), name: z.string() })),
    authorities: z.array(DirectoryAuthority),
    serviceOffices: z.array(DirectoryOffice),
  })
  .meta({
    id: 'DirectorySummary',
    description:
      "The directory's public part: municipalities, service types, authorities and service offices with their public contact. No people, credentials or queues.",
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
  };
}
