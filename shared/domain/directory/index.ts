export { ISO_639_1_CODES } from './languages.ts';
export {
  authorityById,
  compareIds,
  municipalityByAgs,
  officeById,
  officesCovering,
  providerById,
  serviceTypesOf,
} from './lookup.ts';
export { DirectoryInvalidError, type DirectoryIssue, parseDirectory } from './parse.ts';
export * from './schema.ts';
