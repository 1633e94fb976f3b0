/**
 * The data-protection officer's page: sign in with OpenID Connect (common/shell.ts,
 * tokens in memory only), browse and filter the audit events, follow a referral's
 * trail, compute a subject id and produce the access report, verify the whole log
 * in the browser, check that it extends the checkpoints this browser remembers
 * (remembered.ts), and prove single entries with RFC 9162 inclusion proofs.
 */
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import { verifyEntryInclusion } from '#shared/domain/audit/proofs.ts';
import { verifyCheckpointAsync } from '#shared/domain/audit/signed-note.ts';
import type { VerifyAnchor } from '#shared/domain/audit/verify.ts';
import type { DirectorySummary } from '#shared/schemas/directory.ts';
import { ApiError } from '#web/common/api.ts';
import { $, type Child, el, fillSelect, setMessage } from '#web/common/dom.ts';
import { berlinDayStart, formatInstant, parseGermanDate } from '#web/common/i18n.ts';
import { type Shell, startShell } from '#web/common/shell.ts';
import {
  AuditApi,
  type EntriesQuery,
  type ErasureStatus,
  type EventItem,
  type EventsPage,
  type EventsQuery,
} from './api.ts';
import { EVENT_LABELS, eventOptions, type Language, type MessageParams, translate } from './i18n.ts';
import {
  type CheckpointStore,
  checkRemembered,
  type FetchConsistency,
  forgetCheckpoints,
  noteCheckpoint,
  type RememberedCheck,
  rememberCheckpoint,
  rememberedCheckpoints,
} from './remembered.ts';
import { verifyTheLog } from './verify-log.ts';
import { verifyDetail } from './verify-words.ts';

const PAGE_SIZE = 50;
const ENTRIES_PAGE = 500;

const input = (id: string) => $<HTMLInputElement>(id);

interface PageState {
  lang: Language;
  /** The directory's public part: names for the ids the log holds. */
  directory: DirectorySummary | null;
  /** Dropped on sign-out; the token it sends lives in the session (common/session.ts). */
  api: AuditApi | null;
  query: EventsQuery | null;
  cursor: string | null;
  page: number;
  reportUrl: string | null;
  recordUrl: string | null;
  /** The log origin of the newest checkpoint seen: whose checkpoints are remembered. */
  origin: string | null;
  /** The quiet check at sign-in: how many remembered checkpoints the newest extends. */
  quiet: { extended: number; size: number } | null;
  /** Inclusion proofs checked, by sequence: their result as shown next to the row. */
  readonly proofs: Map<number, ProofState>;
  /** Re-renders what is on screen in the current language. */
  readonly renderers: Map<string, () => void>;
}

const state: PageState = {
  lang: 'de',
  directory: null,
  api: null,
  query: null,
  cursor: null,
  page: 0,
  reportUrl: null,
  recordUrl: null,
  origin: null,
  quiet: null,
  proofs: new Map(),
  renderers: new Map(),
};

type ProofState =
  | { readonly kind: 'working' }
  | { readonly kind: 'ok'; readonly size: number }
  | { readonly kind: 'bad'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'error'; readonly error: unknown };

const t = (key: string, params?: MessageParams) => translate(state.lang, key, params);

function api(): AuditApi {
  if (!state.api) throw new Error('not signed in');
  return state.api;
}

/** Registers how a part of the page is drawn, and draws it now. */
function render(part: string, draw: () => void): void {
  state.renderers.set(part, draw);
  draw();
}

// ------------------------------------------------------------ helpers

let shell: Shell;

function errorText(error: unknown): string {
  return shell.errorText(error, (field) => {
    const name = field.split('.').pop() ?? field;
    const label = document.querySelector(`label[for="f-${name}"], label[for="l-${name}"]`);
    return label?.textContent ?? undefined;
  });
}

