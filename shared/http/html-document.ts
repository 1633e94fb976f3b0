/**
 * The printable documents the API renders for people (the consent receipt, the
 * access report): one self-contained page, German first, no script, no external
 * asset, its one style sheet allowed by hash — a strict Content-Security-Policy with
 * no 'unsafe-inline'. Every value the caller puts in is escaped with `escapeHtml`.
 */
import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The style of every document: readable on screen, black on white in print (WCAG AA contrast). */
export const DOCUMENT_CSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:52rem;padding:0 1rem;color:#111;background:#fff;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:1.5rem;border-bottom:1px solid #555}
table{border-collapse:collapse;width:100%;margin:1rem 0}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #555;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:bold}
code{word-break:break-all}
.en{color:#333}
.note{border-left:4px solid #1a4d8f;padding:.3rem .8rem;background:#f2f5fa}
@media print{body{margin:0;max-width:none}a{color:inherit}h2{break-after:avoid}table,section{break-inside:avoid}.note{background:none}}`;

/** The CSP source of a document's style sheet, e.g. `'sha256-…'`. */
export function documentStyleSource(css: string = DOCUMENT_CSS): string {
  return `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
}

/** The Content-Security-Policy of a document: nothing but its own hashed style sheet. */
export function documentCsp(css: string = DOCUMENT_CSS): string {
  if (css === DOCUMENT_CSS) return DEFAULT_CSP;
  return cspOf(css);
}

const cspOf = (css: string) =>
  `default-src 'none'; style-src ${documentStyleSource(css)}; img-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
/** Hashed once per instance: every document shares the one style sheet. */
const DEFAULT_CSP = cspOf(DOCUMENT_CSS);

/** HTML when asked for by `format=html`, or by an Accept header that prefers text/html over JSON. */
export function wantsHtml(format: string | undefined, accept: string | undefined): boolean {
  if (format) return format === 'html';
  return /\btext\/html\b/i.test(accept ?? '') && !/^\s*application\/json/i.test(accept ?? '');
}

/** A whole page: `title` and `body` are HTML the caller built with escaped values. */
export function htmlDocument(title: string, body: string): string {
  return `<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${DOCUMENT_CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const BERLIN = 'Europe/Berlin';

/** A point in time as people in Germany read it: `3. Dezember 2026, 16:05 Uhr` / `3 December 2026, 16:05`. */
export function berlinTime(iso: string, language: 'de' | 'en'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', {
    timeZone: BERLIN,
    dateStyle: 'long',
    timeStyle: 'short',
  }).format(d);
  return language === 'de' ? `${text} Uhr` : `${text} (German time)`;
}

/** A calendar day in Berlin: `3. Dezember 2026` / `3 December 2026`. */
export function berlinDate(iso: string, language: 'de' | 'en'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', {
    timeZone: BERLIN,
    dateStyle: 'long',
  }).format(d);
}
