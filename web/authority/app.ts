/**
 * The clerk desk of an immigration authority: sign in with OpenID Connect
 * (common/shell.ts), record a newcomer's consent (the signed form's SHA-256 computed
 * here from the scan, which is never sent), check which office would be responsible and
 * why, refer with the person's data (only fields the consent covers), hand the person
 * the office's address, follow the authority's referrals and withdraw a consent.
 *
 * What the clerk types about the person lives in the form fields and this module's
 * memory only, never in storage; it is dropped on sign-out, after a referral and when
 * the tab has been hidden for a while.
 */
import {
  DATA_CATEGORIES,
  DATA_CATEGORY_INFO,
  type DataCategory,
  PURPOSES,
} from '#shared/domain/data-categories.ts';
import { REFERRAL_STATUSES, type ReferralStatus } from '#shared/domain/referral/lifecycle.ts';
import { REFUSAL_REASONS, type RefusalReason } from '#shared/domain/routing/schema.ts';
import type { ConsentReceipt, ConsentView } from '#shared/schemas/consent.ts';
import type { DirectorySummary } from '#shared/schemas/directory.ts';
import type { ReferralAccepted, ServiceOfficeSummary } from '#shared/schemas/referral.ts';
import { ApiError } from '#web/common/api.ts';
import { $, el, fillSelect, type Option, setMessage } from '#web/common/dom.ts';
import { berlinDayStart, formatDate, formatInstant, parseGermanDate } from '#web/common/i18n.ts';
import { type Shell, startShell } from '#web/common/shell.ts';
import { ClerkApi, type FeedItem, type FeedQuery } from './api.ts';
import {
  consentRequestOf,
  controlIdOf,
  FormProblems,
  formValues,
  type Identity,
  missingCategories,
  needsGuardian,
  referralRequestOf,
  routingFactsOf,
  SubmissionKeys,
  sha256Hex,
  visibleFields,
} from './form.ts';
import { type Language, type MessageParams, translate } from './i18n.ts';
import { nationalityOptions } from './nationalities.ts';
import { receiptView } from './receipt.ts';
import {
  categoryLabel,
  DUE_WORDS,
  GERMAN_LEVEL_WORDS,
  HISTORY_REASON_WORDS,
  HOUSING_WORDS,
  languageOptions,
  MARITAL_WORDS,
  purposeLabel,
  RESIDENCE_STATUS_WORDS,
  type RoutingFacts,
  refusalWords,
  routedWords,
  SEX_WORDS,
  STATUS_WORDS,
  WITHDRAWAL_REASON_WORDS,
} from './words.ts';

/** After this long in a hidden tab, what was typed about a person is dropped. */
const HIDDEN_DROP_MS = 15 * 60_000;
const OPEN_STATUSES: readonly ReferralStatus[] = ['accepted', 'queued', 'received', 'contacted'];

interface PageState {
  lang: Language;
  api: ClerkApi | null;
  directory: DirectorySummary | null;
  consent: ConsentView | null;
  /** The receipt of the consent shown, while it is on screen for printing; memory only. */
  receipt: ConsentReceipt | null;
  /** The identity typed in the consent form, to fill the referral form; memory only. */
  identity: Identity | null;
  scan: { name: string; sha256: string } | null;
  accepted: { answer: ReferralAccepted; at: string } | null;
  feed: { query: FeedQuery; cursor: string | null; page: number };
  withdrawing: string | null;
  readonly renderers: Map<string, () => void>;
}

const state: PageState = {
  lang: 'de',
  api: null,
  directory: null,
  consent: null,
  receipt: null,
  identity: null,
  scan: null,
  accepted: null,
  feed: { query: {}, cursor: null, page: 0 },
  withdrawing: null,
  renderers: new Map(),
};

const consentKeys = new SubmissionKeys();
const referralKeys = new SubmissionKeys();

const t = (key: string, params?: MessageParams) => translate(state.lang, key, params);
const input = (id: string) => $<HTMLInputElement>(id);

function api(): ClerkApi {
  if (!state.api) throw new Error('not signed in');
  return state.api;
}

function render(part: string, draw: () => void): void {
  state.renderers.set(part, draw);
  draw();
}

let shell: Shell;