/** A date field typed as TT.MM.JJJJ: its ISO date, undefined when empty; throws a message when invalid. */
function dateField(id: string): string | undefined {
  const text = input(id).value.trim();
  if (!text) return undefined;
  const date = parseGermanDate(text);
  if (!date)
    throw new FieldError(
      t('badDate', { field: document.querySelector(`label[for="${id}"]`)?.textContent ?? id }),
    );
  return date;
}

class FieldError extends Error {}

/** The trusted verifier keys typed or pasted: one or more (across a key rotation), separated by spaces or lines. */
function trustedKeys(): string[] {
  return $<HTMLTextAreaElement>('verifier-key').value.split(/\s+/).filter(Boolean);
}

/** The browser's storage of remembered checkpoints; none when the browser refuses storage. */
function checkpointStore(): CheckpointStore | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const code = (value: string | number | null | undefined): Child =>
  value === null || value === undefined ? '' : el('code', { text: String(value) });

/**
 * A person's pseudonym, shortened to its first characters in a table cell (the whole id
 * is in the title, and "Events of this person" searches by it); 64 hex digits would
 * push the table wider than the page.
 */
function pseudonym(subjectId: string | null | undefined): Child {
  if (!subjectId) return '';
  return el('code', { title: subjectId, text: `${subjectId.slice(0, 12)}…` });
}

/** An office or authority by its name in the directory; its id only when the directory no longer lists it. */
function unitName(kind: 'service' | 'authority', id: string | null | undefined): Child {
  if (!id) return '';
  const units = kind === 'service' ? state.directory?.serviceOffices : state.directory?.authorities;
  const name = units?.find((u) => u.id === id)?.name;
  return name ?? code(id);
}

/**
 * Who acted, in words: the office or authority by name, a data-protection officer, the
 * platform's own scheduled work or its operator — and whether a signed-in person acted
 * for the unit (the person's pseudonymous id is in the entry, not on screen).
 */
function actorWords(actor: string, personId: string | undefined): Child {
  const [kind, id] = actor.includes(':') ? (actor.split(':', 2) as [string, string]) : [actor, ''];
  const who: Child =
    kind === 'service' || kind === 'authority'
      ? unitName(kind, id)
      : t(kind === 'dpo' ? 'actorDpo' : kind === 'system' ? 'actorSystem' : 'actorOperator');
  if (!personId) return who;
  return el('span', {}, [who, ` (${t('actorPerson')})`]);
}

