/**
 * The counselling office's inbox: sign in (common/shell.ts), set up the office's keys in
 * the browser (keys.ts: generated here, the backup file saved before the public key is
 * published, the private key non-extractable in IndexedDB), list the office's referrals
 * from the feed, open one as `rex inbox poll` does — receipt first, then the ciphertext,
 * decrypted here — show the person's data as the paper form does (labels.ts), print it,
 * and report back (contact, closed, declined, forwarded). Erasure requests (a withdrawal
 * after receipt, or the person's request) are listed apart; the counsellor confirms each
 * after deleting the office's own copies (docs/office-guide.md, "Erasure requests").
 *
 * Nothing decrypted is stored or sent, except the person's data when forwarding, which
 * the API takes exactly as from `rex referral decline --forward-to`. The decrypted view
 * lives in this module's memory and the DOM only; it is dropped on sign-out and when the
 * page has been hidden for a few minutes.
 */
import {
  decryptReferral,
  REFERRAL_CONTENT_TYPE,
  ReferralDecryptionFailed,
} from '#shared/domain/crypto/jwe.ts';
import { backupPasswordProblem, KeyBackupError } from '#shared/domain/crypto/key-backup.ts';
import type { ReferralPayloadV1, ReferralStatus } from '#shared/schemas/referral.ts';
import { ApiError } from '#web/common/api.ts';
import { $, el, fillSelect, setMessage } from '#web/common/dom.ts';
import { formatDate, formatInstant } from '#web/common/i18n.ts';
import { type Shell, startShell } from '#web/common/shell.ts';
import { type DirectorySummary, OfficeApi, type OfficeKeys, type ReferralView } from './api.ts';
import {
  CLOSE_REASONS,
  DECLINE_REASONS,
  FILTERS,
  type FilterName,
  type Language,
  type MessageKey,
  type MessageParams,
  translate,
} from './i18n.ts';
import {
  deleteStoredKey,
  generatePendingKey,
  importBackup,
  type PendingKey,
  type StoredKey,
  storedKeys,
  WrongOffice,
} from './keys.ts';
import { personForm } from './labels.ts';

const PAGE_SIZE = 20;
/** How long the page may be hidden before the decrypted view is dropped. */
export const HIDDEN_DROP_MS = 3 * 60_000;
const DAY_MS = 86_400_000;

interface Opened {
  readonly view: ReferralView;
  /** The decrypted payload; only in memory, never stored. */
  payload: ReferralPayloadV1 | undefined;
}

interface PageState {
  lang: Language;
  api: OfficeApi | null;
  directory: DirectorySummary | null;
  keys: OfficeKeys | null;
  local: StoredKey[];
  pending: PendingKey | null;
  backupUrl: string | null;
  filter: FilterName;
  cursor: string | undefined;
  items: ReferralView[];
  opened: Opened | null;
  /** Referrals whose erasure is asked and not yet confirmed (from the feed). */
  erasures: ReferralView[];
  /** The referral whose erasure the dialog is about to confirm. */
  confirming: ReferralView | null;
  hiddenSince: number | undefined;
  hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  readonly renderers: Map<string, () => void>;
}

const state: PageState = {
  lang: 'de',
  api: null,
  directory: null,
  keys: null,
  local: [],
  pending: null,
  backupUrl: null,
  filter: 'all',
  cursor: undefined,
  items: [],
  opened: null,
  erasures: [],
  confirming: null,
  hiddenSince: undefined,
  hiddenTimer: undefined,
  renderers: new Map(),
};

const t = (key: MessageKey, params?: MessageParams) => translate(state.lang, key, params);

let shell: Shell;

function api(): OfficeApi {
  if (!state.api) throw new Error('not signed in');
  return state.api;
}

/** Registers how a part of the page is drawn (again after a language change), and draws it now. */
function render(part: string, draw: () => void): void {
  state.renderers.set(part, draw);
  draw();
}

const shortKid = (kid: string) => (kid.length > 12 ? `${kid.slice(0, 10)}…` : kid);
const officeName = (id: string) => state.directory?.serviceOffices.find((o) => o.id === id)?.name ?? id;
const authorityName = (id: string) => state.directory?.authorities.find((a) => a.id === id)?.name ?? id;
const municipalityName = (ags: string) => state.directory?.municipalities.find((m) => m.ags === ags)?.name;
const isGone = (status: ReferralStatus) => status === 'revoked' || status === 'expired';