// ------------------------------------------------------------ labels and messages

/** The words a control is labelled with on the form (its label, or its group's legend). */
function labelOf(id: string): string {
  const label = document.querySelector(`label[for="${id}"]`);
  if (label?.textContent) return label.textContent.trim();
  const node = document.getElementById(id);
  const group = node?.closest('fieldset');
  const legend = group?.querySelector(':scope > legend');
  return legend?.textContent?.trim() ?? id;
}

/** Every API refusal in words, naming the form's field labels (common/problems.ts). */
function errorText(error: unknown): string {
  return shell.errorText(error, (field) => {
    const id = controlIdOf(field);
    return id && document.getElementById(id) ? labelOf(id) : undefined;
  });
}

function clearInvalid(form: HTMLElement): void {
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
}

/** Marks the fields an answer or a check named, and says what is wrong with each. */
function showProblems(form: HTMLElement, messageId: string, problems: FormProblems): void {
  clearInvalid(form);
  for (const p of problems.problems) document.getElementById(p.id)?.setAttribute('aria-invalid', 'true');
  setMessage(messageId, problems.problems.map((p) => t(p.key, { field: labelOf(p.id) })).join(' '), true);
  document.getElementById(problems.problems[0]?.id ?? '')?.focus();
}

function markApiFields(form: HTMLElement, error: unknown): void {
  clearInvalid(form);
  if (!(error instanceof ApiError)) return;
  for (const e of error.problem?.errors ?? []) {
    const id = controlIdOf(e.field);
    if (id) document.getElementById(id)?.setAttribute('aria-invalid', 'true');
  }
}

// ------------------------------------------------------------ choices

const wordsOptions = (words: Readonly<Record<string, Readonly<Record<Language, string>>>>): Option[] =>
  Object.entries(words).map(([value, w]) => ({ value, label: w[state.lang] }));

function renderSelects(): void {
  const nationalities = nationalityOptions(state.lang);
  fillSelect('c-nationality', nationalities, t('choose'));
  fillSelect('r-nationality', nationalities, t('choose'));
  const languages = languageOptions(state.lang);
  const formLanguage = $<HTMLSelectElement>('c-formLanguage');
  fillSelect('c-formLanguage', languages);
  if (!formLanguage.dataset.touched) formLanguage.value = 'de';
  for (const id of ['r-language1', 'r-language2', 'r-language3']) fillSelect(id, languages, t('none'));
  fillSelect('r-sex', wordsOptions(SEX_WORDS), t('none'));
  fillSelect('r-housing', wordsOptions(HOUSING_WORDS), t('none'));
  fillSelect('r-residenceStatus', wordsOptions(RESIDENCE_STATUS_WORDS), t('none'));
  fillSelect('r-maritalStatus', wordsOptions(MARITAL_WORDS), t('none'));
  fillSelect('r-germanLevel', wordsOptions(GERMAN_LEVEL_WORDS), t('none'));
  fillSelect('w-reason', wordsOptions(WITHDRAWAL_REASON_WORDS));
  const statusFilter: Option[] = [
    { value: '', label: t('filter.all') },
    { value: OPEN_STATUSES.join(','), label: t('filter.open') },
    ...REFERRAL_STATUSES.map((s) => ({ value: s, label: STATUS_WORDS[s][state.lang] })),
  ];
  fillSelect('f-status', statusFilter);
  for (const legend of document.querySelectorAll<HTMLElement>('fieldset[data-category] > legend'))
    legend.textContent = categoryLabel(state.lang, legend.parentElement?.dataset.category as DataCategory);
  const directory = state.directory;
  if (!directory) return;
  const collator = new Intl.Collator(state.lang);
  fillSelect(
    'r-municipality',
    directory.municipalities
      .map((m) => ({ value: m.ags, label: m.name }))
      .sort((a, b) => collator.compare(a.label, b.label)),
    t('choose'),
  );
  fillSelect(
    'c-providerId',
    directory.providers
      .map((p) => ({ value: p.id, label: p.name }))
      .sort((a, b) => collator.compare(a.label, b.label)),
    t('none'),
  );
}

