import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '#shared/domain/errors.ts';
import {
  normaliseAzrNumber,
  normaliseName,
  SUBJECT_ID_PATTERN,
  subjectIdFor,
  subjectIdFromAzr,
  subjectIdFromIdentity,
} from '#shared/domain/pseudonym.ts';
import { OTHER_SECRET, SECRET, thrown } from './fixtures.ts';

const anna = {
  familyName: 'Müller',
  givenNames: 'Anna Maria',
  dateOfBirth: '1990-05-17',
  nationality: 'SYR',
};

describe('normaliseName', () => {
  it.each([
    ['Müller', 'mueller'],
    ['MÜLLER', 'mueller'],
    ['Mueller', 'mueller'],
    ['Mu\u0308ller', 'mueller'], // decomposed ü
    ['Straße', 'strasse'],
    ['STRASSE', 'strasse'],
    ['GROẞ', 'gross'], // capital sharp s
    ['Göktürk', 'goektuerk'],
    ['José', 'jose'],
    ['Nguyễn', 'nguyen'],
    ['Çelik', 'celik'],
    ['Łukasz', 'lukasz'],
    ['Øster', 'oester'],
    ['İbrahim', 'ibrahim'],
    ['Ａｈｍｅｄ', 'ahmed'], // full-width letters
    ['  Anna   Maria  ', 'anna maria'],
    ['Anna\tMaria', 'anna maria'],
    ['Jean-Luc', 'jean luc'],
    ['Jean - Luc', 'jean luc'],
    ['Jean–Luc', 'jean luc'], // en dash
    ["O'Brien", 'o brien'],
    ['O’Brien', 'o brien'],
    ['Anna\u00adMaria', 'annamaria'], // soft hyphen is invisible, not a separator
    ['Anna\u200bMaria', 'annamaria'],
    ['a\u001fb', 'ab'],
    ['محمد', 'محمد'],
    ['---', ''],
    ['  MÜLLER-Lüdenscheidt ', 'mueller luedenscheidt'],
    ['müller – lüdenscheidt', 'mueller luedenscheidt'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseName(input)).toBe(expected);
  });

  it('keeps the order of given names', () => {
    expect(normaliseName('Anna Maria')).not.toBe(normaliseName('Maria Anna'));
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        expect(normaliseName(normaliseName(s))).toBe(normaliseName(s));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(normaliseName(normaliseName(s))).toBe(normaliseName(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves the field separator, upper case, combining marks or separator runs', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const n = normaliseName(s);
        expect(n).not.toContain('\u001f');
        expect(n).not.toMatch(/\p{M}/u);
        expect(n).not.toMatch(/ {2}|^ | $/);
        expect(n).toBe(n.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normaliseAzrNumber', () => {
  it.each([
    ['123456789012', '123456789012'],
    ['1234 5678 9012', '123456789012'],
    [' 123 456 789 012 ', '123456789012'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseAzrNumber(input)).toBe(expected);
  });

  it.each(['12345678901', '1234567890123', '12345678901a', '1234-5678-9012', ''])('refuses %j', (input) => {
    expect(normaliseAzrNumber(input)).toBeUndefined();
  });
});

describe('subject id', () => {
  it('is sub_ and 64 lowercase hex digits', () => {
    expect(subjectIdFromAzr('123456789012', SECRET)).toMatch(SUBJECT_ID_PATTERN);
    expect(subjectIdFromIdentity(anna, SECRET)).toMatch(SUBJECT_ID_PATTERN);
  });

  it('does not depend on the spacing of the AZR number', () => {
    expect(subjectIdFromAzr('1234 5678 9012', SECRET)).toBe(subjectIdFromAzr('123456789012', SECRET));
  });

  it('differs between AZR numbers', () => {
    expect(subjectIdFromAzr('123456789012', SECRET)).not.toBe(subjectIdFromAzr('123456789013', SECRET));
  });

  it('is the same for spelling variants of the name', () => {
    const base = subjectIdFromIdentity(anna, SECRET);
    expect(subjectIdFromIdentity({ ...anna, familyName: 'MUELLER' }, SECRET)).toBe(base);
    expect(subjectIdFromIdentity({ ...anna, familyName: ' müller ' }, SECRET)).toBe(base);
    expect(subjectIdFromIdentity({ ...anna, givenNames: 'ANNA  MARIA' }, SECRET)).toBe(base);
    expect(subjectIdFromIdentity({ ...anna, givenNames: 'Anna-Maria' }, SECRET)).toBe(base);
    expect(subjectIdFromIdentity({ ...anna, nationality: 'syr' }, SECRET)).toBe(base);
  });

  it('differs when any identity fact differs', () => {
    const base = subjectIdFromIdentity(anna, SECRET);
    expect(subjectIdFromIdentity({ ...anna, familyName: 'Muller' }, SECRET)).not.toBe(base);
    expect(subjectIdFromIdentity({ ...anna, givenNames: 'Maria Anna' }, SECRET)).not.toBe(base);
    expect(subjectIdFromIdentity({ ...anna, dateOfBirth: '1990-05-18' }, SECRET)).not.toBe(base);
    expect(subjectIdFromIdentity({ ...anna, nationality: 'IRQ' }, SECRET)).not.toBe(base);
  });

  it('keeps family name and given names apart', () => {
    const a = subjectIdFromIdentity({ ...anna, familyName: 'Anna', givenNames: 'Maria Müller' }, SECRET);
    const b = subjectIdFromIdentity({ ...anna, familyName: 'Anna Maria', givenNames: 'Müller' }, SECRET);
    expect(a).not.toBe(b);
  });

  it('is the same for case and diacritic variants (property)', () => {
    const names = fc.constantFrom('Müller', 'Straße', 'José', 'Nguyễn', 'Öztürk', 'Zoë', 'Ångström');
    fc.assert(
      fc.property(names, fc.boolean(), (name, upper) => {
        const variant = (upper ? name.toUpperCase() : name.toLowerCase()).normalize('NFD');
        expect(subjectIdFromIdentity({ ...anna, familyName: variant }, SECRET)).toBe(
          subjectIdFromIdentity({ ...anna, familyName: name }, SECRET),
        );
      }),
    );
  });

  it('depends on the secret', () => {
    expect(subjectIdFromAzr('123456789012', SECRET)).not.toBe(subjectIdFromAzr('123456789012', OTHER_SECRET));
    expect(subjectIdFromIdentity(anna, SECRET)).not.toBe(subjectIdFromIdentity(anna, OTHER_SECRET));
  });

  it('is a fixed value for fixed input (the derivation is stable)', () => {
    expect(subjectIdFromAzr('123456789012', SECRET)).toBe(
      subjectIdFromAzr('123456789012', Buffer.alloc(32, 7)),
    );
    // Pinned: a change to the normalisation or message format changes every stored id.
    expect(subjectIdFromAzr('123456789012', SECRET)).toMatchInlineSnapshot(
      `"sub_d10876727ba54da29a1be5372420ac72b3523eac33e45eb7f3ef48e0633e9262"`,
    );
    expect(subjectIdFromIdentity(anna, SECRET)).toMatchInlineSnapshot(
      `"sub_53ae2cde55c03e4878606c5235200211ee565de453faf19ac1898d7436a22cae"`,
    );
  });

  it('separates the AZR path from the identity path', () => {
    const viaAzr = subjectIdFor({ azrNumber: '123456789012', ...anna }, SECRET);
    expect(viaAzr).toBe(subjectIdFromAzr('123456789012', SECRET));
    expect(viaAzr).not.toBe(subjectIdFor(anna, SECRET));
    expect(subjectIdFor(anna, SECRET)).toBe(subjectIdFromIdentity(anna, SECRET));
  });

  it('refuses a short secret', () => {
    expect(() => subjectIdFromAzr('123456789012', Buffer.alloc(31))).toThrow(TypeError);
  });

  it('names the fields it cannot use, never their values', () => {
    const error = thrown(() =>
      subjectIdFromIdentity(
        { familyName: ' - ', givenNames: '', dateOfBirth: '2023-02-30', nationality: 'XYZ' },
        SECRET,
      ),
    );
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).issues.map((i) => i.field)).toEqual([
      'familyName',
      'dateOfBirth',
      'nationality',
    ]);
    expect(JSON.stringify((error as InvalidRequest).issues)).not.toMatch(/2023-02-30|XYZ/);
  });

  it('reports a malformed AZR number', () => {
    const error = thrown(() => subjectIdFromAzr('12345', SECRET));
    expect((error as InvalidRequest).issues).toEqual([{ field: 'azrNumber', reason: expect.any(String) }]);
  });

  it('requires the identity facts when there is no AZR number', () => {
    const error = thrown(() => subjectIdFor({ dateOfBirth: '1990-05-17' }, SECRET));
    expect((error as InvalidRequest).issues.map((i) => i.field)).toEqual([
      'familyName',
      'givenNames',
      'nationality',
    ]);
  });

  it('accepts an empty given name for a person who has none', () => {
    expect(subjectIdFromIdentity({ ...anna, givenNames: '' }, SECRET)).toMatch(SUBJECT_ID_PATTERN);
  });
});
