/**
 * The data-protection officer's page: sign in with OpenID Connect (common/shell.ts,
 * tokens in memory only), browse and filter the audit events, follow a referral's
 * trail, compute a subject id and produce the access report, and verify the whole log
 * in the browser.
 */
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import type { VerifyAnchor } from '#shared/domain/audit/verify.ts';
import { ApiError } from '#web/common/api.ts';
import { $, type Child, el, setMessage } from '#web/common/dom.ts';
import { berlinDayStart, formatInstant, parseGermanDate } from '#web/common/i18n.ts';
import { type Shell, startShell } from '#web/common/shell.ts';
import { AuditApi, type EntriesQuery, type EventItem, type EventsPage, type EventsQuery } from './api.ts';
import { EVENT_LABELS, eventOptions, type Language, type MessageParams, translate } from './i18n.ts';
import { verifyTheLog } from './verify-log.ts';

const PAGE_SIZE = 50;
const ENTRIES_PAGE = 500;

const input = (id: string) => $<HTMLInputElement>(id);

interface PageState {
  lang: Language;
  /** Dropped on sign-out; the token it sends lives in the session (common/session.ts). */
  api: AuditApi | null;
  query: EventsQuery | null;
  cursor: string | null;
  page: number;
  reportUrl: string | null;
  /** Re-renders what is on screen in the current language. */
  readonly renderers: Map<string, () => void>;
}

const state: PageState = {
  lang: 'de',
  api: null,
  query: null,
  cursor: null,
  page: 0,
  reportUrl: null,
  renderers: new Map(),
};

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

const code = (value: string | number | null | undefined): Child =>
  value === null || value === undefined ? '' : el('code', { text: String(value) });

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
  ];
  const rows = items.map(({ sequenced, entry }) =>
    el('tr', {}, [
      el('td', { text: formatInstant(state.lang, entry.time) }),
      el('td', { text: EVENT_LABELS[state.lang][entry.event] }),
      el('td', {}, [code(entry.actor)]),
      el('td', {}, [code(entry.subjectId)]),
      el('td', {}, [code(entry.serviceOfficeId)]),
      el('td', {}, [code(entry.authorityId)]),
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

// ------------------------------------------------------------ sign-in

function signedOut(): void {
  // Dropping the reference is all: the token lives in the session, which forgot it.
  state.api = null;
  if (state.reportUrl) URL.revokeObjectURL(state.reportUrl);
  state.reportUrl = null;
  for (const id of ['events-table', 'trail-table']) $(id).replaceChildren();
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

function showVerdict(draw: () => { ok: boolean; text: string; sub?: string }): void {
  render('verdict', () => {
    const { ok, text, sub } = draw();
    const verdict = $('verdict');
    verdict.className = `verdict ${ok ? 'ok' : 'bad'}`;
    verdict.replaceChildren(
      el('span', { class: 'headline', text }),
      ...(sub ? [el('span', { class: 'sub', text: sub })] : []),
    );
    verdict.hidden = false;
  });
}

async function verifyLogNow(): Promise<void> {
  const button = $<HTMLButtonElement>('verify-button');
  button.disabled = true;
  $('verdict').hidden = true;
  const progress = (key: string, params: MessageParams) =>
    render('progress', () => setMessage('verify-progress', t(key, params)));
  try {
    const key = $<HTMLTextAreaElement>('verifier-key').value.trim();
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
    const result = await verifyTheLog(entries, { checkpoints, verifierKeys: key ? [key] : [], anchor });
    state.renderers.delete('progress');
    setMessage('verify-progress', '');
    if (result.ok) {
      showVerdict(() => ({
        ok: true,
        text: t('verifiedOk', {
          entries: result.entries,
          size: result.signedTreeSize,
          keyName: result.keyNames.join(', '),
        }),
        sub:
          result.lastSequence > result.signedTreeSize
            ? t('unsigned', { from: result.signedTreeSize + 1, to: result.lastSequence })
            : '',
      }));
    } else {
      const { kind, sequence, detail } = result.problem;
      showVerdict(() => ({
        ok: false,
        text: t('verifyFailed', { kind: t(`kind.${kind}`), sequence, detail }),
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

function init(): void {
  $('events-form').addEventListener('submit', (e) => void searchEvents(e));
  $('next-page').addEventListener('click', () => void loadEvents(state.cursor));
  $('lookup-form').addEventListener('submit', (e) => void lookupSubject(e as SubmitEvent));
  $('use-subject').addEventListener('click', () => {
    input('f-subject').value = $('subject-result').dataset.subjectId ?? '';
    void searchEvents();
  });
  $('produce-report').addEventListener('click', () => void produceReport());
  $('verify-button').addEventListener('click', () => void verifyLogNow());
  state.renderers.set('event-options', renderEventOptions);
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
      void prefillVerifierKey();
      $('f-subject').focus();
    },
    onSignedOut: signedOut,
  });
}

init();