/** A group of checkboxes, one per value, keeping what was checked. */
function checkboxes(
  containerId: string,
  name: string,
  items: readonly { value: string; label: string; hint?: string }[],
): void {
  const container = $(containerId);
  const checked = new Set(
    [...container.querySelectorAll<HTMLInputElement>('input:checked')].map((box) => box.value),
  );
  for (const old of container.querySelectorAll('.choice')) old.remove();
  container.append(
    ...items.map((item) => {
      const id = `${containerId}-${item.value}`;
      const box = el('input', {
        type: 'checkbox',
        id,
        name,
        value: item.value,
        checked: checked.has(item.value),
      });
      return el('div', { class: 'choice' }, [
        box,
        ' ',
        el('label', { for: id }, [
          item.label,
          ...(item.hint ? [el('span', { class: 'hint', text: ` — ${item.hint}` })] : []),
        ]),
      ]);
    }),
  );
}

function renderConsentChoices(): void {
  const directory = state.directory;
  if (directory)
    checkboxes(
      'c-serviceTypes',
      'serviceTypes',
      directory.serviceTypes.map((s) => ({
        value: s.code,
        label: t('serviceTypeChoice', { name: s.name, code: s.code }),
      })),
    );
  checkboxes(
    'c-purposes',
    'purposes',
    PURPOSES.map((p) => ({ value: p, label: purposeLabel(state.lang, p) })),
  );
  checkboxes(
    'c-categories',
    'dataCategories',
    DATA_CATEGORIES.map((c) => ({
      value: c,
      label: categoryLabel(state.lang, c),
      ...(state.lang === 'en' ? { hint: DATA_CATEGORY_INFO[c].description } : {}),
    })),
  );
}

// ------------------------------------------------------------ 1. the consent

function updateGuardianHint(): void {
  const dob = parseGermanDate(input('c-dateOfBirth').value);
  const signedOn = parseGermanDate(input('c-signedOn').value);
  const needed = dob !== undefined && signedOn !== undefined && needsGuardian(dob, signedOn);
  $('guardian-hint').textContent = needed ? t('guardianNeeded') : '';
  if (needed) input('c-givenBy-guardian').checked = true;
}

async function readScan(): Promise<void> {
  const file = input('c-scan').files?.[0];
  state.scan = null;
  state.renderers.delete('scan');
  if (!file) {
    $('scan-digest').textContent = '';
    return;
  }
  $('scan-digest').textContent = t('scanReading');
  const sha256 = await sha256Hex(await file.arrayBuffer());
  state.scan = { name: file.name, sha256 };
  render('scan', () => {
    $('scan-digest').textContent = t('scanDigest', { file: file.name, digest: sha256 });
  });
}

async function recordConsent(event: Event): Promise<void> {
  event.preventDefault();
  const form = $<HTMLFormElement>('consent-form');
  const button = $<HTMLButtonElement>('record-consent');
  let draft: ReturnType<typeof consentRequestOf>;
  try {
    draft = consentRequestOf(formValues(new FormData(form)), state.scan?.sha256, new Date());
  } catch (error) {
    if (!(error instanceof FormProblems)) throw error;
    showProblems(form, 'consent-message', error);
    return;
  }
  clearInvalid(form);
  button.disabled = true;
  setMessage('consent-message', t('working'));
  try {
    const consent = await api().recordConsent(draft.request, consentKeys.keyFor(draft.request));
    consentKeys.answered();
    state.consent = consent;
    state.identity = draft.identity;
    setMessage('consent-message', t('consentRecorded'));
    form.hidden = true;
    render('consent-summary', drawConsentSummary);
    $('consent-result').hidden = false;
    prepareReferralForm();
    $('h-consent-result').focus();
  } catch (error) {
    if (error instanceof ApiError) consentKeys.answered();
    markApiFields(form, error);
    setMessage('consent-message', errorText(error), true);
  } finally {
    button.disabled = false;
  }
}

