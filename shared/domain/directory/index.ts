export { ISO_639_1_CODES } from './languages.ts';
export {
  authorityById,
  compareIds,
  identityProvidersOf,
  type ListedPerson,
  municipalityByAgs,
  officeById,
  officesCovering,
  peopleOf,
  providerById,
  serviceTypesOf,
  unitNameOf,
} from './lookup.ts';
export { DirectoryInvalidError, type DirectoryIssue, parseDirectory } from './parse.ts';
export * from './schema.ts';