function statusText(view: ReferralView): string {
  const words = t(`status.${view.status}` as MessageKey);
  const forwarded = view.forwardedTo
    ? `${words} – ${t('forwardedToShort', { office: view.forwardedTo.serviceOffice.name })}`
    : words;
  if (!view.erasure) return forwarded;
  return `${forwarded} – ${t(view.erasure.confirmedAt ? 'erasureConfirmedShort' : 'erasurePendingShort')}`;
}

const erasurePending = (view: ReferralView) => view.erasure !== undefined && !view.erasure.confirmedAt;

function dueText(view: ReferralView): string {
  if (!view.due) return '—';
  return t(`due.${view.due.kind}` as MessageKey, { date: formatDate(state.lang, berlinDate(view.due.at)) });
}

/** The calendar day of an instant in German time, as YYYY-MM-DD. */
function berlinDate(iso: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin' }).format(new Date(iso));
}

function ageText(iso: string): string {
  const days = Math.floor(
    (Date.parse(`${berlinDate(new Date().toISOString())}T00:00:00Z`) -
      Date.parse(`${berlinDate(iso)}T00:00:00Z`)) /
      DAY_MS,
  );
  if (days <= 0) return t('today');
  return days === 1 ? t('oneDayAgo') : t('daysAgo', { days });
}

function errorText(error: unknown): string {
  return shell.errorText(error);
}

// ------------------------------------------------------------ keys

/** What the key section shows: set-up, import, rotation, the key table. */
async function loadKeys(): Promise<void> {
  state.keys = await api().keys();
  state.local = await storedKeys(api().officeId);
  drawKeys();
}

function drawKeys(): void {
  render('keys', () => {
    const keys = state.keys;
    if (!keys) return;
    const here = new Set(state.local.map((k) => k.kid));
    const published = keys.history.filter((h) => h.retiredAt === null);
    const noKey = published.length === 0;
    const setupOpen = state.pending !== null || !$('key-setup').hidden;
    $('key-setup').hidden = !(noKey || setupOpen);
    $('cancel-setup').hidden = noKey;
    $('key-import').hidden = noKey || !published.some((h) => !here.has(h.kid));
    $('key-rotate').hidden = noKey || setupOpen;
    let status: string;
    if (noKey) status = t('keysNone');
    else if (here.size === 0) status = t('keysMissingHere');
    else if (keys.current && !here.has(keys.current))
      status = t('keysCurrentMissing', { kid: shortKid(keys.current) });
    else status = t('keysReady', { count: here.size, kid: shortKid(keys.current ?? '') });
    setMessage('keys-status', status, here.size === 0 && !noKey);
    $('keys-table').replaceChildren(keys.history.length === 0 ? '' : keysTable(keys, here));
  });
}

function keysTable(keys: OfficeKeys, here: ReadonlySet<string>): HTMLElement {
  const rows = [...keys.history].reverse().map((h) => {
    const status = h.retiredAt !== null ? 'retired' : h.current ? 'current' : 'published';
    const canRetire = status === 'published';
    return el('tr', {}, [
      el('td', {}, [el('code', { text: shortKid(h.kid), title: h.kid })]),
      el('td', { text: h.alg }),
      el('td', { text: t(`keyStatus.${status}` as MessageKey) }),
      el('td', { text: formatInstant(state.lang, h.publishedAt) }),
      el('td', { text: here.has(h.kid) ? t('yes') : t('no') }),
      el('td', {}, [
        canRetire
          ? el('button', {
              type: 'button',
              class: 'secondary small',
              text: t('retire'),
              'aria-label': t('retireLabel', { kid: shortKid(h.kid) }),
              onclick: () => void retireKey(h.kid),
            })
          : '',
      ]),
    ]);
  });
  return el('table', {}, [
    el('caption', { text: t('keysCaption') }),
    el('thead', {}, [
      el(
        'tr',
        {},
        (['colKid', 'colAlg', 'colKeyStatus', 'colPublished', 'colHere', 'colActions'] as const).map((k) =>
          el('th', { scope: 'col', text: t(k) }),
        ),
      ),
    ]),
    el('tbody', {}, rows),
  ]);
}

function dropPending(): void {
  state.pending?.discard();
  state.pending = null;
  if (state.backupUrl) URL.revokeObjectURL(state.backupUrl);
  state.backupUrl = null;
  $('backup-step').hidden = true;
  $<HTMLInputElement>('backup-saved').checked = false;
}