function drawConsentSummary(): void {
  const consent = state.consent;
  if (!consent) return;
  const directory = state.directory;
  const recipients = [
    ...consent.scope.serviceTypes.map(
      (code) => directory?.serviceTypes.find((s) => s.code === code)?.name ?? code,
    ),
    ...consent.scope.providerIds.map((id) => directory?.providers.find((p) => p.id === id)?.name ?? id),
  ];
  const rows: [string, string][] = [
    [t('consentId'), consent.id],
    [t('consentStatus'), t(`consentStatus.${consent.status}`)],
    [t('signedBy'), t(consent.givenBy.role === 'guardian' ? 'givenByGuardian' : 'givenBySubject')],
    [t('signedOn'), formatInstant(state.lang, consent.givenAt)],
    [t('recipients'), recipients.join('; ')],
    [t('purposes'), consent.purposes.map((p) => purposeLabel(state.lang, p)).join('; ')],
    [t('categories'), consent.dataCategories.map((c) => categoryLabel(state.lang, c)).join('; ')],
    [t('recordedAt'), formatInstant(state.lang, consent.recordedAt)],
  ];
  $('consent-summary').replaceChildren(
    ...rows.flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]),
  );
}

/**
 * The receipt for the person, drawn in the page from the API's JSON receipt (fetched
 * with the clerk's token, which a link or a new tab could not carry) and printed with
 * the page's print style; the forms step aside meanwhile, as for the handout.
 */
async function showReceipt(): Promise<void> {
  const consent = state.consent;
  if (!consent) return;
  const button = $<HTMLButtonElement>('show-receipt');
  button.disabled = true;
  setMessage('consent-message', t('receiptLoading'));
  try {
    state.receipt = await api().consentReceipt(consent.id);
    setMessage('consent-message', '');
    $('receipt-body').replaceChildren(...receiptView(state.receipt));
    showReceiptSection(true);
    $('h-receipt').focus();
  } catch (error) {
    setMessage('consent-message', errorText(error), true);
  } finally {
    button.disabled = false;
  }
}

function showReceiptSection(shown: boolean): void {
  $('receipt').hidden = !shown;
  $('consent').hidden = shown;
  $('refer').hidden = shown;
  $('follow').hidden = shown;
}

function closeReceipt(): void {
  state.receipt = null;
  $('receipt-body').replaceChildren();
  showReceiptSection(false);
  $('show-receipt').focus();
}

function newConsent(): void {
  dropPerson();
  $('h-consent').focus();
}

// ------------------------------------------------------------ 2. preview and referral

function prepareReferralForm(): void {
  const consent = state.consent;
  const form = $<HTMLFormElement>('referral-form');
  $('preview-result').hidden = true;
  setMessage('refer-message', '');
  if (!consent || !state.identity) {
    form.hidden = true;
    render('refer-intro', () => {
      $('refer-intro').textContent = t('referIntroNone');
    });
    return;
  }
  const missing = missingCategories(consent, state.identity);
  render('refer-intro', () => {
    const names = (list: readonly DataCategory[]) => list.map((c) => categoryLabel(state.lang, c)).join(', ');
    $('refer-intro').textContent =
      missing.length > 0
        ? t('referMissing', { categories: names(missing) })
        : t('referIntro', { categories: names(consent.dataCategories) });
  });
  form.hidden = missing.length > 0;
  for (const set of form.querySelectorAll<HTMLFieldSetElement>('fieldset[data-category]')) {
    const shown = consent.dataCategories.includes(set.dataset.category as DataCategory);
    set.hidden = !shown;
    set.disabled = !shown;
  }
  const visible = new Set<string>(visibleFields(consent.dataCategories));
  const identity = state.identity;
  const prefill = (name: string, value: string | undefined) => {
    const field = document.getElementById(`r-${name}`) as HTMLInputElement | HTMLSelectElement | null;
    if (field && visible.has(name) && value !== undefined) field.value = value;
  };
  prefill('familyName', identity.familyName);
  prefill('givenNames', identity.givenNames);
  prefill('dateOfBirth', identity.dateOfBirth ? formatDate('de', identity.dateOfBirth) : undefined);
  prefill('azrNumber', identity.azrNumber);
  prefill('nationality', identity.nationality);
}

function readReferral() {
  const consent = state.consent;
  if (!consent) throw new Error('no consent');
  return referralRequestOf(formValues(new FormData($<HTMLFormElement>('referral-form'))), consent);
}

function factsOf(request: ReturnType<typeof readReferral>) {
  if (!state.consent) throw new Error('no consent');
  return routingFactsOf(request.person, state.consent);
}

