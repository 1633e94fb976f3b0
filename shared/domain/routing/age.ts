/**
 * Ages on calendar dates, as German law counts them (§§ 187(2), 188(2) BGB): a
 * person is a year older from the start of their birthday. Someone born on
 * 29 February completes a year in a non-leap year at the end of 28 February
 * (§ 188(3) BGB), so is a year older from 1 March.
 *
 * Dates are calendar dates (YYYY-MM-DD) already taken in the deployment's time zone;
 * no clock and no time zone arithmetic is involved.
 */

interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD, refusing impossible dates such as 2023-02-29. */
export function parseCalendarDate(text: string): CalendarDate {
  const match = ISO_DATE.exec(text);
  if (match) {
    const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
    if (
      date.month >= 1 &&
      date.month <= 12 &&
      date.day >= 1 &&
      date.day <= daysInMonth(date.year, date.month)
    ) {
      return date;
    }
  }
  // The value may be a date of birth: never put it into the message.
  throw new RangeError('not a calendar date YYYY-MM-DD');
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Completed years of age on `date` for someone born on `dateOfBirth` (both
 * YYYY-MM-DD). Throws a RangeError if `date` is before `dateOfBirth`.
 */
export function ageOn(dateOfBirth: string, date: string): number {
  const birth = parseCalendarDate(dateOfBirth);
  const on = parseCalendarDate(date);
  // The birthday in the year of `date`; 29 February becomes 1 March in other years.
  const leapDayInCommonYear = birth.month === 2 && birth.day === 29 && !isLeapYear(on.year);
  const birthdayMonth = leapDayInCommonYear ? 3 : birth.month;
  const birthdayDay = leapDayInCommonYear ? 1 : birth.day;
  const beforeBirthday = on.month < birthdayMonth || (on.month === birthdayMonth && on.day < birthdayDay);
  const age = on.year - birth.year - (beforeBirthday ? 1 : 0);
  if (age < 0) throw new RangeError('date is before the date of birth');
  return age;
}