async function generate(event: Event): Promise<void> {
  event.preventDefault();
  const password = $<HTMLInputElement>('new-password').value;
  const repeat = $<HTMLInputElement>('new-password-repeat').value;
  if (backupPasswordProblem(password)) return setMessage('setup-message', t('passwordShort'), true);
  if (password !== repeat) return setMessage('setup-message', t('passwordMismatch'), true);
  setMessage('setup-message', t('generating'));
  $<HTMLButtonElement>('generate').disabled = true;
  try {
    dropPending();
    const pending = await generatePendingKey(api().officeId, password, new Date());
    state.pending = pending;
    $<HTMLInputElement>('new-password').value = '';
    $<HTMLInputElement>('new-password-repeat').value = '';
    state.backupUrl = URL.createObjectURL(new Blob([pending.backup.text], { type: 'application/json' }));
    const link = $<HTMLAnchorElement>('download-backup');
    link.href = state.backupUrl;
    link.download = pending.backup.fileName;
    $('backup-step').hidden = false;
    setMessage('setup-message', '');
    link.focus();
  } catch (error) {
    setMessage('setup-message', errorText(error), true);
  } finally {
    $<HTMLButtonElement>('generate').disabled = false;
  }
}

async function publish(): Promise<void> {
  const pending = state.pending;
  if (!pending) return;
  if (!$<HTMLInputElement>('backup-saved').checked)
    return setMessage('setup-message', t('publishNeedsBackup'), true);
  setMessage('setup-message', t('working'));
  try {
    // Kept first, published second: a published key whose private half is nowhere would
    // make every referral to it unreadable.
    await pending.commit();
    state.keys = await api().publishKey(pending.publicJwk);
    state.local = await storedKeys(api().officeId);
    dropPending();
    $('key-setup').hidden = true;
    setMessage('setup-message', '');
    drawKeys();
    setMessage('keys-status', t('published', { kid: shortKid(pending.kid) }));
    $('h-keys').focus();
  } catch (error) {
    setMessage('setup-message', errorText(error), true);
  }
}

async function importFile(event: Event): Promise<void> {
  event.preventDefault();
  const file = $<HTMLInputElement>('backup-file').files?.[0];
  if (!file) return setMessage('import-message', t('importNoFile'), true);
  const password = $<HTMLInputElement>('backup-password').value;
  setMessage('import-message', t('working'));
  try {
    const stored = await importBackup(api().officeId, await file.text(), password);
    $<HTMLInputElement>('backup-password').value = '';
    $<HTMLInputElement>('backup-file').value = '';
    await loadKeys();
    const known = state.keys?.history.some((h) => h.kid === stored.kid);
    setMessage(
      'import-message',
      known ? t('imported', { kid: shortKid(stored.kid) }) : t('backupUnknownKey'),
      !known,
    );
  } catch (error) {
    if (error instanceof KeyBackupError)
      setMessage('import-message', t(`backup.${error.reason}` as MessageKey), true);
    else if (error instanceof WrongOffice)
      setMessage('import-message', t('backupOtherOffice', { office: officeName(error.officeId) }), true);
    else setMessage('import-message', errorText(error), true);
  }
}

async function retireKey(kid: string): Promise<void> {
  if (!window.confirm(t('retireConfirm', { kid: shortKid(kid) }))) return;
  try {
    state.keys = await api().retireKey(kid);
    await deleteStoredKey(api().officeId, kid);
    state.local = await storedKeys(api().officeId);
    drawKeys();
    setMessage('keys-status', t('retired', { kid: shortKid(kid) }));
  } catch (error) {
    setMessage('keys-status', errorText(error), true);
  }
}

function startRotation(): void {
  setMessage('keys-status', '');
  $('key-setup').hidden = false;
  $('cancel-setup').hidden = false;
  $('key-rotate').hidden = true;
  $('new-password').focus();
}

function cancelSetup(): void {
  dropPending();
  $('key-setup').hidden = true;
  setMessage('setup-message', '');
  drawKeys();
}

// ------------------------------------------------------------ inbox

async function loadInbox(more = false): Promise<void> {
  setMessage('inbox-message', t('working'));
  try {
    const page = await api().feed({
      status: FILTERS[state.filter],
      limit: PAGE_SIZE,
      ...(more && state.cursor ? { cursor: state.cursor } : {}),
    });
    state.items = more ? [...state.items, ...page.items] : [...page.items];
    state.cursor = page.nextCursor;
    for (const item of page.items) if (item.erasure) erasureReached(item);
    drawInbox();
  } catch (error) {
    setMessage('inbox-message', errorText(error), true);
  }
}