/** A routing refusal (of the preview or of the referral) in words, when it is one. */
function refusalText(error: unknown, facts: RoutingFacts): string | undefined {
  if (!(error instanceof ApiError) || !state.directory) return undefined;
  const problem = error.problem ?? {};
  const code = (typeof problem.refusal === 'string' ? problem.refusal : problem.reason) as string | undefined;
  if (!code || !(REFUSAL_REASONS as readonly string[]).includes(code)) return undefined;
  const referralDate =
    typeof problem.referralDate === 'string' ? problem.referralDate : new Date().toISOString().slice(0, 10);
  return refusalWords(
    state.lang,
    code as RefusalReason,
    {
      ...(typeof problem.ruleId === 'string' ? { ruleId: problem.ruleId } : {}),
      candidates: Array.isArray(problem.candidates) ? (problem.candidates as { officeId: string }[]) : [],
      referralDate,
    },
    facts,
    state.directory,
  );
}

function showPreview(draw: () => { text: string; ok: boolean }): void {
  render('preview', () => {
    const { text, ok } = draw();
    const box = $('preview-result');
    box.className = `notice ${ok ? 'ok' : 'bad'}`;
    box.replaceChildren(el('h3', { text: t('previewHeading') }), el('p', { text }));
    box.hidden = false;
  });
}

async function previewRouting(): Promise<void> {
  const form = $<HTMLFormElement>('referral-form');
  let request: ReturnType<typeof readReferral>;
  try {
    request = readReferral();
  } catch (error) {
    if (!(error instanceof FormProblems)) throw error;
    showProblems(form, 'refer-message', error);
    return;
  }
  clearInvalid(form);
  const facts = factsOf(request);
  setMessage('refer-message', t('working'));
  state.renderers.delete('preview');
  try {
    const preview = await api().previewRouting(facts);
    setMessage('refer-message', '');
    const directory = state.directory;
    if (!directory) return;
    showPreview(() => ({ ok: true, text: routedWords(state.lang, preview, facts, directory) }));
  } catch (error) {
    const refusal = refusalText(error, facts);
    if (refusal) {
      setMessage('refer-message', '');
      showPreview(() => ({ ok: false, text: refusalText(error, facts) ?? '' }));
      return;
    }
    $('preview-result').hidden = true;
    markApiFields(form, error);
    setMessage('refer-message', errorText(error), true);
  }
}

async function refer(event: Event): Promise<void> {
  event.preventDefault();
  const form = $<HTMLFormElement>('referral-form');
  const button = $<HTMLButtonElement>('refer-button');
  if (button.disabled) return;
  let request: ReturnType<typeof readReferral>;
  try {
    request = readReferral();
  } catch (error) {
    if (!(error instanceof FormProblems)) throw error;
    showProblems(form, 'refer-message', error);
    return;
  }
  clearInvalid(form);
  const facts = factsOf(request);
  button.disabled = true;
  setMessage('refer-message', t('referring'));
  try {
    const answer = await api().refer(request, referralKeys.keyFor(request));
    referralKeys.answered();
    state.accepted = { answer, at: new Date().toISOString() };
    dropPerson();
    render('handout', drawHandout);
    showHandout(true);
    $('h-handout').focus();
    void loadFeed(null);
  } catch (error) {
    if (error instanceof ApiError) referralKeys.answered();
    markApiFields(form, error);
    const refusal = refusalText(error, facts);
    setMessage('refer-message', refusal ?? errorText(error), true);
  } finally {
    button.disabled = false;
  }
}

/** The office's contact as a definition list: what the clerk hands the person. */
function contactList(office: ServiceOfficeSummary): HTMLElement {
  const c = office.contact;
  const rows: [string, string | undefined][] = [
    [t('contactName'), office.name],
    [t('contactProvider'), office.providerName],
    [t('contactAddress'), c?.address],
    [t('contactPhone'), c?.phone],
    [t('contactEmail'), c?.email],
    [t('contactHours'), c?.openingHours],
  ];
  return el(
    'dl',
    { class: 'contact' },
    rows
      .filter((row): row is [string, string] => row[1] !== undefined)
      .flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]),
  );
}

