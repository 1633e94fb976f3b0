/**
 * The data-protection officer's page: sign in (credential in memory only), browse
 * and filter the audit events, follow a referral's trail, compute a subject id and
 * produce the access report, and verify the whole log in the browser.
 */
import { ApiError, AuditApi, apiBase } from './api.js';
import { LANGUAGES, translate } from './i18n.js';
import { verifyLog } from './verify.js';

const EVENTS = [
  'consent.recorded',
  'consent.withdrawn',
  'consent.expired',
  'referral.accepted',
  'referral.refused',
  'referral.queued',
  'referral.re-announced',
  'referral.received',
  'referral.contacted',
  'referral.declined',
  'referral.forwarded',
  'referral.revoked',
  'referral.expired',
  'referral.ciphertext-deleted',
  'keys.published',
  'keys.retired',
  'report.generated',
  'export.made',
];
const PAGE_SIZE = 50;
const ENTRIES_PAGE = 500;

const $ = (id) => document.getElementById(id);

const state = {
  lang: 'en',
  /** @type {AuditApi | null} — the only place the credential lives, dropped on sign-out. */
  api: null,
  principal: '',
  query: null,
  cursor: null,
  page: 0,
  reportUrl: null,
  /** Re-renders what is on screen in the current language. */
  renderers: new Map(),
};

const t = (key, params) => translate(state.lang, key, params);

// ------------------------------------------------------------ language

function applyLanguage(lang) {
  state.lang = LANGUAGES.includes(lang) ? lang : 'en';
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  $('lang-toggle').lang = state.lang === 'en' ? 'de' : 'en';
  for (const render of state.renderers.values()) render();
}

// ------------------------------------------------------------ helpers

function setMessage(id, text, isError = false) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', isError);
}

function errorText(error) {
  if (error instanceof ApiError) {
    const fields = (error.problem?.errors ?? []).map((e) => `${e.field}: ${e.reason}`).join('; ');
    return t('error', { message: `${error.status} ${error.message}${fields ? ` (${fields})` : ''}` });
  }
  return t('error', { message: error instanceof Error ? error.message : String(error) });
}

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

const code = (value) => (value === null || value === undefined ? '' : el('code', { text: String(value) }));

/** A table of audit event items; referral ids are buttons that open the trail. */
function eventsTable(items, caption) {
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
      el('td', { text: entry.time }),
      el('td', { text: entry.event }),
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
              onclick: () => showTrail(entry),
            })
          : '',
      ]),
      el('td', { text: sequenced ? String(entry.sequence) : t('pending') }),
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