const openText = (view: ReferralView) =>
  view.status === 'accepted' || view.status === 'queued' ? t('openNew') : t('open');

function drawInbox(): void {
  render('inbox', () => {
    const rows = state.items.map((view) =>
      el('tr', { 'data-referral': view.referralId }, [
        el('td', {}, [
          el('span', { text: formatDate(state.lang, berlinDate(view.createdAt)) }),
          el('br'),
          el('span', { class: 'muted', text: ageText(view.createdAt) }),
        ]),
        el('td', { text: view.caseReference }),
        el('td', { text: authorityName(view.authorityId) }),
        el('td', {}, [el('span', { class: `badge status-${view.status}`, text: statusText(view) })]),
        el('td', { text: dueText(view) }),
        el('td', {}, [
          isGone(view.status)
            ? el('span', { class: 'muted', text: t('cannotOpen') })
            : el('button', {
                type: 'button',
                class: 'small',
                text: openText(view),
                'aria-label': t('openLabel', { action: openText(view), caseReference: view.caseReference }),
                onclick: () => void openReferral(view),
              }),
        ]),
      ]),
    );
    $('inbox-table').replaceChildren(
      state.items.length === 0
        ? ''
        : el('table', {}, [
            el('caption', { text: t('inboxCaption') }),
            el('thead', {}, [
              el(
                'tr',
                {},
                (
                  ['colReceived', 'colCase', 'colAuthority', 'colStatus', 'colDue', 'colActions'] as const
                ).map((k) => el('th', { scope: 'col', text: t(k) })),
              ),
            ]),
            el('tbody', {}, rows),
          ]),
    );
    setMessage(
      'inbox-message',
      state.items.length === 0
        ? t('noReferrals')
        : state.items.length === 1
          ? t('inboxCountOne')
          : t('inboxCount', { count: state.items.length }),
    );
    $('next-page').hidden = !state.cursor;
  });
}

// ------------------------------------------------------------ erasure requests

/** How many feed pages are read for open erasure requests (a request moves its referral to the top). */
const ERASURE_PAGES = 5;

/** Reads the office's open erasure requests from the feed (newest change first). */
async function loadErasures(): Promise<void> {
  try {
    const found: ReferralView[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < ERASURE_PAGES; page++) {
      const got = await api().feed({ limit: 100, ...(cursor ? { cursor } : {}) });
      found.push(...got.items.filter(erasurePending));
      cursor = got.nextCursor;
      if (!cursor) break;
    }
    state.erasures = found;
    drawErasures();
  } catch (error) {
    $('erasure').hidden = false;
    setMessage('erasure-message', errorText(error), true);
  }
}

function drawErasures(): void {
  render('erasures', () => {
    const open = state.erasures;
    // Shown while there is something to confirm, or right after the last confirmation.
    const confirmedNow = $('erasure-message').dataset.confirmed === 'yes';
    $('erasure').hidden = open.length === 0 && !confirmedNow;
    const rows = open.map((view) =>
      el('tr', { 'data-erasure': view.referralId }, [
        el('td', { text: formatInstant(state.lang, view.erasure!.requestedAt) }),
        el('td', { text: view.caseReference }),
        el('td', { text: authorityName(view.authorityId) }),
        el('td', { text: t(`erasureReason.${view.erasure!.reason}` as MessageKey) }),
        el('td', {
          text: view.erasure!.reminders === 0 ? t('remindersNone') : String(view.erasure!.reminders),
        }),
        el('td', {}, [
          el('button', {
            type: 'button',
            class: 'small',
            text: t('erasureConfirmOpen'),
            'aria-label': t('erasureConfirmLabel', { caseReference: view.caseReference }),
            onclick: () => openErasureDialog(view),
          }),
        ]),
      ]),
    );
    $('erasure-table').replaceChildren(
      open.length === 0
        ? ''
        : el('table', {}, [
            el('caption', { text: t('erasureCaption') }),
            el('thead', {}, [
              el(
                'tr',
                {},
                (
                  ['colAsked', 'colCase', 'colAuthority', 'colWhy', 'colReminders', 'colActions'] as const
                ).map((k) => el('th', { scope: 'col', text: t(k) })),
              ),
            ]),
            el('tbody', {}, rows),
          ]),
    );
    if (!confirmedNow)
      setMessage(
        'erasure-message',
        open.length === 0
          ? t('erasureNone')
          : open.length === 1
            ? t('erasureCountOne')
            : t('erasureCount', { count: open.length }),
      );
  });
}