function drawHandout(): void {
  const accepted = state.accepted;
  if (!accepted) return;
  $('handout-intro').textContent = t('handoutIntro', { date: formatInstant(state.lang, accepted.at) });
  $('handout-contact').replaceChildren(
    contactList(accepted.answer.serviceOffice),
    el('p', { class: 'hint', text: `${t('referralNumber')}: ${accepted.answer.referralId}` }),
  );
}

/** While the clerk hands over the address, the person's forms step aside (and stay off the print). */
function showHandout(shown: boolean): void {
  $('handout').hidden = !shown;
  $('consent').hidden = shown;
  $('refer').hidden = shown;
}

function nextPerson(): void {
  state.accepted = null;
  state.renderers.delete('handout');
  showHandout(false);
  dropPerson();
  $('h-consent').focus();
}

/** Forgets what was typed about the person: both forms, the consent shown, the digest. */
function dropPerson(): void {
  state.consent = null;
  if (state.receipt) {
    state.receipt = null;
    $('receipt-body').replaceChildren();
    showReceiptSection(false);
  }
  state.identity = null;
  state.scan = null;
  for (const part of ['consent-summary', 'scan', 'preview', 'refer-intro']) state.renderers.delete(part);
  const consentForm = $<HTMLFormElement>('consent-form');
  consentForm.reset();
  consentForm.hidden = false;
  clearInvalid(consentForm);
  $<HTMLFormElement>('referral-form').reset();
  $('consent-result').hidden = true;
  $('consent-summary').replaceChildren();
  $('scan-digest').textContent = '';
  $('guardian-hint').textContent = '';
  $('preview-result').hidden = true;
  setMessage('consent-message', '');
  setMessage('refer-message', '');
  input('c-signedOn').value = formatDate('de', new Date().toISOString().slice(0, 10));
  delete $('c-formLanguage').dataset.touched;
  $<HTMLSelectElement>('c-formLanguage').value = 'de';
  prepareReferralForm();
}

// ------------------------------------------------------------ 3. following

function feedQuery(): FeedQuery {
  const form = new FormData($<HTMLFormElement>('feed-form'));
  const status = String(form.get('status') ?? '');
  const since = parseGermanDate(String(form.get('changedSince') ?? ''));
  return {
    ...(status ? { status: status.split(',') as ReferralStatus[] } : {}),
    ...(since ? { changedSince: berlinDayStart(since) } : {}),
    limit: Number(form.get('limit')) || 25,
  };
}

/** Counts list requests, so that an answer overtaken by a newer request is dropped. */
let feedRequests = 0;

async function loadFeed(cursor: string | null): Promise<void> {
  if (!state.api) return;
  const request = ++feedRequests;
  const query = cursor ? { ...state.feed.query, cursor } : state.feed.query;
  setMessage('feed-message', t('working'));
  try {
    const page = await api().referrals(query);
    if (request !== feedRequests) return;
    const pageNumber = cursor ? state.feed.page + 1 : 1;
    state.feed = { query: state.feed.query, cursor: page.nextCursor ?? null, page: pageNumber };
    render('feed', () => {
      $('feed-table').replaceChildren(page.items.length > 0 ? feedTable(page.items) : '');
      setMessage(
        'feed-message',
        page.items.length > 0
          ? t('pageInfo', { page: pageNumber, count: page.items.length })
          : t('noReferrals'),
      );
    });
    $('next-page').hidden = !state.feed.cursor;
    $('first-page').hidden = pageNumber <= 1;
  } catch (error) {
    if (request === feedRequests) setMessage('feed-message', errorText(error), true);
  }
}

function showFeed(event?: Event): void {
  event?.preventDefault();
  const since = input('f-since').value.trim();
  if (since && !parseGermanDate(since)) {
    input('f-since').setAttribute('aria-invalid', 'true');
    setMessage('feed-message', t('badDate', { field: labelOf('f-since') }), true);
    return;
  }
  input('f-since').removeAttribute('aria-invalid');
  state.feed = { query: feedQuery(), cursor: null, page: 0 };
  void loadFeed(null);
}

function byWhom(by: string): string {
  if (by.startsWith('service:')) return t('byOffice');
  if (by.startsWith('authority:')) return t('byAuthority');
  return t('byPlatform');
}

