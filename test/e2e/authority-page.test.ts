import { createHash, generateKeyPairSync, randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPrerequisites } from '#local/preflight.ts';
import { axeViolations } from '#test/support/axe.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import {
  type ConsentSubject,
  feedRow,
  feedStatus as feedStatusOn,
  fillAddress as fillAddressOn,
  fillConsent as fillConsentOn,
  launchChromium,
  personOf,
  signInAs,
} from '#test/support/people-pages.ts';
import { consentRequest, referralRequest } from '#test/support/sample-requests.ts';
import { until as waitUntil } from '#test/support/wait.ts';

/**
 * The clerk desk in a real headless Chromium against the local platform, as a clerk of
 * the Landratsamt Karlsruhe would use it: sign in through the OpenID provider, record a
 * consent with the scanned form hashed in the browser (its bytes never sent), check who
 * is responsible and why, refer, hand over the office's contact; the office (a program,
 * over SigV4) receives and reports contact, and the clerk's list says so; a withdrawal
 * revokes a referral the office has not opened. axe-core in every state, by keyboard,
 * screenshots in test-results/.
 */

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const OFFICE = 'mbe-caritas-bruchsal';
const SHOTS = 'test-results';
/** Bytes that exist only in the scanned form: no request may carry them. */
const CANARY = `SCAN-CANARY-${randomInt(1e9, 9e9)}`;
const SCAN = Buffer.from(`%PDF-1.7\n% signed consent form\n${CANARY}\n%%EOF\n`);

/** Referrals made by the authority's program before the clerk starts, so the list has pages. */
const EARLIER = 11;
const until = <T>(probe: () => Promise<T | undefined>, what: string) => waitUntil(probe, what, 30_000, 200);
const azrNumber = () => `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`;