/**
 * An erasure asked of (or confirmed for) the referral that is open: what was decrypted of
 * it is dropped from the page, and the panel says where to confirm.
 */
function erasureReached(view: ReferralView): void {
  const opened = state.opened;
  if (!opened || opened.view.referralId !== view.referralId || !view.erasure) return;
  if (opened.view.erasure?.confirmedAt === view.erasure.confirmedAt && opened.view.erasure) return;
  state.opened = { view, payload: undefined };
  dropDecrypted();
  drawFacts(view);
  drawActions();
  render('referral-message', () =>
    setMessage(
      'referral-message',
      view.erasure?.confirmedAt ? '' : t('erasureCannotOpen'),
      !view.erasure?.confirmedAt,
    ),
  );
}

let erasureOpener: HTMLElement | null = null;

function openErasureDialog(view: ReferralView): void {
  state.confirming = view;
  erasureOpener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  $<HTMLInputElement>('erasure-done').checked = false;
  setMessage('erasure-dialog-message', '');
  render('erasure-which', () => {
    $('erasure-which').textContent = t('erasureWhich', {
      caseReference: view.caseReference,
      authority: authorityName(view.authorityId),
      date: formatInstant(state.lang, view.erasure!.requestedAt),
    });
  });
  $<HTMLDialogElement>('erasure-dialog').showModal();
  $('erasure-done').focus();
}

function closeErasureDialog(): void {
  const dialog = $<HTMLDialogElement>('erasure-dialog');
  if (dialog.open) dialog.close();
  state.confirming = null;
  state.renderers.delete('erasure-which');
  erasureOpener?.focus();
}

async function confirmErasure(event: Event): Promise<void> {
  event.preventDefault();
  const view = state.confirming;
  if (!view) return;
  if (!$<HTMLInputElement>('erasure-done').checked) {
    setMessage('erasure-dialog-message', t('erasureNeedsDone'), true);
    $('erasure-done').focus();
    return;
  }
  $<HTMLButtonElement>('erasure-confirm').disabled = true;
  setMessage('erasure-dialog-message', t('working'));
  try {
    const confirmed = await api().confirmErasure(view.referralId);
    state.erasures = state.erasures.filter((e) => e.referralId !== view.referralId);
    updateListed(confirmed);
    erasureReached(confirmed);
    erasureOpener = $('h-erasure');
    closeErasureDialog();
    const message = $('erasure-message');
    message.dataset.confirmed = 'yes';
    drawErasures();
    render('erasure-confirmed', () =>
      setMessage(
        'erasure-message',
        t('erasureConfirmed', {
          caseReference: confirmed.caseReference,
          date: formatInstant(state.lang, confirmed.erasure?.confirmedAt ?? new Date().toISOString()),
        }),
      ),
    );
  } catch (error) {
    setMessage('erasure-dialog-message', errorText(error), true);
  } finally {
    $<HTMLButtonElement>('erasure-confirm').disabled = false;
  }
}

// ------------------------------------------------------------ one referral

function showReferralFrame(view: ReferralView): void {
  $('referral').hidden = false;
  render('referral-head', () => {
    $('h-referral').textContent = t('referralHeading', { caseReference: view.caseReference });
  });
  drawFacts(view);
}

function drawFacts(view: ReferralView): void {
  render('referral-facts', () => {
    const facts: [MessageKey, string][] = [
      ['factAuthority', authorityName(view.authorityId)],
      ['factCase', view.caseReference],
      ['factCreated', formatInstant(state.lang, view.createdAt)],
      ['factStatus', statusText(view)],
      ['factDue', dueText(view)],
      ['factReferralId', view.referralId],
      ...(view.forwardedFrom
        ? [['factForwardedFrom', view.forwardedFrom.serviceOffice.name] as [MessageKey, string]]
        : []),
      ...(view.erasure
        ? [
            [
              'factErasure',
              view.erasure.confirmedAt
                ? t('factErasureConfirmed', { date: formatInstant(state.lang, view.erasure.confirmedAt) })
                : t('factErasureAsked', {
                    date: formatInstant(state.lang, view.erasure.requestedAt),
                    why: t(`erasureReason.${view.erasure.reason}` as MessageKey),
                  }),
            ] as [MessageKey, string],
          ]
        : []),
    ];
    $('referral-facts').replaceChildren(
      el('h3', { text: t('referralFacts') }),
      el(
        'dl',
        { class: 'facts' },
        facts.flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { text: v })]),
      ),
    );
  });
}