function feedTable(items: readonly FeedItem[]): HTMLElement {
  const head = ['colCase', 'colStatus', 'colOffice', 'colDates', 'colActions'];
  const rows = items.map((item) => {
    const last = item.history[item.history.length - 1];
    const reason = last?.reason ? HISTORY_REASON_WORDS[last.reason]?.[state.lang] : undefined;
    const history = el('details', {}, [
      el('summary', { text: t('historyHeading') }),
      el(
        'ol',
        {},
        item.history.map((h) => {
          const why = h.reason ? HISTORY_REASON_WORDS[h.reason]?.[state.lang] : undefined;
          return el('li', {
            text: `${t('historyEntry', { at: formatInstant(state.lang, h.at), status: STATUS_WORDS[h.status][state.lang] })} ${byWhom(h.by)}${why ? ` (${why})` : ''}`,
          });
        }),
      ),
    ]);
    const links: string[] = [];
    if (item.forwardedTo) links.push(t('forwardedTo', { office: item.forwardedTo.serviceOffice.name }));
    if (item.forwardedFrom) links.push(t('forwardedFrom', { office: item.forwardedFrom.serviceOffice.name }));
    // After a withdrawal after receipt or an erasure request: has the office confirmed (Art. 19)?
    if (item.erasure)
      links.push(
        item.erasure.confirmedAt
          ? t('erasureConfirmed', { at: formatInstant(state.lang, item.erasure.confirmedAt) })
          : t('erasureAsked', { at: formatInstant(state.lang, item.erasure.requestedAt) }),
      );
    const actions = OPEN_STATUSES.includes(item.status)
      ? [
          el('button', {
            type: 'button',
            class: 'secondary',
            text: t('withdrawConsent'),
            'aria-label': t('withdrawFor', { caseReference: item.caseReference }),
            'data-consent': item.consentId,
            onclick: () => openWithdrawal(item.consentId, item.caseReference),
          }),
        ]
      : [];
    return el('tr', { 'data-referral': item.referralId }, [
      el('th', { scope: 'row', text: item.caseReference }),
      el('td', {}, [
        el('span', { class: `status status-${item.status}`, text: STATUS_WORDS[item.status][state.lang] }),
        ...(reason ? [el('span', { class: 'hint', text: ` (${reason})` })] : []),
        ...links.map((l) => el('p', { class: 'hint', text: l })),
        history,
      ]),
      el('td', {}, [contactList(item.serviceOffice)]),
      el('td', {}, [
        el('p', { text: t('referredOn', { at: formatInstant(state.lang, item.createdAt) }) }),
        el('p', { text: t('changedOn', { at: formatInstant(state.lang, item.updatedAt) }) }),
        ...(item.due
          ? [
              el('p', {
                class: 'hint',
                text: DUE_WORDS[item.due.kind][state.lang].replace(
                  '{at}',
                  formatInstant(state.lang, item.due.at),
                ),
              }),
            ]
          : []),
      ]),
      el('td', {}, actions),
    ]);
  });
  return el('table', { class: 'feed' }, [
    el('caption', { text: t('feedCaption') }),
    el('thead', {}, [
      el(
        'tr',
        {},
        head.map((k) => el('th', { scope: 'col', text: t(k) })),
      ),
    ]),
    el('tbody', {}, rows),
  ]);
}

// ------------------------------------------------------------ withdrawal

let withdrawOpener: HTMLElement | null = null;

function openWithdrawal(consentId: string, caseReference?: string): void {
  state.withdrawing = consentId;
  withdrawOpener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  render('withdraw-which', () => {
    $('withdraw-which').textContent = caseReference
      ? t('withdrawWhichCase', { consentId, caseReference })
      : t('withdrawWhich', { consentId });
  });
  $<HTMLSelectElement>('w-reason').value = 'subject-request';
  $<HTMLDialogElement>('withdraw-dialog').showModal();
  $('withdraw-cancel').focus();
}

