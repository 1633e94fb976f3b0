export { ageOn, isLeapYear, parseCalendarDate } from './age.ts';
export {
  type Housing,
  HousingSchema,
  REFUGEE_RESIDENCE_STATUSES,
  RESIDENCE_STATUSES,
  type ResidenceStatus,
  ResidenceStatusSchema,
} from './person-facts.ts';
export { routeReferral } from './route.ts';
export * from './schema.ts';
