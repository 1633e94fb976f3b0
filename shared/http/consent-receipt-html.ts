/**
 * The consent receipt as a printable page, German first and then the language of the
 * form (English where the receipt's words do not exist in it) — a representation of
 * the `getConsentReceipt` response next to the JSON one.
 */
import { RECEIPT_WORDS as W } from '#shared/domain/consent/receipt-words.ts';
import type { ConsentReceipt } from '#shared/schemas/consent.ts';
import { berlinDate, berlinTime, escapeHtml as e, htmlDocument } from './html-document.ts';

type Lang = 'de' | 'en';

function section(id: string, lang: Lang, heading: string, body: string): string {
  return `<section aria-labelledby="${id}-${lang}"${lang === 'de' ? '' : ' lang="en" class="en"'}>
<h2 id="${id}-${lang}">${e(heading)}</h2>
${body}
</section>`;
}

function part(r: ConsentReceipt, lang: Lang): string {
  const facts = `<dl>
<dt>${e(W.number[lang])}</dt><dd><code>${e(r.consentId)}</code></dd>
<dt>${e(W.controller[lang])}</dt><dd>${e(r.controller.name)}</dd>
<dt>${e(W.givenAt[lang])}</dt><dd>${e(berlinTime(r.givenAt, lang))}</dd>
<dt>${e(W.givenBy[lang])}</dt><dd>${e(r.givenBy.label[lang])}</dd>
<dt>${e(W.validUntil[lang])}</dt><dd>${e(r.validUntil ? berlinDate(r.validUntil, lang) : W.untilWithdrawn[lang])}</dd>
<dt>${e(W.legalBasis[lang])}</dt><dd>${e(r.legalBasis[lang])}</dd>
</dl>`;
  const list = (items: readonly string[]) => `<ul>${items.map((i) => `<li>${e(i)}</li>`).join('')}</ul>`;
  const recipients = [
    ...(r.recipients.serviceTypes.length
      ? [`<p>${e(W.serviceTypes[lang])}:</p>${list(r.recipients.serviceTypes.map((t) => t.name))}`]
      : []),
    ...(r.recipients.providers.length
      ? [`<p>${e(W.providers[lang])}:</p>${list(r.recipients.providers.map((p) => p.name))}`]
      : []),
  ].join('\n');
  const form = `<dl>
<dt>${e(W.formAndVersion[lang])}</dt><dd>${e(r.form.formId)}, ${e(r.form.text?.version ?? r.form.formVersion)} (${e(r.form.language)})</dd>
<dt>SHA-256</dt><dd><code>${e(r.form.sha256)}</code></dd>
${r.form.text ? `<dt>${e(W.formText[lang])}</dt><dd><code>${e(r.form.text.formVersion)}</code></dd>` : ''}
<dt>${e(W.issued[lang])}</dt><dd>${e(berlinTime(r.issuedAt, lang))}</dd>
</dl>`;
  return [
    `<h${lang === 'de' ? '1' : '2'} id="title-${lang}"${lang === 'de' ? '' : ' lang="en" class="en"'}>${e(W.title[lang])}</h${lang === 'de' ? '1' : '2'}>`,
    lang === 'de' ? facts : `<div lang="en" class="en">${facts}</div>`,
    section('purposes', lang, W.purposes[lang], list(r.purposes.map((p) => p.label[lang]))),
    section('categories', lang, W.categories[lang], list(r.dataCategories.map((c) => c.label[lang]))),
    section('recipients', lang, W.recipients[lang], recipients),
    section('withdraw', lang, W.withdraw[lang], `<p class="note">${e(r.withdrawal[lang])}</p>`),
    section('form', lang, W.form[lang], form),
  ].join('\n');
}

export function renderConsentReceiptHtml(receipt: ConsentReceipt): string {
  // The receipt's words exist in German and English: the second part is English
  // (`languages` names the form's language there once a translation is added).
  const second: Lang = 'en';
  return htmlDocument(
    `${e(W.title.de)} – ${e(W.title[second])}`,
    `${part(receipt, 'de')}\n<hr>\n${part(receipt, second)}`,
  );
}
