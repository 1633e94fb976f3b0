/**
 * Languages and formats of the people's pages: German first, English second. Times
 * are shown in German time (Europe/Berlin, where every user of the exchange works),
 * dates as TT.MM.JJJJ in German and as "3 December 2026" in English.
 */

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export type MessageParams = Readonly<Record<string, string | number>>;
export type Messages = Readonly<Record<string, string>>;

/** The language a page starts in: German, unless the browser asks for English only. */
export function initialLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const lang = tag.toLowerCase().slice(0, 2);
    if (lang === 'de') return 'de';
    if (lang === 'en') return 'en';
  }
  return 'de';
}

/** A translator over a page's messages; a missing key is a defect and shows itself. */
export function translator(messages: Readonly<Record<Language, Messages>>) {
  return (lang: Language, key: string, params: MessageParams = {}): string => {
    const template = messages[lang][key] ?? messages.de[key];
    if (template === undefined) return `[${key}]`;
    return template.replace(/\{(\w+)\}/g, (_, name: string) =>
      params[name] === undefined ? `{${name}}` : String(params[name]),
    );
  };
}

const ZONE = 'Europe/Berlin';
const LOCALE: Readonly<Record<Language, string>> = { de: 'de-DE', en: 'en-GB' };

/** A calendar date (`YYYY-MM-DD`) as the page shows it: 03.12.2026 / 3 December 2026. */
export function formatDate(lang: Language, isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  if (!y || !m || !d) return isoDate;
  const date = new Date(Date.UTC(y, m - 1, d));
  return lang === 'de'
    ? `${String(d).padStart(2, '0')}.${String(m).padStart(2, '0')}.${y}`
    : new Intl.DateTimeFormat(LOCALE.en, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

/** An instant in German time: 03.12.2026, 14:05 / 3 December 2026, 14:05. */
export function formatInstant(lang: Language, iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  if (lang === 'de') {
    const parts = new Intl.DateTimeFormat(LOCALE.de, {
      timeZone: ZONE,
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }).formatToParts(date);
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('day')}.${part('month')}.${part('year')}, ${part('hour')}:${part('minute')} Uhr`;
  }
  return new Intl.DateTimeFormat(LOCALE.en, { timeZone: ZONE, dateStyle: 'long', timeStyle: 'short' }).format(
    date,
  );
}

/**
 * Reads a date typed as TT.MM.JJJJ (also T.M.JJJJ) into `YYYY-MM-DD`; an ISO date is
 * taken as it is. Undefined for anything else or a day that does not exist.
 */
export function parseGermanDate(text: string): string | undefined {
  const trimmed = text.trim();
  const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(trimmed);
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  const [y, m, d] = german
    ? [Number(german[3]), Number(german[2]), Number(german[1])]
    : iso
      ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
      : [0, 0, 0];
  if (!y) return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return undefined;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * The start of a calendar day in German time as a UTC instant, for "from" filters
 * typed as dates (a day in Berlin begins at 23:00 or 22:00 UTC the day before).
 */
export function berlinDayStart(isoDate: string): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  // The offset at noon that day is the day's offset (DST switches at 01:00 UTC).
  const noon = new Date(Date.UTC(y, m - 1, d, 12));
  const berlinNoon = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hour: '2-digit',
    hourCycle: 'h23',
  }).format(noon);
  const offsetHours = Number(berlinNoon) - 12;
  return new Date(Date.UTC(y, m - 1, d) - offsetHours * 3600_000).toISOString();
}
