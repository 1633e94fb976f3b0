/**
 * Calendar dates for the consent rules. A date of birth is a calendar date without a
 * time zone; the age at signing is counted on the calendar date of signing in Germany
 * (Europe/Berlin), because that is the date on the signed form.
 */

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses a strict `YYYY-MM-DD`; undefined for anything else, including impossible dates. */
export function parseCalendarDate(text: string): CalendarDate | undefined {
  const m = CALENDAR_DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

export function isCalendarDate(text: string): boolean {
  return parseCalendarDate(text) !== undefined;
}

export function compareCalendarDates(a: CalendarDate, b: CalendarDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

const berlin = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date an instant falls on in Germany. */
export function berlinCalendarDate(instant: Date): CalendarDate {
  const parts = berlin.formatToParts(instant);
  const value = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: value('year'), month: value('month'), day: value('day') };
}

/**
 * Completed years of life on a date. On the birthday itself the new year counts as
 * completed (§ 187(2) BGB); someone born on 29 February completes a year on 1 March
 * in years without that day.
 */
export function completedYears(dateOfBirth: CalendarDate, on: CalendarDate): number {
  const beforeBirthday =
    on.month < dateOfBirth.month || (on.month === dateOfBirth.month && on.day < dateOfBirth.day);
  return on.year - dateOfBirth.year - (beforeBirthday ? 1 : 0);
}
