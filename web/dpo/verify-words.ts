/**
 * The words of a failed check of the log (the verifier's `detail`: why, never entry
 * content) in the page's language. The shared verifier (shared/domain/audit/verify.ts,
 * signed-note.ts, proofs.ts, entry-shape.ts) words its details in English for `rex` and
 * the logs; the page says them in German too. A detail without German words here is
 * said in general terms, never in English on the German page.
 */
import type { Language } from '#web/common/i18n.ts';

type Rule = readonly [RegExp, (m: RegExpMatchArray, again: (detail: string) => string) => string];

/** What a member of an entry is not (entry-shape.ts: `<member> is not <what>`). */
const NOT_WHAT: Readonly<Record<string, string>> = {
  'a positive whole number': 'keine positive ganze Zahl',
  '64 lower-case hex digits': 'keine 64 hexadezimalen Kleinbuchstaben-Ziffern',
  'a UTC instant in milliseconds': 'kein UTC-Zeitpunkt in Millisekunden',
  'an id': 'keine Kennung',
  'an event of the format': 'kein Ereignis des Formats',
  'a principal': 'kein Beteiligter (Prinzipal)',
  'a pseudonym': 'kein Pseudonym',
  'a directory id': 'keine Kennung des Verzeichnisses',
  'a list of at most 64 codes': 'keine Liste von höchstens 64 Codes',
  'a code': 'kein Code',
  'an object or null': 'weder ein Objekt noch null',
  'the consent article': 'nicht der Artikel der Einwilligung',
  'a person id': 'keine Personenkennung',
};

const EXACT: Readonly<Record<string, string>> = {
  // verify.ts
  'a checkpoint belongs to another log': 'ein Prüfpunkt gehört zu einem anderen Protokoll',
  'the checkpoint belongs to another log': 'der Prüfpunkt gehört zu einem anderen Protokoll',
  'two signed checkpoints of the same size disagree':
    'zwei signierte Prüfpunkte derselben Größe widersprechen sich',
  'the anchor is not well-formed': 'der Anker ist nicht wohlgeformt',
  'no signed checkpoint at the anchor': 'am Anker gibt es keinen signierten Prüfpunkt',
  'the anchor hash differs from the signed checkpoint':
    'der Hash des Ankers weicht vom signierten Prüfpunkt ab',
  'the anchor frontier has another size': 'die Merkle-Grenze des Ankers hat eine andere Größe',
  'the anchor frontier does not give the signed root':
    'die Merkle-Grenze des Ankers ergibt nicht die signierte Wurzel',
  'the entry hash does not match its content': 'der Hash des Eintrags passt nicht zu seinem Inhalt',
  'an entry claims a sequence before the start of the log':
    'ein Eintrag trägt eine Nummer vor dem Beginn des Protokolls',
  'the first entry does not chain to the anchor': 'der erste Eintrag schließt nicht an den Anker an',
  'the first entry does not start from the genesis hash':
    'der erste Eintrag beginnt nicht beim Anfangs-Hash des Protokolls',
  'the chain head differs from the checkpoint': 'das Ende der Kette weicht vom Prüfpunkt ab',
  'the Merkle root differs from the checkpoint': 'die Merkle-Wurzel weicht vom Prüfpunkt ab',
  // signed-note.ts
  'a verifier key is not well-formed': 'ein Prüfschlüssel ist nicht wohlgeformt',
  'not a signed note': 'keine signierte Notiz',
  'no signature by a trusted key': 'keine Signatur eines vertrauenswürdigen Schlüssels',
  'the note text is not a checkpoint': 'der Text der Notiz ist kein Prüfpunkt',
  // proofs.ts
  'the proof is for another tree size': 'der Nachweis gilt für eine andere Baumgröße',
  'the entry is beyond the checkpoint': 'der Eintrag liegt hinter dem Prüfpunkt',
  'a proof hash is not 64 hex digits': 'ein Hash des Nachweises hat nicht 64 Hexadezimalziffern',
  'the inclusion proof does not lead to the signed root':
    'der Inklusionsnachweis führt nicht zur signierten Wurzel',
  'the entry is the checkpoint head but its hash differs':
    'der Eintrag ist das Ende des Prüfpunkts, aber sein Hash weicht ab',
  'checkpoints of one size need an empty proof': 'Prüfpunkte gleicher Größe brauchen einen leeren Nachweis',
  'the empty log needs an empty proof': 'das leere Protokoll braucht einen leeren Nachweis',
  // entry-shape.ts and the export's lines
  'not a JSON object': 'kein JSON-Objekt',
  'an unknown member': 'ein unbekanntes Feld',
  'an unknown member in legalBasis': 'ein unbekanntes Feld in „legalBasis“',
  'a data category is not a code': 'eine Datenkategorie ist kein Code',
  'dataCategories are not sorted and unique': 'die Datenkategorien sind nicht sortiert und eindeutig',
  'a blank line': 'eine Leerzeile',
  'a byte order mark': 'eine Byte-Reihenfolge-Markierung',
  'not JSON': 'kein JSON',
  'not UTF-8': 'kein UTF-8',
  'a member name given twice': 'ein Feldname kommt zweimal vor',
  // remembered.ts
  'the newest checkpoint': 'der neueste Prüfpunkt',
  'the platform no longer has a checkpoint of this size':
    'die Plattform hat keinen Prüfpunkt dieser Größe mehr',
};

