import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '#cli/rex.ts';
import { assertPrerequisites } from '#local/preflight.ts';
import { openKeyBackup } from '#shared/domain/crypto/key-backup.ts';
import { axeViolations } from '#test/support/axe.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { launchChromium, setUpOfficeKey, signInAs } from '#test/support/people-pages.ts';
import { consentRequest } from '#test/support/sample-requests.ts';
import { until as waitUntil } from '#test/support/wait.ts';
import { captureIo } from '#test/unit/cli/support.ts';

/**
 * The counselling office's page in a real headless Chromium against the local platform,
 * as counsellors use it: sign in through the OpenID provider, create the office's key in
 * the browser (the backup file downloaded before the key is published, and readable by
 * rex), see a referral the authority made, open it (receipt first, then decryption in
 * the browser), read the person's data in German and print it, report contact, find a
 * revoked referral unopenable, forward one to another office that opens it with its own
 * key, import the backup in a second browser, rotate and retire keys — with axe on every
 * state, by keyboard, and never a private key or the backup in any request.
 * Screenshots go to test-results/.
 */

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const OFFICE = 'mbe-caritas-bruchsal';
const OTHER = 'mbe-diakonie-bruchsal';
const SHOTS = 'test-results';
const PASSWORD = 'Beratung-Bruchsal-2026';
const OTHER_PASSWORD = 'Diakonie-Schluessel-2026';
const BRUCHSAL = '08215009';

const until = <T>(probe: () => Promise<T | undefined>, what: string) => waitUntil(probe, what, 30_000, 200);
const azrNumber = () => `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`;

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