describe('the clerk desk in Chromium', () => {
  let platform: RunningPlatform;
  const clerk = () => personOf(platform, AUTHORITY);
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  /** Every request body the page sent, and the Idempotency-Keys of referrals. */
  const bodies: string[] = [];
  const referralKeys: string[] = [];
  const caseA = `ABH-2026/${randomInt(1000, 9999)}`;
  const caseB = `ABH-2026/${randomInt(10000, 99999)}`;
  let referralA = '';

  const row = (caseReference: string) => feedRow(page, caseReference);

  async function axe(state: string) {
    expect(await axeViolations(page), state).toEqual([]);
  }

  async function shot(name: string) {
    await page.screenshot({ path: `${SHOTS}/authority-${name}.png`, fullPage: true });
  }

  const feedStatus = (caseReference: string) => feedStatusOn(page, caseReference);

  const fillConsent = (subject: ConsentSubject) => fillConsentOn(page, subject, SCAN);
  const fillAddress = (caseReference: string) => fillAddressOn(page, caseReference);

  beforeAll(async () => {
    assertPrerequisites({ chromium: true });
    mkdirSync(SHOTS, { recursive: true });
    platform = await startLocalPlatform();
    // The office has a key, so it can be referred to (as the DPO page's test publishes one).
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = {
      ...publicKey.export({ format: 'jwk' }),
      kid: 'clerk-page-test-1',
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
    };
    const published = await platform.request(`service:${OFFICE}`, `/v1/services/${OFFICE}/keys`, {
      method: 'PUT',
      body: { keys: [jwk] },
    });
    expect(published.status, await published.clone().text()).toBeLessThan(300);
    for (let i = 0; i < EARLIER; i++) {
      const person = {
        azrNumber: azrNumber(),
        dateOfBirth: '1985-05-17',
        familyName: 'Früher',
        givenNames: 'Eine',
      };
      const consent = await platform.request(AUTHORITY, '/v1/consents', {
        method: 'POST',
        headers: { 'idempotency-key': `clerk-page-earlier-${i}-${person.azrNumber}` },
        body: consentRequest(person, { scope: { serviceTypes: ['MBE'], providerIds: [] } }),
      });
      expect(consent.status, await consent.clone().text()).toBe(201);
      const { id } = (await consent.json()) as { id: string };
      const referral = await platform.request(AUTHORITY, '/v1/referrals', {
        method: 'POST',
        headers: { 'idempotency-key': `clerk-page-earlier-referral-${i}-${person.azrNumber}` },
        body: { ...referralRequest(id, person), caseReference: `ABH-2025/${1000 + i}` },
      });
      expect(referral.status, await referral.clone().text()).toBe(202);
    }

    browser = await launchChromium();
    page = await browser.newPage({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => {
      const body = r.postDataBuffer();
      if (body) bodies.push(body.toString('latin1'));
      if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/v1/referrals'))
        referralKeys.push(r.headers()['idempotency-key'] ?? '');
    });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.interrupt();
  });

  it('is served with a strict Content-Security-Policy, every control labelled, in German', async () => {
    const response = await page.goto(`${platform.apiUrl}/authority`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    const unlabelled = await page.$$eval('input, select, textarea', (els) =>
      els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id),
    );
    expect(unlabelled).toEqual([]);
    await axe('sign-in');
    await shot('sign-in');
  });

  it('signs the clerk in through the OpenID provider; nothing kept in storage', async () => {
    await signInAs(page, platform, AUTHORITY);
    expect(page.url()).toBe(`${platform.apiUrl}/authority`);
    await expect
      .poll(() => page.locator('#signed-in-as').textContent())
      .toBe(`Angemeldet: ${clerk().email} (Landratsamt Karlsruhe – Ausländerbehörde)`);
    // The directory's choices are there by name; the cursor waits in the first field.
    await expect.poll(() => page.locator('#r-municipality option').count()).toBeGreaterThan(10);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('c-azrNumber');
    expect(
      await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length),
    ).toBe(0);
    await axe('empty consent form');
    await shot('consent-form');
  });

  it('names what is missing before sending anything, with the field labels', async () => {
    const before = bodies.length;
    await page.locator('#c-dateOfBirth').fill('31.02.1990');
    await page.getByRole('button', { name: 'Einwilligung erfassen' }).click();
    const message = (await page.locator('#consent-message').textContent()) ?? '';
    expect(message).toContain('Geburtsdatum: Bitte geben Sie ein Datum als TT.MM.JJJJ ein.');
    expect(message).toContain(
      'Eingescanntes Formular (bleibt auf diesem Rechner): Bitte wählen Sie das eingescannte Formular aus.',
    );
    expect(await page.locator('#c-dateOfBirth').getAttribute('aria-invalid')).toBe('true');
    expect(bodies.length).toBe(before);
    await axe('consent form with problems');
    // A person under 16 on the day of signing: the page says the guardian signs, and chooses it.
    await page.locator('#c-dateOfBirth').fill('01.01.2015');
    await expect.poll(() => page.locator('#guardian-hint').textContent()).toContain('unter 16');
    expect(await page.locator('#c-givenBy-guardian').isChecked()).toBe(true);
    await page.locator('#c-givenBy-subject').check();
  });

  it('records the consent with the scan hashed in the browser; the file is never sent', async () => {
    await fillConsent({ family: 'Haddad', given: 'Rana', dob: '02.03.1981' });
    await shot('consent-filled');
    // By keyboard: Enter in a field submits the form.
    await page.getByLabel('Fassung des Formulars').press('Enter');
    await page.locator('#consent-result').waitFor();
    expect(await page.locator('#consent-message').textContent()).toContain('Die Einwilligung ist erfasst');
    const summary = (await page.locator('#consent-summary').textContent()) ?? '';
    expect(summary).toContain('Migrationsberatung für erwachsene Zuwanderer');
    expect(summary).toContain('Caritasverband Bruchsal e.V.');
    expect(summary).toContain('Personalien; Kontaktdaten; Anschrift; Staatsangehörigkeit und Sprachen');
    expect(summary).toMatch(/gültig/);
    const sent = bodies.find((b) => b.includes('"evidence"')) ?? '';
    expect(JSON.parse(sent).evidence.sha256).toBe(createHash('sha256').update(SCAN).digest('hex'));
    for (const body of bodies) {
      expect(body).not.toContain(CANARY);
      expect(body).not.toContain(SCAN.toString('base64').slice(0, 24));
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-consent-result');
    // Nothing typed about the person is kept in the browser's storage.
    expect(
      await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length),
    ).toBe(0);
  });

  it('prints the consent receipt for the person, German then English, fetched with the clerk’s token', async () => {
    // By keyboard: the button is reached and pressed like any other.
    await page.getByRole('button', { name: 'Quittung für die Person' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#receipt').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-receipt');
    expect(await page.locator('#consent').isHidden()).toBe(true);
    const receipt = page.locator('#receipt-body');
    const [german, english] = await receipt.locator('.receipt-part').allTextContents();
    expect(german).toContain('Quittung über Ihre Einwilligung');
    expect(german).toContain('Landratsamt Karlsruhe');
    expect(german).toContain('Caritasverband Bruchsal e.V.');
    expect(german).toContain('So widerrufen Sie');
    expect(german).toMatch(/Erteilt am\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr/);
    expect(english).toContain('Receipt for your consent');
    expect(english).toContain('How to withdraw');
    expect(await receipt.locator('.receipt-part').first().getAttribute('lang')).toBe('de');
    expect(await receipt.locator('.receipt-part').last().getAttribute('lang')).toBe('en');
    const consentId = (await page.locator('#consent-summary dd').first().textContent()) ?? '';
    expect(german).toContain(consentId);
    // People words, never the codes behind them.
    for (const code of ['caritas-bruchsal', 'identity', 'sha256-']) expect(german).not.toContain(code);
    expect(german).toContain(createHash('sha256').update(SCAN).digest('hex'));
    await axe('consent receipt');
    await shot('receipt');
    await page.evaluate(() => {
      window.print = () => {
        document.body.dataset.printedReceipt = 'yes';
      };
    });
    await page.getByRole('button', { name: 'Quittung drucken' }).click();
    expect(await page.evaluate(() => document.body.dataset.printedReceipt)).toBe('yes');
    await page.emulateMedia({ media: 'print' });
    await shot('receipt-print');
    await page.emulateMedia({ media: 'screen' });
    // In English the desk's words change; the receipt stays German first.
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await expect.poll(() => page.locator('#h-receipt').textContent()).toBe('Receipt for the person');
    expect(await receipt.locator('.receipt-part').first().getAttribute('lang')).toBe('de');
    await axe('consent receipt in English');
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    await page.getByRole('button', { name: 'Zurück zur Einwilligung' }).click();
    expect(await page.locator('#receipt').isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('show-receipt');
    expect(
      await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length),
    ).toBe(0);
  });

  it('shows only the fields the consent covers, filled from the consent', async () => {
    await expect.poll(() => page.locator('#referral-form').isVisible()).toBe(true);
    const shown = await page.$$eval('#referral-form fieldset[data-category]', (sets) =>
      sets.filter((s) => !(s as HTMLFieldSetElement).hidden).map((s) => (s as HTMLElement).dataset.category),
    );
    expect(shown).toEqual(['identity', 'nationality-and-languages', 'contact', 'address']);
    expect(await page.locator('#r-residenceStatus').isVisible()).toBe(false);
    expect(await page.locator('#r-familyName').inputValue()).toBe('Haddad');
    expect(await page.locator('#r-dateOfBirth').inputValue()).toBe('02.03.1981');
    expect(await page.locator('#r-nationality option:checked').textContent()).toBe('Syrien');
    expect(await page.locator('#refer-intro').textContent()).toContain(
      'Personalien, Kontaktdaten, Anschrift',
    );
    await axe('referral form');
  });

  it('explains in German words who would be responsible, and why not', async () => {
    await fillAddress(caseA);
    await page.getByLabel('Sprache (bevorzugt)').selectOption({ label: 'Arabisch' });
    await page.getByLabel('Telefon').fill('+49 171 5550199');
    // A child would not be referred: the refusal in words, not codes.
    await page.locator('#r-dateOfBirth').fill('01.01.2018');
    await page.getByRole('button', { name: 'Zuständigkeit prüfen' }).click();
    const preview = page.locator('#preview-result');
    await expect.poll(() => preview.textContent()).toContain('erst ab 12 Jahren');
    expect(await preview.getAttribute('class')).toBe('notice bad');
    await page.locator('#r-dateOfBirth').fill('02.03.1981');
    await page.getByRole('button', { name: 'Zuständigkeit prüfen' }).click();
    await expect.poll(() => preview.getAttribute('class')).toBe('notice ok');
    const text = (await preview.textContent()) ?? '';
    expect(text).toContain('zuständig ist der Dienst Migrationsberatung für erwachsene Zuwanderer (MBE)');
    expect(text).toContain('Für Bruchsal sind 2 Stellen dieses Dienstes eingetragen');
    expect(text).toContain('Gewählt ist Migrationsberatung für erwachsene Zuwanderer – Caritas Bruchsal');
    expect(text).toContain('den die Person in der Einwilligung gewählt hat');
    for (const code of ['mbe-27-plus', OFFICE, 'caritas-bruchsal', '08215009', 'provider chosen'])
      expect(text).not.toContain(code);
    await axe('preview');
    await shot('preview');
  });

  it('shows an API refusal in words with the form’s field labels', async () => {
    await page.getByLabel('Postleitzahl').fill('7664');
    await page.getByRole('button', { name: 'Zuweisen' }).click();
    await expect
      .poll(() => page.locator('#refer-message').textContent())
      .toBe('Die Angaben sind unvollständig oder nicht im richtigen Format. (Postleitzahl: bitte prüfen)');
    expect(await page.locator('#refer-message').textContent()).not.toMatch(
      /postalCode|invalid-request|person\./,
    );
    expect(await page.locator('#r-postalCode').getAttribute('aria-invalid')).toBe('true');
    await axe('refusal');
    await shot('refusal');
    await page.getByLabel('Postleitzahl').fill('76646');
  });

  it('refers once on a double click and on a retry after a lost answer; hands over the office’s contact', async () => {
    const keysBefore = referralKeys.length;
    // The first answer is lost on the way back: the API made the referral, the page does not know.
    let lose = true;
    await page.route('**/v1/referrals', async (route) => {
      if (route.request().method() !== 'POST' || !lose) return route.fallback();
      lose = false;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Zuweisen' }).dblclick();
    await expect
      .poll(() => page.locator('#refer-message').textContent())
      .toContain('Keine Verbindung zum System');
    // The clerk tries again: the same request with the same key is answered with the first referral.
    await page.getByRole('button', { name: 'Zuweisen' }).click();
    await page.locator('#handout').waitFor();
    const contact = (await page.locator('#handout-contact').textContent()) ?? '';
    for (const part of [
      'Migrationsberatung für erwachsene Zuwanderer – Caritas Bruchsal',
      'Caritasverband Bruchsal e.V.',
      'Beispielstraße 1, 76646 Bruchsal',
      '07251 555 0110',
      'mbe@caritas-bruchsal.example.org',
      'Mo–Do 9–12 Uhr, Di 14–17 Uhr',
    ])
      expect(contact).toContain(part);
    referralA = /ref_[0-9a-z]{26}/.exec(contact)?.[0] ?? '';
    expect(referralA).not.toBe('');
    await page.unroute('**/v1/referrals');
    // Both requests of this submission carried one key; the feed holds one referral for the case.
    const keys = referralKeys.slice(keysBefore);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-handout');
    // What was typed about the person is gone from the forms.
    expect(await page.locator('#c-familyName').inputValue()).toBe('');
    expect(await page.locator('#referral-form').isHidden()).toBe(true);
    await axe('handout');
    await shot('handout');
    await page.evaluate(() => {
      window.print = () => {
        document.body.dataset.printed = 'yes';
      };
    });
    await page.getByRole('button', { name: 'Drucken' }).click();
    expect(await page.evaluate(() => document.body.dataset.printed)).toBe('yes');
    await page.emulateMedia({ media: 'print' });
    await shot('handout-print');
    await page.emulateMedia({ media: 'screen' });
    const feed = await platform.request(AUTHORITY, '/v1/referrals?limit=100');
    const items = ((await feed.json()) as { items: { caseReference: string }[] }).items;
    expect(items.filter((i) => i.caseReference === caseA)).toHaveLength(1);
  });

  it('lists the referral and shows "Kontakt aufgenommen" once the office reports contact', async () => {
    await expect.poll(() => row(caseA).count()).toBe(1);
    expect(await row(caseA).textContent()).toContain('Beispielstraße 1, 76646 Bruchsal');
    // The office (a program with its SigV4 credential) receives the notification and reports contact.
    await until(async () => {
      const res = await platform.request(AUTHORITY, `/v1/referrals/${referralA}`);
      const body = (await res.json()) as { status: string };
      return body.status === 'queued' ? body : undefined;
    }, 'the referral queued for the office');
    const receipt = await platform.request(`service:${OFFICE}`, `/v1/referrals/${referralA}/receipt`, {
      method: 'POST',
    });
    expect(receipt.status, await receipt.clone().text()).toBe(200);
    const contacted = await platform.request(`service:${OFFICE}`, `/v1/referrals/${referralA}/status`, {
      method: 'POST',
      body: { status: 'contacted' },
    });
    expect(contacted.status, await contacted.clone().text()).toBe(200);
    await until(
      async () => ((await feedStatus(caseA)) === 'Kontakt aufgenommen' ? true : undefined),
      'Kontakt aufgenommen',
    );
    await row(caseA).locator('summary').click();
    const history = (await row(caseA).locator('details').textContent()) ?? '';
    expect(history).toContain('Von der Beratungsstelle empfangen durch die Beratungsstelle');
    expect(history).toMatch(/\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr: Kontakt aufgenommen/);
    // Filters: only contacted ones, then only closed ones.
    await page.getByLabel('Stand', { exact: true }).selectOption({ label: 'Kontakt aufgenommen' });
    expect(await feedStatus(caseA)).toBe('Kontakt aufgenommen');
    await page.getByLabel('Stand', { exact: true }).selectOption({ label: 'Abgeschlossen' });
    await page.getByRole('button', { name: 'Zuweisungen anzeigen' }).click();
    await expect.poll(() => page.locator('#feed-message').textContent()).toBe('Keine Zuweisungen gefunden.');
    await page.getByLabel('Stand', { exact: true }).selectOption({ label: 'alle' });
    await feedStatus(caseA);
    await axe('list');
    await shot('list-contacted');
  });

  it('withdraws a consent from the list: the unopened referral is revoked', async () => {
    expect(await page.locator('#consent').isHidden()).toBe(true);
    await page.getByRole('button', { name: 'Nächste Person' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-consent');
    expect(await page.locator('#handout').isHidden()).toBe(true);
    expect(await page.locator('#c-formLanguage option:checked').textContent()).toBe('Deutsch');
    await fillConsent({ azr: azrNumber(), dob: '15.06.1990' });
    await page.getByRole('button', { name: 'Einwilligung erfassen' }).click();
    await page.locator('#consent-result').waitFor();
    await fillAddress(caseB);
    // With an AZR number the consent form asked for no names; the referral needs them.
    await page.getByRole('button', { name: 'Zuweisen' }).click();
    await expect
      .poll(() => page.locator('#refer-message').textContent())
      .toBe('Familienname: Bitte ausfüllen.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('r-familyName');
    await page.keyboard.type('Petrenko');
    await page.locator('#r-givenNames').fill('Olena');
    await page.getByRole('button', { name: 'Zuweisen' }).click();
    await page.locator('#handout').waitFor();
    await expect.poll(() => row(caseB).count()).toBe(1);
    // By keyboard: the row's button opens the dialog, Escape cancels, focus returns.
    const withdraw = page.getByRole('button', { name: `Einwilligung widerrufen – Aktenzeichen ${caseB}` });
    await withdraw.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Einwilligung widerrufen?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('noch nicht geöffnet hat, werden zurückgezogen');
    expect(await dialog.textContent()).toContain(`Die Einwilligung zum Aktenzeichen ${caseB}`);
    await axe('withdrawal dialog');
    await shot('withdraw-dialog');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toContain(caseB);
    expect(await row(caseB).locator('.status').textContent()).not.toContain('Zurückgezogen');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.getByLabel('Grund').selectOption({ label: 'Die Person hat widerrufen' });
    await page.getByRole('button', { name: 'Ja, widerrufen' }).click();
    await expect
      .poll(() => page.locator('#feed-message').textContent())
      .toContain('Die Einwilligung ist widerrufen');
    await until(
      async () =>
        (await feedStatus(caseB)) === 'Zurückgezogen (Einwilligung widerrufen)' ? true : undefined,
      'the referral revoked',
    );
    // The other person's referral, under another consent, is untouched.
    expect(await row(caseA).locator('.status').textContent()).toBe('Kontakt aufgenommen');
    expect(await row(caseB).getByRole('button').count()).toBe(0);
    await axe('list after withdrawal');
    await shot('list-revoked');
  });

  it('shows, after a withdrawal after receipt, whether the office has confirmed the erasure', async () => {
    const consentA = await row(caseA).getByRole('button').first().getAttribute('data-consent');
    expect(consentA).toBeTruthy();
    const withdrawn = await platform.request(AUTHORITY, `/v1/consents/${consentA}/withdrawal`, {
      method: 'POST',
      body: { reason: 'subject-request' },
    });
    expect(withdrawn.status).toBe(200);
    const erasureLine = async () => {
      await page.getByRole('button', { name: 'Zuweisungen anzeigen' }).click();
      await feedStatus(caseA);
      return (await row(caseA).locator('p.hint').allTextContents()).find((l) => l.startsWith('Löschung'));
    };
    expect(await until(async () => erasureLine(), 'the erasure request in the list')).toMatch(
      /^Löschung bei der Beratungsstelle angefordert am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr; noch nicht bestätigt$/,
    );
    await axe('list with an erasure requested');
    await shot('list-erasure-requested');
    const confirmed = await platform.request(
      `service:${OFFICE}`,
      `/v1/referrals/${referralA}/erasure-confirmation`,
      {
        method: 'POST',
      },
    );
    expect(confirmed.status).toBe(200);
    expect(
      await until(async () => {
        const line = await erasureLine();
        return line?.includes('bestätigt am') ? line : undefined;
      }, 'the confirmation in the list'),
    ).toMatch(/^Löschung von der Beratungsstelle bestätigt am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr$/);
    expect(await feedStatus(caseA)).toBe('Kontakt aufgenommen');
    await axe('list with an erasure confirmed');
    await shot('list-erasure-confirmed');
  });

  it('switches to English: labels, statuses and the lang attribute', async () => {
    await page.getByRole('button', { name: 'Switch to English' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('label[for="r-municipality"]').textContent()).toBe('Municipality of residence');
    expect(await row(caseA).locator('.status').textContent()).toBe('Contact made');
    expect(await row(caseB).locator('.status').textContent()).toBe('Revoked (consent withdrawn)');
    await axe('english');
    await shot('english');
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
  });

  it('pages through the list with the cursor', async () => {
    await page.getByLabel('Einträge pro Seite').selectOption('10');
    await page.getByRole('button', { name: 'Zuweisungen anzeigen' }).click();
    await expect
      .poll(() => page.locator('#feed-message').textContent())
      .toMatch(/^Seite 1: \d+ Zuweisungen\.$/);
    const first = await page.locator('#feed-table tbody th').allTextContents();
    expect(first.length).toBeLessThanOrEqual(10);
    expect(first).toContain(caseB);
    expect(await page.getByRole('button', { name: 'Erste Seite' }).isHidden()).toBe(true);
    const seen = new Set(first);
    for (let n = 2; await page.getByRole('button', { name: 'Nächste Seite' }).isVisible(); n++) {
      await page.getByRole('button', { name: 'Nächste Seite' }).click();
      await expect
        .poll(() => page.locator('#feed-message').textContent())
        .toMatch(new RegExp(`^Seite ${n}: `));
      for (const c of await page.locator('#feed-table tbody th').allTextContents()) {
        expect(seen.has(c), c).toBe(false);
        seen.add(c);
      }
    }
    expect(seen.size).toBe(EARLIER + 2);
    await page.getByRole('button', { name: 'Erste Seite' }).click();
    await expect.poll(() => page.locator('#feed-message').textContent()).toMatch(/^Seite 1: /);
    await axe('list, paged');
  });

  it('withdraws a consent right after recording it: no referral under it', async () => {
    await page.getByRole('button', { name: 'Nächste Person' }).click();
    await fillConsent({ azr: azrNumber(), dob: '01.09.1975' });
    await page.getByRole('button', { name: 'Einwilligung erfassen' }).click();
    await page.locator('#consent-result').waitFor();
    await page.locator('#withdraw-current').click();
    await page.getByLabel('Grund').selectOption({ label: 'Irrtümlich erfasst' });
    await page.getByRole('button', { name: 'Ja, widerrufen' }).click();
    await expect.poll(() => page.locator('#consent-summary').textContent()).toContain('widerrufen');
    expect(await page.locator('#refer-intro').textContent()).toBe(
      'Die Einwilligung ist widerrufen: Unter ihr ist keine Zuweisung mehr möglich.',
    );
    expect(await page.locator('#referral-form').isHidden()).toBe(true);
    await axe('consent withdrawn');
  });

  it('has visible focus on every control reached by Tab', async () => {
    await page.getByRole('button', { name: 'Neue Einwilligung erfassen' }).click();
    await page.locator('#c-azrNumber').focus();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('c-azrNumber');
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const outline = await page.evaluate(() => {
        const node = document.activeElement as HTMLElement;
        const style = getComputedStyle(node);
        return { id: node.id || node.tagName, outline: style.outlineStyle, width: style.outlineWidth };
      });
      expect(outline.outline, outline.id).not.toBe('none');
    }
  });

  it('logged no console errors but the refusals this test provoked', () => {
    // Chromium logs every 4xx answer and every failed request: the child's preview (422), the bad
    // postal code (400) and the lost answer (a reset connection) were asked for.
    const provoked = [
      ...[422, 400].map((s) => `Failed to load resource: the server responded with a status of ${s}`),
      'Failed to load resource: net::ERR_CONNECTION_RESET',
    ];
    expect(consoleErrors.filter((e) => !provoked.some((p) => e.startsWith(p)))).toEqual([]);
    expect(consoleErrors.length).toBeLessThanOrEqual(3);
  });
});
