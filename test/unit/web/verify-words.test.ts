import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERAL_DE, germanDetail, verifyDetail } from '#web/dpo/verify-words.ts';

/**
 * Every reason the verifier can give for a failed check has German words on the DPO page:
 * the details are collected from the verifier's sources, so a new one without German words
 * fails here.
 */
const SOURCES = [
  'shared/domain/audit/verify.ts',
  'shared/domain/audit/signed-note.ts',
  'shared/domain/audit/proofs.ts',
  'shared/domain/audit/entry-shape.ts',
  'web/dpo/remembered.ts',
];
const LITERAL = String.raw`('(?:[^'\\]|\\.)*'|\x60(?:[^\x60\\]|\\.)*\x60)`;
const PLACES = [
  new RegExp(`detail: ${LITERAL}`, 'g'),
  new RegExp(String.raw`\bbad\(${LITERAL}`, 'g'),
  new RegExp(String.raw`\bfail\('[\w-]+', ${LITERAL}`, 'g'),
  new RegExp(String.raw`MalformedEntryLine\(\w+, ${LITERAL}`, 'g'),
  new RegExp(String.raw`\breturn ${LITERAL};`, 'g'),
];

/** A literal as the verifier would say it: each `${…}` as a number or a name. */
function sample(literal: string): string {
  return literal.slice(1, -1).replace(/\$\{[^}]*\}/g, (inside) => (/name/.test(inside) ? 'log-key' : '7'));
}

function detailsIn(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const place of PLACES) for (const m of text.matchAll(place)) found.add(sample(m[1]!));
  return [...found].filter((d) => /^[a-z]/i.test(d) && d.includes(' ') && !d.includes('\\u'));
}

describe('the words of a failed check of the log', () => {
  const details = SOURCES.flatMap((file) => detailsIn(file).map((d) => [file, d] as const));

  it('finds the details in the verifier’s sources', () => {
    expect(details.length).toBeGreaterThan(40);
    expect(details.map(([, d]) => d)).toContain('the entry hash does not match its content');
  });

  it.each(details)('%s: “%s” has German words', (_file, detail) => {
    const words = germanDetail(detail);
    expect(words, detail).toBeDefined();
    expect(words).not.toMatch(/\b(the|entry|checkpoint|does|not)\b/);
  });

  it('says the detail in the page’s language, nested ones too', () => {
    expect(verifyDetail('de', 'entry 5 does not chain to entry 4: that entry was rewritten')).toBe(
      'Eintrag 5 schließt nicht an Eintrag 4 an: jener Eintrag wurde umgeschrieben',
    );
    expect(verifyDetail('de', 'the entry: the member hash is missing')).toBe(
      'der Eintrag: das Feld „hash“ fehlt',
    );
    expect(verifyDetail('de', 'time is not a UTC instant in milliseconds')).toBe(
      'das Feld „time“ ist kein UTC-Zeitpunkt in Millisekunden',
    );
    expect(verifyDetail('en', 'entry 5 is missing')).toBe('entry 5 is missing');
    // Words the page does not know are said in general terms, never in English on the German page.
    expect(verifyDetail('de', 'something new went wrong')).toBe(GENERAL_DE);
    expect(verifyDetail('de', 'time is not something new')).toBe(GENERAL_DE);
  });
});
