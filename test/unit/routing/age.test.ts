import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageOn, isLeapYear, parseCalendarDate } from '#shared/domain/routing/index.ts';

describe('ageOn', () => {
  it.each([
    // [date of birth, date, completed years]
    ['2014-11-15', '2026-11-14', 11],
    ['2014-11-15', '2026-11-15', 12],
    ['2014-11-15', '2026-11-16', 12],
    ['1999-11-15', '2026-11-14', 26],
    ['1999-11-15', '2026-11-15', 27],
    ['2000-01-01', '2000-01-01', 0],
    ['2000-12-31', '2001-12-30', 0],
    ['2000-12-31', '2001-12-31', 1],
    // Born on 29 February: in a leap year the birthday is 29 February ...
    ['2012-02-29', '2024-02-28', 11],
    ['2012-02-29', '2024-02-29', 12],
    // ... and in other years 1 March (§ 188(3) BGB: the year ends with 28 February).
    ['2000-02-29', '2027-02-28', 26],
    ['2000-02-29', '2027-03-01', 27],
    ['2008-02-29', '2021-02-28', 12],
    ['2008-02-29', '2021-03-01', 13],
    // 2100 is not a leap year (century rule).
    ['2096-02-29', '2100-02-28', 3],
    ['2096-02-29', '2100-03-01', 4],
    // Someone born on 1 March is unaffected.
    ['2000-03-01', '2027-02-28', 26],
    ['2000-03-01', '2027-03-01', 27],
  ])('born %s, on %s: %i', (dateOfBirth, date, age) => {
    expect(ageOn(dateOfBirth, date)).toBe(age);
  });

  it('refuses a date before the date of birth, without quoting either date', () => {
    expect(() => ageOn('2010-05-05', '2010-05-04')).toThrow(RangeError);
    expect(() => ageOn('2010-05-05', '2010-05-04')).not.toThrow(/2010/);
  });

  it.each(['2023-02-29', '2023-04-31', '2023-13-01', '23-01-01', '2023-1-1', ''])(
    'refuses %j as a date',
    (text) => {
      expect(() => parseCalendarDate(text)).toThrow(RangeError);
    },
  );

  it('knows the Gregorian leap years', () => {
    expect([1900, 2000, 2023, 2024, 2100].map(isLeapYear)).toEqual([false, true, false, true, false]);
  });

  const dayMs = 86_400_000;
  const isoDay = (day: number) => new Date(day * dayMs).toISOString().slice(0, 10);
  const days = fc.integer({ min: -25_000, max: 40_000 }); // 1901 … 2079

  it('never decreases as time passes and grows by at most one a day', () => {
    fc.assert(
      fc.property(days, fc.integer({ min: 0, max: 40_000 }), (birth, after) => {
        const today = ageOn(isoDay(birth), isoDay(birth + after));
        const tomorrow = ageOn(isoDay(birth), isoDay(birth + after + 1));
        expect(tomorrow - today).toBeGreaterThanOrEqual(0);
        expect(tomorrow - today).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('equals n on the n-th anniversary for anyone not born on 29 February', () => {
    fc.assert(
      fc.property(days, fc.integer({ min: 0, max: 100 }), (birth, years) => {
        const dob = isoDay(birth);
        fc.pre(!dob.endsWith('-02-29'));
        const anniversary = `${String(Number(dob.slice(0, 4)) + years).padStart(4, '0')}${dob.slice(4)}`;
        expect(ageOn(dob, anniversary)).toBe(years);
      }),
    );
  });
});
