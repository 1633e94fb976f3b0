import { describe, expect, it } from 'vitest';
import { problemType } from '#shared/http/problem.ts';
import { PROBLEM_TYPES } from '#shared/http/problem-types.ts';
import { ApiError } from '#web/common/api.ts';
import {
  berlinDayStart,
  formatDate,
  formatInstant,
  initialLanguage,
  parseGermanDate,
} from '#web/common/i18n.ts';
import { PROBLEM_TEXTS, problemText } from '#web/common/problems.ts';
import { SignInError } from '#web/common/session.ts';

describe("the pages' formats", () => {
  it('read dates typed as TT.MM.JJJJ, refuse days that do not exist', () => {
    expect(parseGermanDate('03.12.2026')).toBe('2026-12-03');
    expect(parseGermanDate('3.2.1981')).toBe('1981-02-03');
    expect(parseGermanDate(' 2026-12-03 ')).toBe('2026-12-03');
    expect(parseGermanDate('30.02.2026')).toBeUndefined();
    expect(parseGermanDate('29.02.2024')).toBe('2024-02-29');
    expect(parseGermanDate('12/03/2026')).toBeUndefined();
    expect(parseGermanDate('')).toBeUndefined();
  });

  it('show dates and instants in German time', () => {
    expect(formatDate('de', '2026-12-03')).toBe('03.12.2026');
    expect(formatDate('en', '2026-12-03')).toBe('3 December 2026');
    // 23:30 UTC on 31 December is 00:30 on New Year's Day in Berlin (winter time).
    expect(formatInstant('de', '2026-12-31T23:30:00.000Z')).toBe('01.01.2027, 00:30 Uhr');
    // Summer time: UTC+2.
    expect(formatInstant('de', '2026-07-01T10:00:00.000Z')).toBe('01.07.2026, 12:00 Uhr');
  });

  it('start a day at midnight German time, winter and summer', () => {
    expect(berlinDayStart('2026-12-03')).toBe('2026-12-02T23:00:00.000Z');
    expect(berlinDayStart('2026-07-01')).toBe('2026-06-30T22:00:00.000Z');
  });

  it('start in German unless the browser asks for English first', () => {
    expect(initialLanguage(['en-US', 'de'])).toBe('en');
    expect(initialLanguage(['fr-FR', 'de-DE'])).toBe('de');
    expect(initialLanguage(['fr-FR'])).toBe('de');
    expect(initialLanguage([])).toBe('de');
  });
});

describe('what a person reads when the API refuses', () => {
  it('has German and English words for every problem type of the API', () => {
    expect(Object.keys(PROBLEM_TEXTS).sort()).toEqual(Object.keys(PROBLEM_TYPES).sort());
    for (const [code, texts] of Object.entries(PROBLEM_TEXTS)) {
      expect(texts.de, code).toMatch(/\S/);
      expect(texts.en, code).toMatch(/\S/);
      expect(texts.de, code).not.toBe(texts.en);
    }
  });

  it('chooses by reason, then type, names fields by their label, and never shows the raw document', () => {
    const refusal = new ApiError(409, {
      type: 'https://referral-exchange.example/problems/conflict',
      reason: 'open-referral-exists',
      detail: 'raw detail with code open-referral-exists',
    });
    expect(problemText('de', refusal)).toBe(PROBLEM_TEXTS['open-referral-exists'].de);
    const invalid = new ApiError(400, {
      type: 'https://referral-exchange.example/problems/invalid-request',
      errors: [{ field: 'person.dateOfBirth', reason: 'Invalid date' }],
    });
    const text = problemText('de', invalid, (f) => (f === 'person.dateOfBirth' ? 'Geburtsdatum' : undefined));
    expect(text).toBe(`${PROBLEM_TEXTS['invalid-request'].de} (Geburtsdatum: bitte prüfen)`);
    expect(text).not.toContain('Invalid date');
    // The API's own types are tag URIs.
    const tagged = new ApiError(400, { type: problemType('invalid-request'), errors: [] });
    expect(tagged.code).toBe('invalid-request');
    expect(problemText('de', tagged)).toBe(PROBLEM_TEXTS['invalid-request'].de);
    expect(problemText('en', new ApiError(500, undefined))).toBe(PROBLEM_TEXTS['internal-error'].en);
    expect(problemText('de', new TypeError('Failed to fetch'))).toMatch(/Netzwerk/);
    expect(problemText('de', new SignInError('sign-in-failed'))).toMatch(/Anmeldung/);
  });
});
