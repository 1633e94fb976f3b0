/**
 * The consent receipt as the clerk desk prints it for the person: the API's JSON
 * receipt (`getConsentReceipt` on the people's tree, fetched with the clerk's token)
 * drawn into the page itself, German first and then English, whatever language the
 * desk is shown in. The printable HTML representation of the API is meant for programs
 * and officers who call it directly; the page keeps its own strict CSP and its token in
 * memory by drawing the same content here.
 */
import { RECEIPT_WORDS as W } from '#shared/domain/consent/receipt-words.ts';
import type { ConsentReceipt } from '#shared/schemas/consent.ts';
import { el } from '#web/common/dom.ts';
import { formatInstant, type Language } from '#web/common/i18n.ts';

function definitions(rows: readonly (readonly [string, string | HTMLElement])[]): HTMLElement {
  return el(
    'dl',
    { class: 'summary' },
    rows.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', {}, [value])]),
  );
}

const list = (items: readonly string[]) =>
  el(
    'ul',
    {},
    items.map((text) => el('li', { text })),
  );

/** One language's part of the receipt; `level` is the heading level of its title. */
function part(r: ConsentReceipt, lang: Language, level: 2 | 3): HTMLElement {
  const h = `h${level + 1}`;
  const sub = (key: keyof typeof W, ...body: HTMLElement[]) => [el(h, { text: W[key][lang] }), ...body];
  const recipients: HTMLElement[] = [];
  if (r.recipients.serviceTypes.length > 0)
    recipients.push(
      el('p', { text: `${W.serviceTypes[lang]}:` }),
      list(r.recipients.serviceTypes.map((s) => s.name)),
    );
  if (r.recipients.providers.length > 0)
    recipients.push(
      el('p', { text: `${W.providers[lang]}:` }),
      list(r.recipients.providers.map((p) => p.name)),
    );
  return el('div', { class: 'receipt-part', lang }, [
    el(`h${level}`, { text: W.title[lang] }),
    definitions([
      [W.number[lang], el('code', { text: r.consentId })],
      [W.controller[lang], r.controller.name],
      [W.givenAt[lang], formatInstant(lang, r.givenAt)],
      [W.givenBy[lang], r.givenBy.label[lang]],
      [W.validUntil[lang], r.validUntil ? formatInstant(lang, r.validUntil) : W.untilWithdrawn[lang]],
      [W.legalBasis[lang], r.legalBasis[lang]],
    ]),
    ...sub('purposes', list(r.purposes.map((p) => p.label[lang]))),
    ...sub('categories', list(r.dataCategories.map((c) => c.label[lang]))),
    ...sub('recipients', ...recipients),
    ...sub('withdraw', el('p', { class: 'note', text: r.withdrawal[lang] })),
    ...sub(
      'form',
      definitions([
        [W.formAndVersion[lang], `${r.form.formId}, ${r.form.text?.version ?? r.form.formVersion}`],
        [W.fingerprint[lang], el('code', { class: 'digest', text: r.form.sha256 })],
        [W.issued[lang], formatInstant(lang, r.issuedAt)],
      ]),
    ),
  ]);
}

/** The receipt's German part, then its English one (the receipt's words exist in both). */
export function receiptView(receipt: ConsentReceipt): HTMLElement[] {
  return [part(receipt, 'de', 3), el('hr'), part(receipt, 'en', 3)];
}