/** Drops everything decrypted: the payload, the person's form, the forward form's data. */
function dropDecrypted(): void {
  if (state.opened) state.opened.payload = undefined;
  state.renderers.delete('person');
  $('person-form').replaceChildren();
  $('person').hidden = true;
}

function closeReferral(): void {
  dropDecrypted();
  state.opened = null;
  state.renderers.delete('referral-head');
  state.renderers.delete('referral-facts');
  state.renderers.delete('actions');
  $('referral').hidden = true;
  $('actions').hidden = true;
  setMessage('referral-message', '');
  setMessage('actions-message', '');
  $('inbox').scrollIntoView();
}

/**
 * Opens a referral as `rex inbox poll` handles a message, in the same order: receipt
 * first (410: revoked or expired, nothing is decrypted), then the ciphertext, decrypted
 * with the key its `kid` names, checked to be this referral of this office, shown.
 */
async function openReferral(listed: ReferralView): Promise<void> {
  dropDecrypted();
  state.opened = { view: listed, payload: undefined };
  showReferralFrame(listed);
  $('actions').hidden = true;
  setMessage('actions-message', '');
  $('h-referral').focus();
  const message = (key: MessageKey, params?: MessageParams, isError = false) =>
    render('referral-message', () => setMessage('referral-message', t(key, params), isError));
  if (isGone(listed.status)) {
    message(listed.status === 'revoked' ? 'revokedCannotOpen' : 'expiredCannotOpen', {}, true);
    return;
  }
  if (listed.erasure) {
    // Asked to erase it: the platform deleted its ciphertext; nothing is decrypted again.
    if (!listed.erasure.confirmedAt) message('erasureCannotOpen', {}, true);
    drawActions();
    return;
  }
  let view: ReferralView;
  try {
    message('receipting');
    view = await api().receipt(listed.referralId);
  } catch (error) {
    if (error instanceof ApiError && error.status === 410) {
      const status = String(error.problem?.currentStatus ?? 'revoked');
      message(status === 'expired' ? 'expiredCannotOpen' : 'revokedCannotOpen', {}, true);
      void loadInbox();
      return;
    }
    render('referral-message', () => setMessage('referral-message', errorText(error), true));
    return;
  }
  state.opened = { view, payload: undefined };
  drawFacts(view);
  updateListed(view);
  drawActions();
  let jwe: string;
  try {
    jwe = (await api().ciphertext(view.referralId)).jwe;
  } catch (error) {
    if (error instanceof ApiError && error.status === 410 && error.problem?.reason === 'ciphertext-deleted')
      message('ciphertextDeleted', {}, true);
    else if (error instanceof ApiError && error.status === 410) message('revokedCannotOpen', {}, true);
    else render('referral-message', () => setMessage('referral-message', errorText(error), true));
    return;
  }
  message('decrypting');
  const keys = await storedKeys(api().officeId);
  let payload: unknown;
  try {
    ({ payload } = await decryptReferral(jwe, new Map(keys.map((k) => [k.kid, k.privateKey])), {
      expectedCty: REFERRAL_CONTENT_TYPE,
    }));
  } catch (error) {
    if (error instanceof ReferralDecryptionFailed) {
      const kid = shortKid(String(error.details.kid ?? '?'));
      message(error.reason === 'unknown-kid' ? 'unknownKid' : 'decryptionFailed', { kid }, true);
      return;
    }
    throw error;
  }
  if (!isThisReferral(payload, view)) {
    message('notThisReferral', {}, true);
    return;
  }
  if (state.opened?.view.referralId !== view.referralId) return;
  state.opened.payload = payload;
  state.renderers.delete('referral-message');
  setMessage('referral-message', '');
  drawPerson();
  drawActions();
}

/**
 * The payload belongs to this referral of this office (the identifiers inside the JWE are
 * covered by its tag, so the platform cannot pass one referral's ciphertext off as another's).
 */