async function loadConfig() {
  try {
    const response = await fetch(new URL('config.json', import.meta.url), { credentials: 'omit' });
    const config = await response.json();
    if (!$('region').value) $('region').value = config.region ?? '';
  } catch {
    if (!$('region').value) $('region').value = 'eu-central-1';
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const credentials = {
    accessKeyId: String(form.get('accessKeyId') ?? '').trim(),
    secretAccessKey: String(form.get('secretAccessKey') ?? '').trim(),
  };
  const token = String(form.get('sessionToken') ?? '').trim();
  if (token) credentials.sessionToken = token;
  const api = new AuditApi({
    base: apiBase(location),
    region: String(form.get('region')).trim(),
    credentials,
  });
  setMessage('sign-in-message', t('working'));
  try {
    const me = await api.whoami();
    if (me.kind !== 'dpo') {
      setMessage('sign-in-message', t('notDpo', { principal: me.principal }), true);
      return;
    }
    state.api = api;
    state.principal = me.principal;
    // The form's fields are cleared: the credential now lives in the signer only.
    event.target.reset();
    await loadConfig();
    setMessage('sign-in-message', '');
    $('sign-in').hidden = true;
    $('workspace').hidden = false;
    $('sign-out').hidden = false;
    $('signed-in-as').hidden = false;
    state.renderers.set('who', () => {
      $('signed-in-as').textContent = t('signedInAs', { principal: state.principal });
    });
    state.renderers.get('who')();
    prefillVerifierKey();
    $('f-subject').focus();
  } catch (error) {
    setMessage('sign-in-message', errorText(error), true);
  }
}

function signOut() {
  // Dropping the reference is all: the credential was never written anywhere else.
  state.api = null;
  state.principal = '';
  if (state.reportUrl) URL.revokeObjectURL(state.reportUrl);
  location.reload();
}

async function prefillVerifierKey() {
  if ($('verifier-key').value.trim()) return;
  try {
    const key = await state.api.verifierKey();
    $('verifier-key').value = key.verifierKey;
  } catch {
    // The officer can paste the key by hand.
  }
}

// ------------------------------------------------------------ events

function eventsQuery() {
  const form = new FormData($('events-form'));
  const value = (name) => String(form.get(name) ?? '').trim();
  const instant = (name) => (value(name) ? new Date(value(name)).toISOString() : undefined);
  return {
    subjectId: value('subjectId') || undefined,
    serviceOfficeId: value('serviceOfficeId') || undefined,
    authorityId: value('authorityId') || undefined,
    event: value('event') || undefined,
    from: instant('from'),
    to: instant('to'),
    order: value('order') || 'asc',
    limit: Number(value('limit')) || PAGE_SIZE,
  };
}

async function loadEvents(cursor) {
  const query = cursor ? { ...state.query, cursor } : state.query;
  setMessage('events-message', t('working'));
  try {
    const page = await state.api.events(query);
    state.cursor = page.nextCursor ?? null;
    state.page += 1;
    const pageNumber = state.page;
    state.renderers.set('events', () => {
      $('events-table').replaceChildren(
        page.items.length > 0 ? eventsTable(page.items, t('eventsCaption')) : '',
      );
      setMessage(
        'events-message',
        page.items.length > 0 ? t('pageInfo', { page: pageNumber, count: page.items.length }) : t('noEvents'),
      );
    });
    state.renderers.get('events')();
    $('next-page').hidden = !state.cursor;
  } catch (error) {
    setMessage('events-message', errorText(error), true);
  }
}

function searchEvents(event) {
  event?.preventDefault();
  const query = eventsQuery();
  if (!query.subjectId && !query.serviceOfficeId && !query.authorityId && !query.event) {
    setMessage('events-message', t('needFilter'), true);
    return;
  }
  state.query = query;
  state.page = 0;
  return loadEvents(null);
}

/** A referral's trail: the events of its subject (or office) that name the referral. */
async function showTrail(entry) {
  const referralId = entry.referralId;
  const query = entry.subjectId ? { subjectId: entry.subjectId } : { serviceOfficeId: entry.serviceOfficeId };
  const items = [];
  try {
    let cursor;
    do {
      const page = await state.api.events({ ...query, limit: 500, ...(cursor ? { cursor } : {}) });
      items.push(...page.items.filter((item) => item.entry.referralId === referralId));
      cursor = page.nextCursor;
    } while (cursor);
  } catch (error) {
    setMessage('events-message', errorText(error), true);
    return;
  }
  $('trail').hidden = false;
  state.renderers.set('trail', () => {
    $('trail-intro').textContent = t('trailIntro', { referralId });
    $('trail-table').replaceChildren(eventsTable(items, t('trailCaption', { referralId })));
  });
  state.renderers.get('trail')();
  $('h-trail').focus();
}

// ------------------------------------------------------------ subject and report

async function lookupSubject(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const value = (name) => String(form.get(name) ?? '').trim();
  const identity = value('azrNumber')
    ? {
        azrNumber: value('azrNumber'),
        ...(value('dateOfBirth') ? { dateOfBirth: value('dateOfBirth') } : {}),
      }
    : {
        familyName: value('familyName'),
        givenNames: value('givenNames'),
        dateOfBirth: value('dateOfBirth'),
        nationality: value('nationality').toUpperCase(),
      };
  setMessage('lookup-message', t('working'));
  try {
    const { subjectId } = await state.api.lookupSubject(identity);
    showSubject(subjectId);
    setMessage('lookup-message', '');
  } catch (error) {
    setMessage('lookup-message', errorText(error), true);
  }
}

function showSubject(subjectId) {
  $('subject-actions').hidden = false;
  $('subject-result').textContent = subjectId;
  $('subject-result').dataset.subjectId = subjectId;
  $('report-links').hidden = true;
}

async function produceReport() {
  const subjectId = $('subject-result').dataset.subjectId;
  if (!subjectId) return;
  setMessage('lookup-message', t('working'));
  try {
    const html = await state.api.reportHtml(subjectId);
    if (state.reportUrl) URL.revokeObjectURL(state.reportUrl);
    state.reportUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    $('open-report').href = state.reportUrl;
    $('download-report').href = state.reportUrl;
    $('download-report').setAttribute('download', `access-report-${subjectId}.html`);
    $('report-links').hidden = false;
    setMessage('lookup-message', '');
    $('open-report').focus();
  } catch (error) {
    setMessage('lookup-message', errorText(error), true);
  }
}

// ------------------------------------------------------------ verification

async function downloadEntries(onCount) {
  const entries = [];
  let query = { fromSequence: 1, limit: ENTRIES_PAGE };
  for (;;) {
    const page = await state.api.entries(query);
    entries.push(...page.items);
    onCount(entries.length);
    if (!page.nextCursor) return entries;
    query = { cursor: page.nextCursor, limit: ENTRIES_PAGE };
  }
}

/** After retention, the checkpoint at the last deleted sequence is where verification starts. */
async function anchorAt(sequence) {
  let cursor;
  do {
    const page = await state.api.checkpoints({ limit: 100, ...(cursor ? { cursor } : {}) });
    const hit = page.items.find((cp) => cp.treeSize === sequence);
    if (hit) return hit;
    if (page.items.length > 0 && page.items[page.items.length - 1].treeSize < sequence) return undefined;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

function showVerdict(render) {
  state.renderers.set('verdict', () => {
    const { ok, text, sub } = render();
    const verdict = $('verdict');
    verdict.className = `verdict ${ok ? 'ok' : 'bad'}`;
    verdict.replaceChildren(
      el('span', { class: 'headline', text }),
      ...(sub ? [el('span', { class: 'sub', text: sub })] : []),
    );
    verdict.hidden = false;
  });
  state.renderers.get('verdict')();
}

async function verifyTheLog() {
  const button = $('verify-button');
  button.disabled = true;
  $('verdict').hidden = true;
  const progress = (key, params) => {
    state.renderers.set('progress', () => setMessage('verify-progress', t(key, params)));
    state.renderers.get('progress')();
  };
  try {
    const key = $('verifier-key').value.trim();
    let latest;
    try {
      latest = await state.api.latestCheckpoint();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        showVerdict(() => ({ ok: false, text: t('noCheckpoint') }));
        return;
      }
      throw error;
    }
    const entries = await downloadEntries((count) => progress('downloading', { count }));
    const checkpoints = [latest.note];
    let anchor;
    const first = entries[0]?.sequence ?? 1;
    if (first > 1) {
      const at = await anchorAt(first - 1);
      if (at) {
        checkpoints.push(at.note);
        anchor = { sequence: at.treeSize, hash: at.headHash, merkleFrontier: at.merkleFrontier };
      }
    }
    progress('verifying', { count: entries.length });
    const result = await verifyLog(entries, { checkpoints, verifierKeys: key ? [key] : [], anchor });
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

function init() {
  const select = $('f-event');
  for (const name of EVENTS) select.append(el('option', { value: name, text: name }));
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('lang-toggle').addEventListener('click', () => applyLanguage(state.lang === 'en' ? 'de' : 'en'));
  $('events-form').addEventListener('submit', searchEvents);
  $('next-page').addEventListener('click', () => loadEvents(state.cursor));
  $('lookup-form').addEventListener('submit', lookupSubject);
  $('use-subject').addEventListener('click', () => {
    $('f-subject').value = $('subject-result').dataset.subjectId ?? '';
    searchEvents();
  });
  $('produce-report').addEventListener('click', produceReport);
  $('verify-button').addEventListener('click', verifyTheLog);
  applyLanguage(navigator.language?.toLowerCase().startsWith('de') ? 'de' : 'en');
  loadConfig();
}

init();