const RULES: readonly Rule[] = [
  [/^entry (\d+) appears before entry (\d+)$/, (m) => `Eintrag ${m[1]} steht vor Eintrag ${m[2]}`],
  [/^a second entry claims sequence (\d+)$/, (m) => `ein zweiter Eintrag trägt die Nr. ${m[1]}`],
  [
    /^entry (\d+) does not chain to entry (\d+): that entry was rewritten$/,
    (m) => `Eintrag ${m[1]} schließt nicht an Eintrag ${m[2]} an: jener Eintrag wurde umgeschrieben`,
  ],
  [
    /^the log ends at (\d+), a checkpoint covers (\d+)$/,
    (m) => `das Protokoll endet bei Nr. ${m[1]}, ein Prüfpunkt umfasst ${m[2]} Einträge`,
  ],
  [/^entry (\d+) is missing$/, (m) => `Eintrag ${m[1]} fehlt`],
  [/^the log now ends at (\d+)$/, (m) => `das Protokoll endet jetzt bei Nr. ${m[1]}`],
  [
    /^the log at (\d+) does not extend the log at (\d+)$/,
    (m) => `das Protokoll bei Größe ${m[1]} setzt das bei Größe ${m[2]} nicht fort`,
  ],
  [
    /^the anchor frontier is not well-formed: .*$/,
    () => 'die Merkle-Grenze des Ankers ist nicht wohlgeformt',
  ],
  [/^the signature of key (.+) does not verify$/, (m) => `die Signatur des Schlüssels ${m[1]} ist ungültig`],
  [/^the entry: (.+)$/, (m, again) => `der Eintrag: ${again(m[1]!)}`],
  [/^the older checkpoint: (.+)$/, (m, again) => `der ältere Prüfpunkt: ${again(m[1]!)}`],
  [/^the newer checkpoint: (.+)$/, (m, again) => `der neuere Prüfpunkt: ${again(m[1]!)}`],
  [/^the member (\w+) is missing$/, (m) => `das Feld „${m[1]}“ fehlt`],
  [
    /^([\w.]+) is not (.+)$/,
    (m) => (NOT_WHAT[m[2]!] ? `das Feld „${m[1]}“ ist ${NOT_WHAT[m[2]!]}` : GENERAL_DE),
  ],
];

/** What the German page says of a detail it has no words for. */
export const GENERAL_DE = 'ein Eintrag oder Prüfpunkt entspricht nicht dem Format des Protokolls';

/** The German words of a detail, or undefined when there are none (then GENERAL_DE is shown). */
export function germanDetail(detail: string): string | undefined {
  const exact = EXACT[detail];
  if (exact) return exact;
  for (const [pattern, words] of RULES) {
    const m = detail.match(pattern);
    if (m) {
      const said = words(m, (inner) => germanDetail(inner) ?? GENERAL_DE);
      return said === GENERAL_DE ? undefined : said;
    }
  }
  return undefined;
}

/** A verifier's detail in the page's language (English as the verifier words it). */
export function verifyDetail(lang: Language, detail: string): string {
  return lang === 'en' ? detail : (germanDetail(detail) ?? GENERAL_DE);
}