function isThisReferral(payload: unknown, view: ReferralView): payload is ReferralPayloadV1 {
  if (typeof payload !== 'object' || payload === null) return false;
  const p = payload as Record<string, unknown>;
  return (
    p.schema === 'referral-exchange.referral.v1' &&
    p.referralId === view.referralId &&
    p.serviceOfficeId === api().officeId &&
    typeof p.person === 'object' &&
    p.person !== null
  );
}

function updateListed(view: ReferralView): void {
  const index = state.items.findIndex((i) => i.referralId === view.referralId);
  if (index >= 0) state.items[index] = view;
  drawInbox();
}

function drawPerson(): void {
  render('person', () => {
    const payload = state.opened?.payload;
    if (!payload) return;
    const sections = personForm(state.lang, payload, { municipalityName });
    $('person-form').replaceChildren(
      ...sections.map((section) =>
        el('section', { class: 'form-section', 'aria-label': section.heading }, [
          el('h4', { text: section.heading }),
          el(
            'dl',
            {},
            section.rows.flatMap((row) => [
              el('dt', { text: row.label }),
              el('dd', { text: row.value, 'data-field': row.path }),
            ]),
          ),
        ]),
      ),
    );
    $('printed-from').textContent = t('printedFrom', {
      date: formatInstant(state.lang, new Date().toISOString()),
    });
    $('person').hidden = false;
  });
}

/** The offices that serve the person's municipality, other than this one. */
function forwardCandidates(): { value: string; label: string }[] {
  const ags = state.opened?.payload?.person.address.municipality;
  if (!ags || !state.directory) return [];
  return state.directory.serviceOffices
    .filter((o) => o.id !== api().officeId && o.municipalities.includes(ags))
    .map((o) => ({ value: o.id, label: `${o.name} (${o.type})` }));
}

function drawActions(): void {
  render('actions', () => {
    const opened = state.opened;
    if (!opened) return;
    const status = opened.view.status;
    const canContact = status === 'received';
    const canEnd = status === 'received' || status === 'contacted';
    $('actions').hidden = false;
    $('action-contacted').hidden = !canContact;
    $('action-close').hidden = !canEnd;
    $('action-decline').hidden = !canEnd;
    $('no-actions').hidden = canContact || canEnd;
    fillSelect(
      'close-reason',
      CLOSE_REASONS.map((r) => ({ value: r, label: t(`closeReason.${r}` as MessageKey) })),
    );
    fillSelect(
      'decline-reason',
      DECLINE_REASONS.map((r) => ({ value: r, label: t(`declineReason.${r}` as MessageKey) })),
    );
    const candidates = forwardCandidates();
    fillSelect('forward-to', candidates);
    const hasData = opened.payload !== undefined;
    $('forward').hidden = !hasData;
    $<HTMLButtonElement>('report-forward').disabled = candidates.length === 0;
    const chosen = $<HTMLSelectElement>('forward-to').value;
    $('sees-forward').textContent =
      candidates.length === 0
        ? t('forwardNone')
        : t('forwardSees', { office: chosen ? officeName(chosen) : '…' });
  });
}

async function report(body: Parameters<OfficeApi['report']>[1]): Promise<void> {
  const opened = state.opened;
  if (!opened) return;
  setMessage('actions-message', t('working'));
  try {
    const view = await api().report(opened.view.referralId, body);
    state.opened = { view, payload: opened.payload };
    drawFacts(view);
    updateListed(view);
    drawActions();
    const done = view.forwardedTo
      ? t('forwarded', {
          office: view.forwardedTo.serviceOffice.name,
          referralId: view.forwardedTo.referralId,
        })
      : t('reported', { status: statusText(view) });
    setMessage('actions-message', done);
    $('actions-message').focus();
  } catch (error) {
    setMessage('actions-message', errorText(error), true);
  }
}

function forward(): void {
  const payload = state.opened?.payload;
  if (!payload) {
    setMessage('actions-message', t('forwardNeedsData'), true);
    return;
  }
  const forwardTo = $<HTMLSelectElement>('forward-to').value;
  if (!forwardTo) return;
  void report({
    status: 'declined',
    reason: $<HTMLSelectElement>('decline-reason').value as (typeof DECLINE_REASONS)[number],
    forwardTo,
    person: payload.person,
    ...(payload.note !== undefined ? { note: payload.note } : {}),
  });
}

// ------------------------------------------------------------ hiding, sign-out