async function closeWithdrawal(): Promise<void> {
  const dialog = $<HTMLDialogElement>('withdraw-dialog');
  const consentId = state.withdrawing;
  state.withdrawing = null;
  state.renderers.delete('withdraw-which');
  withdrawOpener?.focus();
  if (dialog.returnValue !== 'confirm' || !consentId) return;
  const reason = $<HTMLSelectElement>('w-reason').value as keyof typeof WITHDRAWAL_REASON_WORDS;
  const where = state.consent?.id === consentId ? 'consent-message' : 'feed-message';
  setMessage(where, t('working'));
  try {
    const consent = await api().withdrawConsent(consentId, { reason });
    if (state.consent?.id === consentId) {
      state.consent = consent;
      drawConsentSummary();
      $<HTMLFormElement>('referral-form').hidden = true;
      $('preview-result').hidden = true;
      render('refer-intro', () => {
        $('refer-intro').textContent = t('referWithdrawn');
      });
    }
    setMessage(where, t('withdrawn'));
    // Revocation follows on the stream within seconds; the list catches up, unless the
    // clerk has paged on meanwhile (a refresh would throw them back to the first page).
    for (const wait of [1500, 4000]) {
      setTimeout(() => {
        if (state.feed.page <= 1) void loadFeed(null);
      }, wait);
    }
  } catch (error) {
    setMessage(where, errorText(error), true);
  }
}

// ------------------------------------------------------------ wiring

async function signedIn(clerk: ClerkApi): Promise<void> {
  state.api = clerk;
  try {
    state.directory = await clerk.directory();
  } catch (error) {
    setMessage('consent-message', t('directoryUnavailable', { problem: errorText(error) }), true);
  }
  renderSelects();
  renderConsentChoices();
  dropPerson();
  showFeed();
  input('c-azrNumber').focus();
}

function signedOut(): void {
  state.api = null;
  state.accepted = null;
  dropPerson();
  showHandout(false);
  $('feed-table').replaceChildren();
  state.renderers.delete('feed');
  state.renderers.delete('handout');
}

function init(): void {
  $('consent-form').addEventListener('submit', (e) => void recordConsent(e));
  // A field the clerk corrects is no longer marked (nor its group).
  for (const id of ['consent-form', 'referral-form'])
    $(id).addEventListener('input', (e) => {
      const target = e.target as HTMLElement;
      target.removeAttribute('aria-invalid');
      target.closest('fieldset[aria-invalid]')?.removeAttribute('aria-invalid');
    });
  for (const id of ['c-dateOfBirth', 'c-signedOn']) input(id).addEventListener('input', updateGuardianHint);
  input('c-scan').addEventListener('change', () => void readScan());
  $('c-formLanguage').addEventListener('change', () => {
    $('c-formLanguage').dataset.touched = 'yes';
  });
  $('new-consent').addEventListener('click', newConsent);
  $('show-receipt').addEventListener('click', () => void showReceipt());
  $('print-receipt').addEventListener('click', () => window.print());
  $('close-receipt').addEventListener('click', closeReceipt);
  $('withdraw-current').addEventListener('click', () => {
    if (state.consent) openWithdrawal(state.consent.id);
  });
  $('preview-button').addEventListener('click', () => void previewRouting());
  $('referral-form').addEventListener('submit', (e) => void refer(e));
  $('print-handout').addEventListener('click', () => window.print());
  $('next-person').addEventListener('click', nextPerson);
  $('feed-form').addEventListener('submit', showFeed);
  $('next-page').addEventListener('click', () => void loadFeed(state.feed.cursor));
  $('first-page').addEventListener('click', () => void loadFeed(null));
  $('withdraw-dialog').addEventListener('close', () => void closeWithdrawal());
  let hiddenSince: number | undefined;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) hiddenSince = Date.now();
    else if (hiddenSince !== undefined && Date.now() - hiddenSince > HIDDEN_DROP_MS) dropPerson();
  });
  state.renderers.set('selects', renderSelects);
  state.renderers.set('choices', renderConsentChoices);
  shell = startShell({
    page: 'authority',
    kinds: ['authority'],
    translate: (lang, key, params) => translate(lang, key, params),
    onLanguage: (lang) => {
      state.lang = lang;
      for (const draw of state.renderers.values()) draw();
    },
    onSignedIn: ({ api: people }) => signedIn(new ClerkApi(people)),
    onSignedOut: signedOut,
  });
}

init();