/** A table of audit event items; referral ids are buttons that open the trail. */
function eventsTable(items: readonly EventItem[], caption: string): HTMLElement {
  const head = [
    'colTime',
    'colEvent',
    'colActor',
    'colSubject',
    'colOffice',
    'colAuthority',
    'colReferral',
    'colSequence',
    'colProof',
  ];
  const rows = items.map(({ sequenced, entry }) =>
    el('tr', {}, [
      el('td', { text: formatInstant(state.lang, entry.time) }),
      el('td', { text: EVENT_LABELS[state.lang][entry.event] }),
      el('td', {}, [actorWords(entry.actor, entry.personId)]),
      el('td', {}, [pseudonym(entry.subjectId)]),
      el('td', {}, [unitName('service', entry.serviceOfficeId)]),
      el('td', {}, [unitName('authority', entry.authorityId)]),
      el('td', {}, [
        entry.referralId
          ? el('button', {
              type: 'button',
              class: 'link referral-link',
              'aria-label': t('showTrail', { referralId: entry.referralId }),
              text: entry.referralId,
              onclick: () => void showTrail(entry),
            })
          : '',
      ]),
      el('td', { text: sequenced && 'sequence' in entry ? String(entry.sequence) : t('pending') }),
      el('td', {}, sequenced && 'sequence' in entry ? proofCell(entry) : []),
    ]),
  );
  return el('table', {}, [
    el('caption', { text: caption }),
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

// ------------------------------------------------------------ inclusion proofs

/** The button that proves one entry, and where its result is shown. */
function proofCell(entry: AuditEntry): Child[] {
  const result = el('span', { class: 'proof-result' });
  result.dataset.proofResult = String(entry.sequence);
  drawProofResult(result, state.proofs.get(entry.sequence));
  return [
    el('button', {
      type: 'button',
      class: 'secondary proof-button',
      'aria-label': t('proveEntryLabel', { sequence: entry.sequence }),
      text: t('proveEntry'),
      onclick: () => void proveEntry(entry),
    }),
    result,
  ];
}

function proofText(proof: ProofState | undefined): string {
  switch (proof?.kind) {
    case undefined:
      return '';
    case 'working':
      return t('working');
    case 'ok':
      return t('proofOk', { size: proof.size });
    case 'bad':
      return t('proofBad', {
        reason: t(`proofReason.${proof.reason}`),
        detail: verifyDetail(state.lang, proof.detail),
      });
    case 'error':
      return errorText(proof.error);
  }
}

function drawProofResult(node: HTMLElement, proof: ProofState | undefined): void {
  node.textContent = proofText(proof);
  node.className = `proof-result${proof?.kind === 'ok' ? ' ok' : proof?.kind === 'bad' || proof?.kind === 'error' ? ' bad' : ''}`;
}

/** Shows a proof's result next to every row of that entry (events and trail) and announces it. */
function showProof(sequence: number, proof: ProofState): void {
  state.proofs.set(sequence, proof);
  for (const node of document.querySelectorAll<HTMLElement>(`[data-proof-result="${sequence}"]`))
    drawProofResult(node, proof);
  if (proof.kind !== 'working')
    render('proof-live', () =>
      setMessage(
        'proof-live',
        t('proofAnnounce', { sequence, result: proofText(state.proofs.get(sequence)) }),
      ),
    );
}

/**
 * Fetches the inclusion proof of the entry as the page shows it against the newest
 * signed checkpoint, and checks it here: the checkpoint's signature by a trusted key,
 * the entry's form and hash, and the audit path to the signed root.
 */
async function proveEntry(entry: AuditEntry): Promise<void> {
  showProof(entry.sequence, { kind: 'working' });
  try {
    const proof = await api().inclusionProof({ sequence: entry.sequence });
    const verdict = await verifyEntryInclusion({
      entry,
      treeSize: proof.treeSize,
      hashes: proof.hashes,
      checkpoint: proof.checkpoint.note,
      verifierKey: trustedKeys(),
      ...(state.origin ? { origin: state.origin } : {}),
    });
    showProof(
      entry.sequence,
      verdict.ok
        ? { kind: 'ok', size: verdict.checkpoint.treeSize }
        : { kind: 'bad', reason: verdict.reason, detail: verdict.detail },
    );
  } catch (error) {
    showProof(entry.sequence, { kind: 'error', error });
  }
}

// ------------------------------------------------------------ sign-in

function signedOut(): void {
  // Dropping the reference is all: the token lives in the session, which forgot it.
  state.api = null;
  if (state.reportUrl) URL.revokeObjectURL(state.reportUrl);
  state.reportUrl = null;
  if (state.recordUrl) URL.revokeObjectURL(state.recordUrl);
  state.recordUrl = null;
  $('record-links').hidden = true;
  state.quiet = null;
  state.proofs.clear();
  state.renderers.delete('erasure');
  erasureAttempt = null;
  setMessage('erasure-message', '');
  for (const id of ['events-table', 'trail-table', 'erasure-table']) $(id).replaceChildren();
}

async function prefillVerifierKey(): Promise<void> {
  const field = $<HTMLTextAreaElement>('verifier-key');
  if (field.value.trim()) return;
  try {
    field.value = (await api().verifierKey()).verifierKey;
  } catch {
    // The officer can paste the key by hand.
  }
}

// ------------------------------------------------------------ events

function eventsQuery(): EventsQuery {
  const form = new FormData($<HTMLFormElement>('events-form'));
  const value = (name: string) => String(form.get(name) ?? '').trim();
  const from = dateField('f-from');
  const to = dateField('f-to');
  // "To" is a whole day: up to the start of the day after, in German time.
  const dayAfter = (date: string) => {
    const d = new Date(`${date}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  };
  return {
    subjectId: value('subjectId') || undefined,
    serviceOfficeId: value('serviceOfficeId') || undefined,
    authorityId: value('authorityId') || undefined,
    event: (value('event') || undefined) as EventsQuery['event'],
    from: from ? berlinDayStart(from) : undefined,
    to: to ? berlinDayStart(dayAfter(to)) : undefined,
    order: value('order') === 'desc' ? 'desc' : 'asc',
    limit: Number(value('limit')) || PAGE_SIZE,
  };
}

async function loadEvents(cursor: string | null): Promise<void> {
  const query = cursor ? { ...state.query, cursor } : (state.query ?? {});
  setMessage('events-message', t('working'));
  try {
    const page: EventsPage = await api().events(query);
    state.cursor = page.nextCursor ?? null;
    state.page += 1;
    const pageNumber = state.page;
    render('events', () => {
      $('events-table').replaceChildren(
        page.items.length > 0 ? eventsTable(page.items, t('eventsCaption')) : '',
      );
      setMessage(
        'events-message',
        page.items.length > 0 ? t('pageInfo', { page: pageNumber, count: page.items.length }) : t('noEvents'),
      );
    });
    $('next-page').hidden = !state.cursor;
  } catch (error) {
    setMessage('events-message', errorText(error), true);
  }
}

function searchEvents(event?: Event): Promise<void> | undefined {
  event?.preventDefault();
  let query: EventsQuery;
  try {
    query = eventsQuery();
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    setMessage('events-message', error.message, true);
    return undefined;
  }
  if (!query.subjectId && !query.serviceOfficeId && !query.authorityId && !query.event) {
    setMessage('events-message', t('needFilter'), true);
    return undefined;
  }
  state.query = query;
  state.page = 0;
  return loadEvents(null);
}

/** A referral's trail: the events of its subject (or office) that name the referral. */
async function showTrail(entry: EventItem['entry']): Promise<void> {
  const referralId = entry.referralId;
  if (!referralId) return;
  const query: EventsQuery = entry.subjectId
    ? { subjectId: entry.subjectId }
    : { serviceOfficeId: entry.serviceOfficeId ?? undefined };
  const items: EventItem[] = [];
  try {
    let cursor: string | undefined;
    do {
      const page = await api().events({ ...query, limit: 500, ...(cursor ? { cursor } : {}) });
      items.push(...page.items.filter((item) => item.entry.referralId === referralId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  } catch (error) {
    setMessage('events-message', errorText(error), true);
    return;
  }
  $('trail').hidden = false;
  render('trail', () => {
    $('trail-intro').textContent = t('trailIntro', { referralId });
    $('trail-table').replaceChildren(eventsTable(items, t('trailCaption', { referralId })));
  });
  $('h-trail').focus();
}

// ------------------------------------------------------------ subject and report

async function lookupSubject(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  const value = (name: string) => String(form.get(name) ?? '').trim();
  let dateOfBirth: string | undefined;
  try {
    dateOfBirth = dateField('l-dob');
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    setMessage('lookup-message', error.message, true);
    return;
  }
  const identity = value('azrNumber')
    ? {
        azrNumber: value('azrNumber'),
        ...(dateOfBirth ? { dateOfBirth } : {}),
      }
    : {
        familyName: value('familyName'),
        givenNames: value('givenNames'),
        dateOfBirth: dateOfBirth ?? '',
        nationality: value('nationality').toUpperCase(),
      };
  setMessage('lookup-message', t('working'));
  try {
    const { subjectId } = await api().lookupSubject(identity);
    showSubject(subjectId);
    setMessage('lookup-message', '');
  } catch (error) {
    setMessage('lookup-message', errorText(error), true);
  }
}

function showSubject(subjectId: string): void {
  $('subject-actions').hidden = false;
  $('subject-result').textContent = subjectId;
  $('subject-result').dataset.subjectId = subjectId;
  $('report-links').hidden = true;
}

async function produceReport(): Promise<void> {
  const subjectId = $('subject-result').dataset.subjectId;
  if (!subjectId) return;
  setMessage('lookup-message', t('working'));
  try {
    const html = await api().reportHtml(subjectId);
    if (state.reportUrl) URL.revokeObjectURL(state.reportUrl);
    state.reportUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    $<HTMLAnchorElement>('open-report').href = state.reportUrl;
    $<HTMLAnchorElement>('download-report').href = state.reportUrl;
    $('download-report').setAttribute('download', `access-report-${subjectId}.html`);
    $('report-links').hidden = false;
    setMessage('lookup-message', '');
    $('open-report').focus();
  } catch (error) {
    setMessage('lookup-message', errorText(error), true);
  }
}

// ------------------------------------------------------------ erasure requests

const ERASURE_REASONS = ['person-request', 'objection', 'unlawful', 'other'] as const;
type ErasureReason = (typeof ERASURE_REASONS)[number];

/** The key of the erasure request being sent: kept for a retry of the same request, new for another. */
let erasureAttempt: { consentId: string; reason: ErasureReason; key: string } | null = null;

function erasureConsent(): string | undefined {
  const consentId = input('e-consent').value.trim();
  if (consentId) {
    input('e-consent').removeAttribute('aria-invalid');
    return consentId;
  }
  input('e-consent').setAttribute('aria-invalid', 'true');
  setMessage('erasure-message', t('erasureNeedsConsent'), true);
  input('e-consent').focus();
  return undefined;
}

function drawErasure(status: ErasureStatus, recorded?: number): void {
  render('erasure', () => {
    const rows = status.recipients.map((r) =>
      el('tr', { 'data-referral': r.referralId }, [
        el('td', { text: r.serviceOffice.name }),
        el('td', { text: formatInstant(state.lang, r.erasure.requestedAt) }),
        el('td', { text: t(`erasureCause.${r.erasure.reason}`) }),
        el('td', { text: String(r.erasure.reminders) }),
        el('td', {
          text: r.erasure.confirmedAt
            ? formatInstant(state.lang, r.erasure.confirmedAt)
            : t('erasureNotConfirmed'),
        }),
      ]),
    );
    $('erasure-table').replaceChildren(
      rows.length === 0
        ? ''
        : el('table', {}, [
            el('caption', { text: t('erasureCaption') }),
            el('thead', {}, [
              el(
                'tr',
                {},
                [
                  'colErasureOffice',
                  'colErasureAsked',
                  'colErasureWhy',
                  'colErasureReminders',
                  'colErasureConfirmed',
                ].map((k) => el('th', { scope: 'col', text: t(k) })),
              ),
            ]),
            el('tbody', {}, rows),
          ]),
    );
    const confirmed = status.recipients.filter((r) => r.erasure.confirmedAt).length;
    const summary =
      rows.length === 0 ? t('erasureNone') : t('erasureCount', { confirmed, count: rows.length });
    setMessage(
      'erasure-message',
      recorded === undefined ? summary : `${t('erasureRecorded', { revoked: recorded })} ${summary}`,
    );
  });
}

async function showErasure(event: Event): Promise<void> {
  event.preventDefault();
  const consentId = erasureConsent();
  if (!consentId) return;
  setMessage('erasure-message', t('working'));
  try {
    drawErasure(await api().erasureStatus(consentId));
  } catch (error) {
    state.renderers.delete('erasure');
    $('erasure-table').replaceChildren();
    setMessage('erasure-message', errorText(error), true);
  }
}

async function recordErasure(): Promise<void> {
  const consentId = erasureConsent();
  if (!consentId) return;
  const reason = $<HTMLSelectElement>('e-reason').value as ErasureReason;
  if (!window.confirm(t('erasureConfirmAsk', { consentId }))) return;
  if (erasureAttempt?.consentId !== consentId || erasureAttempt.reason !== reason)
    erasureAttempt = { consentId, reason, key: `dpo-erasure-${crypto.randomUUID()}` };
  setMessage('erasure-message', t('working'));
  try {
    const status = await api().requestErasure(consentId, { reason }, erasureAttempt.key);
    erasureAttempt = null;
    drawErasure(status, status.revoked ?? 0);
  } catch (error) {
    setMessage('erasure-message', errorText(error), true);
  }
}

// ------------------------------------------------------------ record of processing

async function produceRecord(): Promise<void> {
  setMessage('record-message', t('working'));
  try {
    const html = await api().recordHtml();
    if (state.recordUrl) URL.revokeObjectURL(state.recordUrl);
    state.recordUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    $<HTMLAnchorElement>('open-record').href = state.recordUrl;
    $<HTMLAnchorElement>('download-record').href = state.recordUrl;
    $('download-record').setAttribute('download', 'record-of-processing.html');
    $('record-links').hidden = false;
    setMessage('record-message', '');
    $('open-record').focus();
  } catch (error) {
    setMessage('record-message', errorText(error), true);
  }
}

// ------------------------------------------------------------ verification

async function downloadEntries(onCount: (count: number) => void): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let query: EntriesQuery = { fromSequence: 1, limit: ENTRIES_PAGE };
  for (;;) {
    const page = await api().entries(query);
    entries.push(...page.items);
    onCount(entries.length);
    if (!page.nextCursor) return entries;
    query = { cursor: page.nextCursor, limit: ENTRIES_PAGE };
  }
}

/** After retention, the checkpoint at the last deleted sequence is where verification starts. */
async function anchorAt(sequence: number) {
  let cursor: string | undefined;
  do {
    const page = await api().checkpoints({ limit: 100, ...(cursor ? { cursor } : {}) });
    const hit = page.items.find((cp) => cp.treeSize === sequence);
    if (hit) return hit;
    const last = page.items[page.items.length - 1];
    if (last && last.treeSize < sequence) return undefined;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

function showVerdict(draw: () => { ok: boolean; text: string; subs?: readonly string[] }): void {
  render('verdict', () => {
    const { ok, text, subs = [] } = draw();
    const verdict = $('verdict');
    verdict.className = `verdict ${ok ? 'ok' : 'bad'}`;
    verdict.replaceChildren(
      el('span', { class: 'headline', text }),
      ...subs.filter(Boolean).map((sub) => el('span', { class: 'sub', text: sub })),
    );
    verdict.hidden = false;
  });
}

// ------------------------------------------------------------ remembered checkpoints

/** The API's consistency proof; `gone` when it names no signed checkpoint of the remembered size. */
const fetchConsistency: FetchConsistency = async (fromTreeSize, toTreeSize) => {
  try {
    return (await api().consistencyProof({ fromTreeSize, toTreeSize })).hashes;
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) return 'gone';
    throw error;
  }
};

/** Whether the newest checkpoint extends every checkpoint this browser remembers of its log. */
async function checkAgainstRemembered(newestNote: string): Promise<RememberedCheck & { remembered: number }> {
  const origin = noteCheckpoint(newestNote)?.origin;
  const store = checkpointStore();
  const remembered = store && origin ? rememberedCheckpoints(store, origin) : [];
  const check = await checkRemembered({
    remembered,
    newest: newestNote,
    verifierKey: trustedKeys(),
    fetchProof: fetchConsistency,
  });
  return { ...check, remembered: remembered.length };
}

/** The red verdict of a history that does not extend a remembered checkpoint. */
function showRewritten(check: Extract<RememberedCheck, { ok: false }>, newest: number): void {
  showVerdict(() => ({
    ok: false,
    text: t('rewritten', { size: check.treeSize, newest, reason: t(`remembered.${check.reason}`) }),
    subs: [t('rewrittenDetail', { detail: verifyDetail(state.lang, check.detail) }), t('rewrittenAdvice')],
  }));
}

/** What this browser remembers of the current log, and the button to forget it. */
function renderRemembered(): void {
  render('remembered', () => {
    const store = checkpointStore();
    const kept = store && state.origin ? rememberedCheckpoints(store, state.origin) : [];
    const last = kept[kept.length - 1];
    const quiet = state.quiet;
    setMessage(
      'remembered-status',
      !last
        ? t('rememberedNone')
        : [
            t('rememberedCount', { count: kept.length, size: last.treeSize }),
            ...(quiet ? [t('rememberedQuiet', { count: quiet.extended, size: quiet.size })] : []),
          ].join(' '),
    );
    $('forget-checkpoints').hidden = kept.length === 0;
  });
}

function forgetRemembered(): void {
  const store = checkpointStore();
  const count = store ? forgetCheckpoints(store) : 0;
  state.quiet = null;
  renderRemembered();
  render('remembered', () => setMessage('remembered-status', t('forgotten', { count })));
  $('verify-button').focus();
}

/**
 * At sign-in, without being asked: the newest checkpoint, signed by a trusted key,
 * against the remembered ones. Says nothing more than the status line unless the
 * history was rewritten; then the red verdict.
 */
async function quietCheck(): Promise<void> {
  await prefillVerifierKey();
  try {
    const latest = await api().latestCheckpoint();
    const signed = await verifyCheckpointAsync(latest.note, trustedKeys());
    if (!signed.ok) return;
    state.origin = signed.checkpoint.origin;
    const check = await checkAgainstRemembered(latest.note);
    if (!check.ok) showRewritten(check, latest.treeSize);
    else if (check.remembered > 0) state.quiet = { extended: check.extended, size: latest.treeSize };
    renderRemembered();
  } catch {
    // Quiet: no checkpoint yet, or the API unavailable; "Verify the log" says why.
  }
}

async function verifyLogNow(): Promise<void> {
  const button = $<HTMLButtonElement>('verify-button');
  button.disabled = true;
  $('verdict').hidden = true;
  const progress = (key: string, params: MessageParams) =>
    render('progress', () => setMessage('verify-progress', t(key, params)));
  try {
    const keys = trustedKeys();
    let latest: Awaited<ReturnType<AuditApi['latestCheckpoint']>>;
    try {
      latest = await api().latestCheckpoint();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        showVerdict(() => ({ ok: false, text: t('noCheckpoint') }));
        return;
      }
      throw error;
    }
    const entries = await downloadEntries((count) => progress('downloading', { count }));
    const checkpoints = [latest.note];
    let anchor: VerifyAnchor | undefined;
    const first = entries[0]?.sequence ?? 1;
    if (first > 1) {
      const at = await anchorAt(first - 1);
      if (at) {
        checkpoints.push(at.note);
        anchor = {
          sequence: at.treeSize,
          hash: at.headHash,
          ...(at.merkleFrontier ? { merkleFrontier: at.merkleFrontier } : {}),
        };
      }
    }
    progress('verifying', { count: entries.length });
    const result = await verifyTheLog(entries, { checkpoints, verifierKeys: keys, anchor });
    if (result.ok) {
      // The log holds; now its history: does the newest checkpoint extend the remembered ones?
      state.origin = noteCheckpoint(latest.note)?.origin ?? null;
      progress('checkingRemembered', {});
      const check = await checkAgainstRemembered(latest.note);
      state.renderers.delete('progress');
      setMessage('verify-progress', '');
      if (!check.ok) {
        showRewritten(check, latest.treeSize);
        return;
      }
      const store = checkpointStore();
      if (store) rememberCheckpoint(store, latest.note);
      state.quiet = null;
      renderRemembered();
      showVerdict(() => ({
        ok: true,
        text: t('verifiedOk', {
          entries: result.entries,
          size: result.signedTreeSize,
          keyName: result.keyNames.join(', '),
        }),
        subs: [
          result.lastSequence > result.signedTreeSize
            ? t('unsigned', { from: result.signedTreeSize + 1, to: result.lastSequence })
            : '',
          !store
            ? t('noStorage')
            : check.extended > 0
              ? t('extendsRemembered', { count: check.extended })
              : t('firstRemembered'),
          check.skipped > 0 ? t('skippedRemembered', { count: check.skipped }) : '',
        ],
      }));
    } else {
      state.renderers.delete('progress');
      setMessage('verify-progress', '');
      const { kind, sequence, detail } = result.problem;
      showVerdict(() => ({
        ok: false,
        text: t('verifyFailed', {
          kind: t(`kind.${kind}`),
          sequence,
          detail: verifyDetail(state.lang, detail),
        }),
      }));
    }
  } catch (error) {
    state.renderers.delete('progress');
    setMessage('verify-progress', errorText(error), true);
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------ wiring

/** The event filter: every event type of the shared list, labelled in the page's language. */
function renderEventOptions(): void {
  const select = $<HTMLSelectElement>('f-event');
  const chosen = select.value;
  const any = el('option', { value: '', text: t('anyEvent') });
  any.dataset.i18n = 'anyEvent';
  select.replaceChildren(
    any,
    ...eventOptions(state.lang).map(({ value, label }) => el('option', { value, text: label })),
  );
  select.value = chosen;
}

/** The office and authority filters: every unit of the directory by name. */
function renderUnitOptions(): void {
  const directory = state.directory;
  const collator = new Intl.Collator(state.lang);
  const options = (units: readonly { id: string; name: string }[]) =>
    units.map((u) => ({ value: u.id, label: u.name })).sort((a, b) => collator.compare(a.label, b.label));
  fillSelect('f-office', options(directory?.serviceOffices ?? []), t('anyOffice'));
  fillSelect('f-authority', options(directory?.authorities ?? []), t('anyAuthority'));
}

/** The directory, for names; the page still works with ids when it cannot be read. */
async function loadDirectory(): Promise<void> {
  try {
    state.directory = await api().json<DirectorySummary>('GET', '/v1/directory');
  } catch {
    state.directory = null;
  }
  for (const draw of state.renderers.values()) draw();
}

function init(): void {
  $('events-form').addEventListener('submit', (e) => void searchEvents(e));
  $('next-page').addEventListener('click', () => void loadEvents(state.cursor));
  $('lookup-form').addEventListener('submit', (e) => void lookupSubject(e as SubmitEvent));
  $('use-subject').addEventListener('click', () => {
    input('f-subject').value = $('subject-result').dataset.subjectId ?? '';
    void searchEvents();
  });
  $('produce-report').addEventListener('click', () => void produceReport());
  $('produce-record').addEventListener('click', () => void produceRecord());
  $('erasure-form').addEventListener('submit', (e) => void showErasure(e));
  $('erasure-request').addEventListener('click', () => void recordErasure());
  render('erasure-reasons', () =>
    fillSelect(
      'e-reason',
      ERASURE_REASONS.map((r) => ({ value: r, label: t(`erasureReason.${r}`) })),
    ),
  );
  $('verify-button').addEventListener('click', () => void verifyLogNow());
  $('forget-checkpoints').addEventListener('click', forgetRemembered);
  state.renderers.set('event-options', renderEventOptions);
  state.renderers.set('unit-options', renderUnitOptions);
  shell = startShell({
    page: 'dpo',
    kinds: ['dpo'],
    translate: (lang, key, params) => translate(lang, key, params),
    onLanguage: (lang) => {
      state.lang = lang;
      for (const draw of state.renderers.values()) draw();
    },
    onSignedIn: ({ api }) => {
      state.api = new AuditApi(api);
      void loadDirectory();
      void quietCheck();
      $('f-subject').focus();
    },
    onSignedOut: signedOut,
  });
}

init();