function onVisibility(): void {
  if (document.visibilityState === 'hidden') {
    state.hiddenSince = Date.now();
    clearTimeout(state.hiddenTimer);
    state.hiddenTimer = setTimeout(dropForHiding, HIDDEN_DROP_MS);
    return;
  }
  clearTimeout(state.hiddenTimer);
  if (state.hiddenSince !== undefined && Date.now() - state.hiddenSince >= HIDDEN_DROP_MS) dropForHiding();
  state.hiddenSince = undefined;
}

function dropForHiding(): void {
  if (!state.opened?.payload) return;
  dropDecrypted();
  drawActions();
  render('referral-message', () => setMessage('referral-message', t('dropped')));
}

function signedOut(): void {
  dropPending();
  if (state.opened) closeReferral();
  state.api = null;
  state.keys = null;
  state.local = [];
  state.items = [];
  state.erasures = [];
  state.directory = null;
  const dialog = $<HTMLDialogElement>('erasure-dialog');
  if (dialog.open) dialog.close();
  $('erasure').hidden = true;
  for (const id of ['inbox-table', 'keys-table', 'erasure-table']) $(id).replaceChildren();
}

async function onSignedIn(officeApi: OfficeApi): Promise<void> {
  state.api = officeApi;
  try {
    state.directory = await officeApi.directory();
  } catch {
    // Names fall back to ids; nothing else depends on the directory.
  }
  try {
    await loadKeys();
  } catch (error) {
    setMessage('keys-status', errorText(error), true);
  }
  await Promise.all([loadInbox(), loadErasures()]);
  if (state.keys?.history.every((h) => h.retiredAt !== null)) $('h-keys').focus();
}

function init(): void {
  render('filter', () =>
    fillSelect(
      'filter',
      (Object.keys(FILTERS) as FilterName[]).map((f) => ({
        value: f,
        label: t(`filter.${f}` as MessageKey),
      })),
    ),
  );
  $('filter').addEventListener('change', () => {
    state.filter = $<HTMLSelectElement>('filter').value as FilterName;
    void loadInbox();
  });
  $('refresh').addEventListener('click', () => {
    delete $('erasure-message').dataset.confirmed;
    state.renderers.delete('erasure-confirmed');
    void loadInbox();
    void loadErasures();
  });
  $('erasure-form').addEventListener('submit', (e) => void confirmErasure(e));
  $('erasure-cancel').addEventListener('click', closeErasureDialog);
  $('erasure-dialog').addEventListener('cancel', () => {
    state.confirming = null;
    state.renderers.delete('erasure-which');
    erasureOpener?.focus();
  });
  $('next-page').addEventListener('click', () => void loadInbox(true));
  $('setup-form').addEventListener('submit', (e) => void generate(e));
  $('publish').addEventListener('click', () => void publish());
  $('discard-key').addEventListener('click', cancelSetup);
  $('cancel-setup').addEventListener('click', cancelSetup);
  $('import-form').addEventListener('submit', (e) => void importFile(e));
  $('rotate').addEventListener('click', startRotation);
  $('close-referral').addEventListener('click', closeReferral);
  $('print').addEventListener('click', () => window.print());
  $('report-contacted').addEventListener('click', () => void report({ status: 'contacted' }));
  $('report-closed').addEventListener(
    'click',
    () =>
      void report({
        status: 'closed',
        reason: $<HTMLSelectElement>('close-reason').value as (typeof CLOSE_REASONS)[number],
      }),
  );
  $('report-declined').addEventListener(
    'click',
    () =>
      void report({
        status: 'declined',
        reason: $<HTMLSelectElement>('decline-reason').value as (typeof DECLINE_REASONS)[number],
      }),
  );
  $('forward-to').addEventListener('change', drawActions);
  $('report-forward').addEventListener('click', forward);
  $('actions-message').tabIndex = -1;
  document.addEventListener('visibilitychange', onVisibility);
  // Before the provider's sign-out page: nothing decrypted stays behind in the DOM.
  $('sign-out').addEventListener('click', signedOut, { capture: true });
  shell = startShell({
    page: 'office',
    kinds: ['service'],
    translate: (lang, key, params) => translate(lang, key, params),
    onLanguage: (lang) => {
      state.lang = lang;
      for (const draw of state.renderers.values()) draw();
    },
    onSignedIn: ({ api: people, me }) =>
      onSignedIn(new OfficeApi(people, me.principal.slice('service:'.length))),
    onSignedOut: signedOut,
  });
}

init();
