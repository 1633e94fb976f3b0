export { ISO_639_1_CODES } from './languages.ts';
export { DirectoryInvalidError, type DirectoryIssue, loadDirectory, parseDirectory } from './load.ts';
export {
  authorityById,
  compareIds,
  municipalityByAgs,
  officeById,
  officesCovering,
  providerById,
  serviceTypesOf,
} from './lookup.ts';
export * from './schema.ts';