describe('the office page in Chromium', () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let page: Page;
  const sent: Sent[] = [];
  const consoleErrors: string[] = [];
  const downloads = mkdtempSync(join(tmpdir(), 'rex-office-downloads-'));
  let backupPath = '';
  let firstKid = '';
  const referrals: Record<'first' | 'revoked' | 'forwarded', string> = {
    first: '',
    revoked: '',
    forwarded: '',
  };
  let forwardedTo = '';
  let firstConsent = '';

  async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      locale: 'de-DE',
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    context.on('request', (r) => {
      sent.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() ?? '' });
    });
    const p = await context.newPage();
    p.on('console', (m) => {
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => consoleErrors.push(e.message));
    p.on('dialog', (d) => void d.accept());
    return { context, page: p };
  }

  const signIn = (p: Page, unit: string) => signInAs(p, platform, unit, '/office');
  /** Creates the office's key on the page; answers the downloaded backup file's path. */
  const setUpKey = (p: Page, password: string, name: string) => setUpOfficeKey(p, password, downloads, name);

  async function refer(providerIds: string[], extra: Record<string, unknown> = {}) {
    const subject = { azrNumber: azrNumber(), dateOfBirth: '1981-03-02' };
    const consent = await platform.request(AUTHORITY, '/v1/consents', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: consentRequest(subject, {
        scope: { serviceTypes: ['MBE'], providerIds },
        purposes: ['migration-counselling'],
        dataCategories: [
          'identity',
          'contact',
          'address',
          'nationality-and-languages',
          'residence-status',
          'needs',
        ],
      }),
    });
    expect(consent.status, await consent.clone().text()).toBe(201);
    const { id: consentId } = (await consent.json()) as { id: string };
    const res = await platform.request(AUTHORITY, '/v1/referrals', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: {
        consentId,
        caseReference: `ABH-2026/${randomInt(1000, 9999)}`,
        person: {
          ...subject,
          familyName: 'Haddad',
          givenNames: 'Rana',
          sex: 'female',
          nationality: 'SYR',
          languages: ['ar', 'de'],
          phone: '+49 171 5550199',
          address: {
            street: 'Kaiserstraße 1',
            postalCode: '76646',
            city: 'Bruchsal',
            municipality: BRUCHSAL,
          },
          residenceStatus: 'refugee-protection',
          dateOfEntry: '2025-10-01',
          ...extra,
        },
        note: 'Braucht Hilfe bei der Anerkennung ihres Abschlusses.',
      },
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const accepted = (await res.json()) as { referralId: string; serviceOffice: { id: string } };
    expect(accepted.serviceOffice.id).toBe(OFFICE);
    await statusOf(accepted.referralId, 'queued');
    return { referralId: accepted.referralId, consentId };
  }

  async function view(referralId: string) {
    const res = await platform.request(AUTHORITY, `/v1/referrals/${referralId}`);
    return (await res.json()) as {
      status: string;
      history: { status: string }[];
      forwardedTo?: { referralId: string; serviceOffice: { id: string } };
    };
  }

  const statusOf = (referralId: string, status: string) =>
    until(
      async () => ((await view(referralId)).status === status ? true : undefined),
      `${referralId} ${status}`,
    );

  const row = (p: Page, referralId: string) => p.locator(`#inbox-table tr[data-referral="${referralId}"]`);

  async function shot(p: Page, name: string): Promise<void> {
    await p.screenshot({ path: `${SHOTS}/office-${name}.png`, fullPage: true });
  }

  async function expectAccessible(p: Page): Promise<void> {
    expect(await axeViolations(p)).toEqual([]);
  }

  beforeAll(async () => {
    assertPrerequisites({ chromium: true });
    mkdirSync(SHOTS, { recursive: true });
    platform = await startLocalPlatform();
    browser = await launchChromium();
    ({ page } = await newContext());
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.interrupt();
    rmSync(downloads, { recursive: true, force: true });
  });

  it('is served with a strict CSP; the sign-in view is accessible and asks for no key', async () => {
    const response = await page.goto(`${platform.apiUrl}/office`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.getByRole('button', { name: 'Anmelden' }).waitFor();
    await expectAccessible(page);
    await shot(page, 'sign-in');
  });

  it('signs the counsellor in; with no published key the page offers to create one, accessibly', async () => {
    await signIn(page, `service:${OFFICE}`);
    await expect
      .poll(() => page.locator('#keys-status').textContent())
      .toContain('Ihre Stelle hat noch keinen Schlüssel');
    expect(await page.locator('#key-setup').isVisible()).toBe(true);
    const unlabelled = await page.$$eval('input, select, textarea', (els) =>
      els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id),
    );
    expect(unlabelled).toEqual([]);
    await expectAccessible(page);
    await shot(page, 'key-setup');
  });

  it('creates the key in the browser: the backup is saved first, rex imports it, then the public key is published', async () => {
    // A short password is refused in words.
    await page.getByLabel('Passwort für die Sicherungsdatei').fill('kurz');
    await page.getByLabel('Passwort wiederholen').fill('kurz');
    await page.getByRole('button', { name: 'Schlüssel erzeugen' }).click();
    await expect
      .poll(() => page.locator('#setup-message').textContent())
      .toBe('Das Passwort muss mindestens 12 Zeichen lang sein.');
    expect((await (await fetch(`${platform.apiUrl}/v1/services/${OFFICE}/keys`)).json()).keys).toEqual([]);
    backupPath = await setUpKey(page, PASSWORD, 'caritas-1.json');
    const keys = (await (await fetch(`${platform.apiUrl}/v1/services/${OFFICE}/keys`)).json()) as {
      current: string;
      keys: Record<string, unknown>[];
    };
    firstKid = keys.current;
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).not.toHaveProperty('d');
    // The backup file is the shared format, and rex reads it.
    const text = readFileSync(backupPath, 'utf8');
    expect((await openKeyBackup(text, PASSWORD)).kid).toBe(firstKid);
    const rexDir = mkdtempSync(join(tmpdir(), 'rex-office-keys-'));
    try {
      const io = captureIo(rexDir, { REX_KEY_BACKUP_PASSWORD: PASSWORD });
      expect(await run(['keys', 'import', backupPath, '--key-dir', 'keys'], io)).toBe(0);
      expect(io.out()).toContain(`Imported ${firstKid}`);
      expect(readdirSync(join(rexDir, 'keys')).sort()).toHaveLength(2);
    } finally {
      rmSync(rexDir, { recursive: true, force: true });
    }
    // In IndexedDB as a non-extractable CryptoKey; nothing in local or session storage.
    const held = await page.evaluate(
      () =>
        new Promise<{ kid: string; extractable: boolean; type: string; hasD: boolean }[]>(
          (resolve, reject) => {
            const request = indexedDB.open('referral-exchange-office');
            request.onerror = () => reject(request.error);
            request.onsuccess = () => {
              const get = request.result.transaction('keys').objectStore('keys').getAll();
              get.onsuccess = () =>
                resolve(
                  (get.result as { kid: string; privateKey: CryptoKey; publicJwk: object }[]).map((k) => ({
                    kid: k.kid,
                    extractable: k.privateKey.extractable,
                    type: k.privateKey.type,
                    hasD: 'd' in k.publicJwk,
                  })),
                );
            };
          },
        ),
    );
    expect(held).toEqual([{ kid: firstKid, extractable: false, type: 'private', hasD: false }]);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    await expectAccessible(page);
    await shot(page, 'key-published');
  });

  it('lists a referral the authority made; opening it acknowledges the receipt before decrypting', async () => {
    ({ referralId: referrals.first, consentId: firstConsent } = await refer(['caritas-bruchsal']));
    await page.getByRole('button', { name: 'Aktualisieren' }).click();
    const listed = row(page, referrals.first);
    await listed.waitFor();
    expect(await listed.locator('td').nth(3).textContent()).toBe('neu');
    expect(await listed.locator('td').nth(0).textContent()).toMatch(/^\d{2}\.\d{2}\.\d{4}heute$/);
    expect(await listed.locator('td').nth(2).textContent()).toBe('Landratsamt Karlsruhe – Ausländerbehörde');
    expect(await listed.locator('td').nth(4).textContent()).toMatch(/^Erinnerung am \d{2}\.\d{2}\.\d{4}$/);
    await expectAccessible(page);
    await shot(page, 'inbox');
    const before = sent.length;
    await listed.getByRole('button', { name: /^Öffnen und Empfang bestätigen: Zuweisung ABH-/ }).click();
    await page.locator('#person').waitFor();
    // The page calls the people's twin of each operation (/<stage>/people/v1/…).
    const people = `${new URL(platform.apiUrl).pathname}/people/`;
    const calls = sent
      .slice(before)
      .map((s) => `${s.method} ${new URL(s.url).pathname.replace(people, '/')}`);
    const receipt = calls.indexOf(`POST /v1/referrals/${referrals.first}/receipt`);
    const ciphertext = calls.indexOf(`GET /v1/referrals/${referrals.first}/ciphertext`);
    expect(receipt).toBeGreaterThanOrEqual(0);
    expect(ciphertext).toBeGreaterThan(receipt);
    expect((await view(referrals.first)).history.map((h) => h.status)).toEqual([
      'accepted',
      'queued',
      'received',
    ]);
  });

  it("shows the person's data in German like the paper form, and prints it", async () => {
    const field = (path: string) => page.locator(`#person-form dd[data-field="${path}"]`);
    const label = (path: string) => field(path).locator('xpath=preceding-sibling::dt[1]');
    expect(await field('familyName').textContent()).toBe('Haddad');
    expect(await label('familyName').textContent()).toBe('Familienname');
    expect(await field('dateOfBirth').textContent()).toBe('02.03.1981');
    expect(await field('sex').textContent()).toBe('weiblich');
    expect(await field('nationality').textContent()).toBe('Syrien');
    expect(await field('languages').textContent()).toBe('Arabisch, Deutsch');
    expect(await field('address.municipality').textContent()).toBe('Bruchsal (08215009)');
    expect(await label('address.municipality').textContent()).toBe('Gemeinde');
    expect(await field('residenceStatus').textContent()).toBe(
      'Asyl, Flüchtlings- oder subsidiärer Schutz (§ 25 Abs. 1–2 AufenthG)',
    );
    expect(await field('dateOfEntry').textContent()).toBe('01.10.2025');
    expect(await field('note').textContent()).toBe('Braucht Hilfe bei der Anerkennung ihres Abschlusses.');
    const headings = await page.locator('#person-form h4').allTextContents();
    expect(headings).toEqual([
      'Personalien',
      'Kontaktdaten',
      'Anschrift',
      'Staatsangehörigkeit und Sprachen',
      'Aufenthaltsstatus',
      'Beratungsbedarf',
    ]);
    expect(await page.locator('#referral-facts').textContent()).toContain('empfangen');
    await expectAccessible(page);
    await shot(page, 'referral-open');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.bar').isVisible()).toBe(false);
    expect(await page.locator('#inbox').isVisible()).toBe(false);
    expect(await page.locator('#person-form').isVisible()).toBe(true);
    expect(await page.locator('#printed-from').textContent()).toMatch(/^Ausgedruckt .* Vertraulich/);
    await shot(page, 'print');
    await page.emulateMedia({ media: 'screen' });
    // Nothing decrypted was stored.
    expect(
      await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length),
    ).toBe(0);
  });

  it('reports contact: the authority sees it', async () => {
    expect(await page.locator('#sees-contacted').textContent()).toContain('Die Ausländerbehörde sieht');
    await page.getByRole('button', { name: 'Kontakt aufgenommen' }).click();
    await expect
      .poll(() => page.locator('#actions-message').textContent())
      .toBe('Gemeldet: Kontakt aufgenommen.');
    expect((await view(referrals.first)).status).toBe('contacted');
    expect(await row(page, referrals.first).locator('td').nth(3).textContent()).toBe('Kontakt aufgenommen');
    await expectAccessible(page);
    await shot(page, 'contacted');
  });

  it('says so when the ciphertext decrypts with none of the keys, naming the key it was encrypted to', async () => {
    await page.route('**/v1/referrals/*/ciphertext', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { jwe: string };
      const parts = body.jwe.split('.');
      parts[4] = `${parts[4]!.startsWith('A') ? 'B' : 'A'}${parts[4]!.slice(1)}`;
      await route.fulfill({ response, json: { ...body, jwe: parts.join('.') } });
    });
    await row(page, referrals.first).getByRole('button').click();
    await expect
      .poll(() => page.locator('#referral-message').textContent())
      .toBe(
        `Diese Zuweisung lässt sich mit keinem Schlüssel dieses Browsers entschlüsseln. Sie ist für den Schlüssel ${firstKid.slice(0, 10)}… verschlüsselt – entweder wurde sie verändert, oder die Sicherungsdatei gehört zu einem anderen Schlüssel.`,
      );
    expect(await page.locator('#person').isVisible()).toBe(false);
    await page.unroute('**/v1/referrals/*/ciphertext');
    await shot(page, 'decryption-failed');
  });

  it('shows a referral revoked before opening as such, and it cannot be opened', async () => {
    const { referralId, consentId } = await refer(['caritas-bruchsal']);
    referrals.revoked = referralId;
    const withdrawn = await platform.request(AUTHORITY, `/v1/consents/${consentId}/withdrawal`, {
      method: 'POST',
      body: {},
    });
    expect(withdrawn.status, await withdrawn.clone().text()).toBeLessThan(300);
    await statusOf(referralId, 'revoked');
    await page.getByLabel('Anzeigen').selectOption('revoked');
    const listed = row(page, referralId);
    await listed.waitFor();
    expect(await listed.locator('td').nth(3).textContent()).toBe('widerrufen');
    expect(await listed.locator('td').nth(5).textContent()).toBe('nicht zu öffnen');
    expect(await listed.getByRole('button').count()).toBe(0);
    // Even asked directly, the API gives nothing to decrypt.
    const res = await platform.request(`service:${OFFICE}`, `/v1/referrals/${referralId}/ciphertext`);
    expect(res.status).toBe(410);
    await expectAccessible(page);
    await shot(page, 'revoked');
    await page.getByLabel('Anzeigen').selectOption('all');
  });

  it('forwards a referral to another office, which opens it with its own key', async () => {
    // The other office's counsellor creates that office's key on the page first.
    const other = await newContext();
    await signIn(other.page, `service:${OTHER}`);
    await other.page.locator('#key-setup').waitFor();
    await setUpKey(other.page, OTHER_PASSWORD, 'diakonie-1.json');

    referrals.forwarded = (await refer(['caritas-bruchsal'])).referralId;
    await page.getByRole('button', { name: 'Aktualisieren' }).click();
    await row(page, referrals.forwarded).getByRole('button').click();
    await page.locator('#person').waitFor();
    await page.getByLabel('Grund der Ablehnung').selectOption('not-responsible');
    const options = await page.locator('#forward-to option').allTextContents();
    expect(options).toContain('Migrationsberatung für erwachsene Zuwanderer – Diakonie Bruchsal (MBE)');
    // Every other office that serves the person's municipality, never this one.
    expect(options).not.toContain('Migrationsberatung für erwachsene Zuwanderer – Caritas Bruchsal (MBE)');
    expect(options.length).toBeGreaterThanOrEqual(2);
    await page.getByLabel('Stelle, die die Person übernehmen soll').selectOption(OTHER);
    expect(await page.locator('#sees-forward').textContent()).toContain(
      '„weitergeleitet an Migrationsberatung für erwachsene Zuwanderer – Diakonie Bruchsal“',
    );
    await expectAccessible(page);
    await shot(page, 'forward');
    await page.getByRole('button', { name: 'Ablehnen und weiterleiten' }).click();
    await expect
      .poll(() => page.locator('#actions-message').textContent())
      .toMatch(/^Weitergeleitet an .*Diakonie/);
    const declined = await view(referrals.forwarded);
    expect(declined.status).toBe('declined');
    expect(declined.forwardedTo?.serviceOffice.id).toBe(OTHER);
    forwardedTo = declined.forwardedTo!.referralId;
    await statusOf(forwardedTo, 'queued');

    await other.page.getByRole('button', { name: 'Aktualisieren' }).click();
    await row(other.page, forwardedTo).getByRole('button').click();
    await other.page.locator('#person').waitFor();
    expect(await other.page.locator('#person-form dd[data-field="familyName"]').textContent()).toBe('Haddad');
    expect(await other.page.locator('#referral-facts').textContent()).toContain('Weitergeleitet von');
    await expectAccessible(other.page);
    await shot(other.page, 'forwarded-opened');
    await other.context.close();
  });

  it("imports the backup in a second counsellor's browser and opens the same referral, by keyboard", async () => {
    const second = await newContext();
    const p = second.page;
    await signIn(p, `service:${OFFICE}`);
    await expect.poll(() => p.locator('#keys-status').textContent()).toContain('nicht vorhanden');
    expect(await p.locator('#key-import').isVisible()).toBe(true);
    await p.getByLabel('Sicherungsdatei', { exact: true }).setInputFiles(backupPath);
    await p.getByLabel('Passwort der Sicherungsdatei').fill('falsches-Passwort-2026');
    await p.getByRole('button', { name: 'Sicherung einlesen' }).click();
    await expect
      .poll(() => p.locator('#import-message').textContent())
      .toBe('Das Passwort öffnet diese Sicherungsdatei nicht.');
    await expectAccessible(p);
    await shot(p, 'import-wrong-password');
    await p.getByLabel('Sicherungsdatei', { exact: true }).setInputFiles(backupPath);
    await p.getByLabel('Passwort der Sicherungsdatei').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sicherung einlesen' }).click();
    await expect
      .poll(() => p.locator('#import-message').textContent())
      .toMatch(/^Schlüssel .* ist jetzt in diesem Browser\.$/);
    await p.getByRole('button', { name: 'Aktualisieren' }).click();
    await row(p, referrals.first).waitFor();
    // By keyboard: from the refresh button to the first referral's button, visibly focused.
    await p.locator('#refresh').focus();
    const target = row(p, referrals.first).getByRole('button');
    for (let i = 0; i < 30 && !(await target.evaluate((b) => b === document.activeElement)); i++) {
      await p.keyboard.press('Tab');
    }
    // Focused and visibly so (polled: the list may still be drawing after the refresh).
    await expect
      .poll(() =>
        target.evaluate((b) =>
          b === document.activeElement ? getComputedStyle(b).outlineStyle : 'not focused',
        ),
      )
      .toBe('solid');
    await p.keyboard.press('Enter');
    await p.locator('#person').waitFor();
    expect(await p.locator('#person-form dd[data-field="familyName"]').textContent()).toBe('Haddad');
    await shot(p, 'second-browser');

    // Hidden for longer than a few minutes: the decrypted view is dropped.
    await p.evaluate(() => {
      const originalNow = Date.now;
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      Date.now = () => originalNow() + 4 * 60_000;
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      Date.now = originalNow;
    });
    expect(await p.locator('#person').isVisible()).toBe(false);
    expect(await p.locator('#person-form').innerHTML()).toBe('');
    expect(await p.locator('#referral-message').textContent()).toContain('ausgeblendet');
    await second.context.close();
  });

  it('rotates the key (the old one stays for decrypting) and retires the old one', async () => {
    await page.getByRole('button', { name: 'Schließen' }).click();
    await page.getByRole('button', { name: 'Schlüssel wechseln' }).click();
    await setUpKey(page, PASSWORD, 'caritas-2.json');
    let keys = (await (await fetch(`${platform.apiUrl}/v1/services/${OFFICE}/keys`)).json()) as {
      current: string;
      keys: { kid: string }[];
    };
    expect(keys.current).not.toBe(firstKid);
    expect(keys.keys.map((k) => k.kid).sort()).toEqual([firstKid, keys.current].sort());
    // The referral encrypted to the old key still opens.
    await row(page, referrals.first).getByRole('button').click();
    await page.locator('#person').waitFor();
    await expectAccessible(page);
    await shot(page, 'rotated');
    await page.getByRole('button', { name: `Zurückziehen: Schlüssel ${firstKid.slice(0, 10)}…` }).click();
    await expect.poll(() => page.locator('#keys-status').textContent()).toMatch(/ist zurückgezogen\.$/);
    keys = (await (await fetch(`${platform.apiUrl}/v1/services/${OFFICE}/keys`)).json()) as typeof keys;
    expect(keys.keys.map((k) => k.kid)).toEqual([keys.current]);
    // Its referrals now name the key they need.
    await row(page, referrals.first).getByRole('button').click();
    await expect
      .poll(() => page.locator('#referral-message').textContent())
      .toContain(`für den Schlüssel ${firstKid.slice(0, 10)}… verschlüsselt`);
    await shot(page, 'retired');
  });

  it('lists the erasure request of a withdrawal after receipt; the counsellor confirms it in a dialog, by keyboard', async () => {
    expect(await page.locator('#erasure').isHidden()).toBe(true);
    const withdrawn = await platform.request(AUTHORITY, `/v1/consents/${firstConsent}/withdrawal`, {
      method: 'POST',
      body: { reason: 'subject-request' },
    });
    expect(withdrawn.status).toBe(200);
    await until(async () => {
      const res = await platform.request(AUTHORITY, `/v1/referrals/${referrals.first}`);
      return ((await res.json()) as { erasure?: unknown }).erasure ? true : undefined;
    }, 'the erasure request');
    await page.getByRole('button', { name: 'Aktualisieren' }).click();
    const asked = page.locator(`#erasure-table tr[data-erasure="${referrals.first}"]`);
    await asked.waitFor();
    expect(await page.locator('#h-erasure').textContent()).toBe('Löschersuchen');
    expect(await asked.locator('td').nth(0).textContent()).toMatch(/^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/);
    expect(await asked.locator('td').nth(2).textContent()).toBe('Landratsamt Karlsruhe – Ausländerbehörde');
    expect(await asked.locator('td').nth(3).textContent()).toBe('Einwilligung widerrufen');
    expect(await asked.locator('td').nth(4).textContent()).toBe('keine');
    expect(await page.locator('#erasure-message').textContent()).toBe('1 offenes Löschersuchen.');
    // The referral open below drops what was decrypted of it and says where to confirm.
    expect(await page.locator('#referral-message').textContent()).toMatch(
      /^Für diese Zuweisung ist die Löschung angefordert/,
    );
    expect(await page.locator('#person').isHidden()).toBe(true);
    await expect
      .poll(() => row(page, referrals.first).locator('td').nth(3).textContent())
      .toBe('Kontakt aufgenommen – Löschung angefordert');
    expect(await row(page, referrals.first).locator('td').nth(4).textContent()).toMatch(
      /^Erinnerung an die Löschung am \d{2}\.\d{2}\.\d{4}$/,
    );
    await expectAccessible(page);
    await shot(page, 'erasure-requested');

    // By keyboard: the button opens the dialog, which says what confirming means.
    await asked.getByRole('button', { name: /^Löschung bestätigen: Zuweisung ABH-/ }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Löschung bestätigen?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Die Bestätigung lässt sich nicht zurücknehmen.');
    expect(await dialog.textContent()).toContain('Ausdrucke, gespeicherte Dateien');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('erasure-done');
    await expectAccessible(page);
    await shot(page, 'erasure-dialog');
    // Escape cancels: nothing confirmed, focus back on the button.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Löschung bestätigen …');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    // Confirming without ticking that the copies are deleted is refused in the dialog.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#erasure-dialog-message').textContent())
      .toBe('Bitte löschen Sie zuerst alle Kopien und kreuzen Sie das an.');
    expect(await dialog.isVisible()).toBe(true);
    await expectAccessible(page);
    await shot(page, 'erasure-dialog-unticked');
    await page.locator('#erasure-done').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await expect
      .poll(() => page.locator('#erasure-message').textContent())
      .toMatch(/^Die Löschung der Zuweisung ABH-\d+\/\d+ ist bestätigt \(\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/);
    expect(await page.locator('#erasure-table tr[data-erasure]').count()).toBe(0);
    expect(await row(page, referrals.first).locator('td').nth(3).textContent()).toBe(
      'Kontakt aufgenommen – Löschung bestätigt',
    );
    const status = await platform.request('dpo:lk-karlsruhe', `/v1/consents/${firstConsent}/erasure`);
    const recipients = (
      (await status.json()) as { recipients: { referralId: string; erasure: { confirmedAt?: string } }[] }
    ).recipients;
    expect(recipients.find((r) => r.referralId === referrals.first)?.erasure.confirmedAt).toEqual(
      expect.any(String),
    );
    await expectAccessible(page);
    await shot(page, 'erasure-confirmed');
  });

  it('switches to English', async () => {
    await page.getByRole('button', { name: 'Switch to English' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('#h-inbox').textContent()).toBe('Referrals');
    expect(await row(page, referrals.first).locator('td').nth(3).textContent()).toBe(
      'contact made – erasure confirmed',
    );
    expect(await page.locator('#h-erasure').textContent()).toBe('Erasure requests');
    expect(await page.locator('#erasure-message').textContent()).toMatch(
      /^The erasure of referral ABH-.* is confirmed/,
    );
    await expectAccessible(page);
    await shot(page, 'english');
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
  });

  it('sent no private key member, no backup and no password in any request', async () => {
    const backup = readFileSync(backupPath, 'utf8');
    const { privateKey } = JSON.parse(backup) as { privateKey: string };
    const { privateJwk } = await openKeyBackup(backup, PASSWORD);
    const secrets = [privateKey, PASSWORD, OTHER_PASSWORD, privateJwk.d!, privateJwk.p!, privateJwk.q!];
    const privateMembers = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);
    const membersOf = (value: unknown): string[] =>
      typeof value !== 'object' || value === null
        ? []
        : Object.entries(value).flatMap(([k, v]) => [k, ...membersOf(v)]);
    expect(sent.length).toBeGreaterThan(20);
    let bodies = 0;
    for (const request of sent) {
      const all = `${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`;
      for (const secret of secrets) expect(all, request.url).not.toContain(secret);
      if (request.body.startsWith('{')) {
        bodies++;
        expect(
          membersOf(JSON.parse(request.body)).filter((m) => privateMembers.has(m)),
          request.url,
        ).toEqual([]);
      }
    }
    // The keys were published (and the forwarding sent the person's data), so bodies were inspected.
    expect(bodies).toBeGreaterThanOrEqual(4);
    expect(sent.some((s) => s.method === 'PUT' && s.url.endsWith(`/v1/services/${OFFICE}/keys`))).toBe(true);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
