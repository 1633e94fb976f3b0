/**
 * Calendar dates for the consent rules. A date of birth is a calendar date without a
 * time zone; the age at signing is counted on the calendar date of signing in Germany
 * (Europe/Berlin), because that is the date on the signed form. Ages themselves are
 * counted as German law does, by the routing rules' `ageOn`.
 */
import { parseCalendarDate } from '#shared/domain/routing/age.ts';

/** Whether `text` is a strict `YYYY-MM-DD` date that exists (2023-02-29 does not). */
export function isCalendarDate(text: string): boolean {
  try {
    parseCalendarDate(text);
    return true;
  } catch {
    return false;
  }
}

const berlin = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date (`YYYY-MM-DD`) an instant falls on in Germany. */
export function berlinDateOf(instant: Date): string {
  const parts = berlin.formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
