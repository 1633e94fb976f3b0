/**
 * What every people's page shares around its own content: the settings file, the
 * language switch, sign-in and sign-out with the header that shows who is signed in.
 * The page's index.html holds the elements named here (#sign-in, #sign-in-button,
 * #sign-in-message, #workspace, #signed-in-as, #sign-out, #lang-toggle).
 */
import { apiBase, PeopleApi } from './api.ts';
import { $, setMessage } from './dom.ts';
import { initialLanguage, LANGUAGES, type Language } from './i18n.ts';
import { problemText } from './problems.ts';
import { Session, type SignInConfig, SignInError } from './session.ts';

/** The settings file each page is served with (functions/web-pages.ts). */
export interface PageSettings {
  readonly region: string;
  /** Absent when the deployment has no sign-in for people. */
  readonly signIn?: SignInConfig;
  /** The people's path prefix of the API (`/people`). */
  readonly peoplePrefix: string;
}

export interface WhoAmI {
  readonly principal: string;
  readonly kind: 'authority' | 'service' | 'dpo' | 'operator';
  readonly name?: string;
  readonly person: boolean;
}

export interface SignedIn {
  readonly api: PeopleApi;
  readonly me: WhoAmI;
  readonly email: string | undefined;
}

export interface ShellOptions {
  /** The page's path segment: `dpo`, `office`, `authority`. */
  readonly page: string;
  /** The kinds of principal this page is for. */
  readonly kinds: readonly WhoAmI['kind'][];
  readonly translate: (
    lang: Language,
    key: string,
    params?: Readonly<Record<string, string | number>>,
  ) => string;
  /** Draws the page's own texts after a language change. */
  readonly onLanguage: (lang: Language) => void;
  readonly onSignedIn: (signedIn: SignedIn) => void | Promise<void>;
  /** The session ended by itself (renewal refused); the page drops what it shows. */
  readonly onSignedOut: () => void;
}

export interface Shell {
  lang(): Language;
  /** A person-readable message for a failure (common/problems.ts). */
  errorText(error: unknown, fieldLabel?: (field: string) => string | undefined): string;
  signOut(): Promise<void>;
}

/** Starts the page: language, settings, completing a sign-in the provider redirected back with. */
export function startShell(options: ShellOptions): Shell {
  let lang: Language = initialLanguage(navigator.languages ?? [navigator.language]);
  let session: Session | undefined;
  /** Draws the header's "signed in as", once someone is. */
  let drawWho: (() => void) | undefined;
  const t = (key: string, params?: Readonly<Record<string, string | number>>) =>
    options.translate(lang, key, params);

  const applyLanguage = (next: Language) => {
    lang = next;
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]'))
      node.textContent = t(node.dataset.i18n ?? '');
    for (const node of document.querySelectorAll<HTMLElement>('[data-i18n-label]'))
      node.setAttribute('aria-label', t(node.dataset.i18nLabel ?? ''));
    for (const node of document.querySelectorAll<HTMLElement>('[data-i18n-placeholder]'))
      node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder ?? ''));
    const toggle = $('lang-toggle');
    toggle.lang = lang === 'de' ? 'en' : 'de';
    toggle.textContent = lang === 'de' ? 'English' : 'Deutsch';
    toggle.setAttribute('aria-label', lang === 'de' ? 'Switch to English' : 'Auf Deutsch umschalten');
    options.onLanguage(lang);
    drawWho?.();
  };

  const shell: Shell = {
    lang: () => lang,
    errorText: (error, fieldLabel) => problemText(lang, error, fieldLabel),
    signOut: async () => {
      await session?.signOut();
    },
  };

  const showSignedOut = (message?: string, isError = false) => {
    $('workspace').hidden = true;
    $('sign-out').hidden = true;
    $('signed-in-as').hidden = true;
    $('sign-in').hidden = false;
    setMessage('sign-in-message', message ?? '', isError);
  };

  // The button works from the first moment: a click before the provider's discovery
  // document has arrived waits for it instead of being lost.
  let signInReady: (session: Session | undefined) => void = () => {};
  const ready = new Promise<Session | undefined>((done) => {
    signInReady = done;
  });
  $('sign-in-button').addEventListener('click', () => {
    void ready.then((s) => s?.signIn());
  });

  const start = async () => {
    const redirectUri = `${location.origin}${location.pathname}`;
    let settings: PageSettings;
    try {
      const response = await fetch(`${location.pathname.replace(/\/$/, '')}/config.json`, {
        credentials: 'omit',
      });
      settings = (await response.json()) as PageSettings;
    } catch {
      showSignedOut(t('settingsUnavailable'), true);
      return;
    }
    if (!settings.signIn) {
      showSignedOut(t('signInNotConfigured'), true);
      $<HTMLButtonElement>('sign-in-button').disabled = true;
      return;
    }
    try {
      session = await Session.discover(settings.signIn, redirectUri);
    } catch (error) {
      showSignedOut(shell.errorText(error), true);
      return;
    }
    const current = session;
    current.onEnded = () => {
      options.onSignedOut();
      showSignedOut(shell.errorText(new SignInError('session-ended')), true);
    };
    signInReady(current);
    try {
      if (!(await current.completeSignIn(new URL(location.href)))) return;
    } catch (error) {
      showSignedOut(shell.errorText(error), true);
      return;
    }
    const api = new PeopleApi({
      base: apiBase(location, options.page),
      prefix: settings.peoplePrefix,
      token: () => current.idToken,
    });
    let me: WhoAmI;
    try {
      me = await api.json<WhoAmI>('GET', '/v1/whoami');
    } catch (error) {
      showSignedOut(shell.errorText(error), true);
      $('sign-out').hidden = false;
      return;
    }
    if (!options.kinds.includes(me.kind)) {
      showSignedOut(t('wrongPage', { name: me.name ?? me.principal }), true);
      $('sign-out').hidden = false;
      return;
    }
    const email = current.person?.email;
    drawWho = () => {
      $('signed-in-as').textContent = t('signedInAs', {
        person: email ?? t('someone'),
        unit: me.name ?? me.principal,
      });
    };
    drawWho();
    $('sign-in').hidden = true;
    $('signed-in-as').hidden = false;
    $('sign-out').hidden = false;
    $('workspace').hidden = false;
    await options.onSignedIn({ api, me, email });
  };

  $('lang-toggle').addEventListener('click', () => applyLanguage(lang === 'de' ? 'en' : 'de'));
  $('sign-out').addEventListener('click', () => void shell.signOut());
  applyLanguage((LANGUAGES as readonly string[]).includes(lang) ? lang : 'de');
  void start();
  return shell;
}
