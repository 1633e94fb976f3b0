import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMails } from '#local/mail-sink.ts';
import { assertPrerequisites } from '#local/preflight.ts';
import { axeViolations } from '#test/support/axe.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import {
  feedRow,
  feedStatus,
  fillAddress,
  fillConsent,
  launchChromium,
  setUpOfficeKey,
  signInAs,
} from '#test/support/people-pages.ts';
import { until as waitUntil } from '#test/support/wait.ts';

/**
 * One referral's whole story across the two people's pages, each person in a browser of
 * their own: the counsellor of the Caritas MBE office in Bruchsal sets up the office's
 * key on /office (backup saved first); the clerk of the Landratsamt Karlsruhe records a
 * consent on /authority (the scanned form hashed in the browser), checks where the
 * referral goes and refers; the office's contact address gets a German mail without any
 * personal data, linking to /office; the counsellor opens the referral (receipt before
 * decryption), reads it in German and reports contact; the clerk's list says "Kontakt
 * aufgenommen". A second person's consent is withdrawn before the office opens the
 * referral: the counsellor's inbox shows it as revoked, not to be opened.
 * Screenshots go to test-results/story-*.png.
 */

const AUTHORITY = 'authority:abh-lk-karlsruhe';
/** The office the consent's chosen provider (Caritasverband Bruchsal) leads to for Bruchsal. */
const OFFICE = 'mbe-caritas-bruchsal';
const OFFICE_NAME = 'Migrationsberatung für erwachsene Zuwanderer – Caritas Bruchsal';
const OFFICE_EMAIL = 'mbe@caritas-bruchsal.example.org';
const SHOTS = 'test-results';
const PASSWORD = 'Beratung-Bruchsal-2026';
const SCAN = Buffer.from(`%PDF-1.7\n% signed consent form ${randomInt(1e9, 9e9)}\n%%EOF\n`);
const FIRST = { family: 'Haddad', given: 'Rana', dob: '02.03.1981', phone: '+49 171 5550199' };
const SECOND = { family: 'Petrenko', given: 'Olena', dob: '15.06.1990' };

const until = <T>(probe: () => Promise<T | undefined>, what: string) => waitUntil(probe, what, 30_000, 250);

interface Sent {
  readonly method: string;
  readonly path: string;
}

describe("issue 15's story: the clerk refers, the counsellor opens and reports, a withdrawal", () => {
  let platform: RunningPlatform;
  let browser: Browser;
  let clerkContext: BrowserContext;
  let counsellorContext: BrowserContext;
  let clerk: Page;
  let counsellor: Page;
  const consoleErrors: string[] = [];
  /** The counsellor's browser's requests, in order (the people's prefix removed). */
  const counsellorSent: Sent[] = [];
  const downloads = mkdtempSync(join(tmpdir(), 'rex-story-downloads-'));
  const caseFirst = `ABH-2026/${randomInt(1000, 9999)}`;
  const caseSecond = `ABH-2026/${randomInt(10000, 99999)}`;
  let referralFirst = '';
  let referralSecond = '';

  const inboxRow = (referralId: string) =>
    counsellor.locator(`#inbox-table tr[data-referral="${referralId}"]`);

  async function accessible(page: Page, state: string): Promise<void> {
    expect(await axeViolations(page), state).toEqual([]);
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SHOTS}/story-${name}.png`, fullPage: true });
  }

  async function newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return page;
  }

  /** The counsellor refreshes the inbox until the referral's row is there. */
  async function refreshUntilListed(referralId: string): Promise<void> {
    await until(async () => {
      await counsellor.getByRole('button', { name: 'Aktualisieren' }).click();
      return (await inboxRow(referralId).count()) === 1 ? true : undefined;
    }, `${referralId} in the office's inbox`);
  }

  beforeAll(async () => {
    assertPrerequisites({ chromium: true });
    mkdirSync(SHOTS, { recursive: true });
    platform = await startLocalPlatform();
    browser = await launchChromium();
    const options = { locale: 'de-DE', viewport: { width: 1280, height: 900 } };
    clerkContext = await browser.newContext(options);
    counsellorContext = await browser.newContext({ ...options, acceptDownloads: true });
    counsellorContext.on('request', (r) =>
      counsellorSent.push({
        method: r.method(),
        path: new URL(r.url()).pathname.replace(/^(?:\/local)?\/people(?=\/v1\/)/, ''),
      }),
    );
    clerk = await newPage(clerkContext);
    counsellor = await newPage(counsellorContext);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.interrupt();
    rmSync(downloads, { recursive: true, force: true });
  });

  it('1. the counsellor signs in on /office and sets up the key, backup saved, so the office can receive', async () => {
    await signInAs(counsellor, platform, `service:${OFFICE}`, '/office');
    await expect
      .poll(() => counsellor.locator('#keys-status').textContent())
      .toContain('Ihre Stelle hat noch keinen Schlüssel');
    await accessible(counsellor, 'office: key setup');
    await shot(counsellor, 'office-key-setup');
    await setUpOfficeKey(counsellor, PASSWORD, downloads, 'caritas.rex-key.json');
    const keys = (await (await fetch(`${platform.apiUrl}/v1/services/${OFFICE}/keys`)).json()) as {
      keys: unknown[];
    };
    expect(keys.keys).toHaveLength(1);
    // Nobody had referred anyone yet: no mail for the office.
    expect(readMails(platform.mailDir, OFFICE)).toEqual([]);
  });

  it("2. the clerk records the consent, sees where it goes and why, refers, and gets the office's contact", async () => {
    await signInAs(clerk, platform, AUTHORITY, '/authority');
    await fillConsent(clerk, { family: FIRST.family, given: FIRST.given, dob: FIRST.dob }, SCAN);
    await clerk.getByRole('button', { name: 'Einwilligung erfassen' }).click();
    await clerk.locator('#consent-result').waitFor();
    expect(await clerk.locator('#consent-message').textContent()).toContain('Die Einwilligung ist erfasst');
    await fillAddress(clerk, caseFirst);
    await clerk.getByLabel('Sprache (bevorzugt)').selectOption({ label: 'Arabisch' });
    await clerk.getByLabel('Telefon').fill(FIRST.phone);
    await clerk.getByRole('button', { name: 'Zuständigkeit prüfen' }).click();
    const preview = clerk.locator('#preview-result');
    await expect.poll(() => preview.getAttribute('class')).toBe('notice ok');
    expect(await preview.textContent()).toContain(`Gewählt ist ${OFFICE_NAME}`);
    await accessible(clerk, 'authority: preview');
    await shot(clerk, 'authority-preview');
    await clerk.getByRole('button', { name: 'Zuweisen' }).click();
    await clerk.locator('#handout').waitFor();
    const contact = (await clerk.locator('#handout-contact').textContent()) ?? '';
    expect(contact).toContain(OFFICE_NAME);
    expect(contact).toContain(OFFICE_EMAIL);
    referralFirst = /ref_[0-9a-z]{26}/.exec(contact)?.[0] ?? '';
    expect(referralFirst).not.toBe('');
    await expect.poll(() => feedRow(clerk, caseFirst).count()).toBe(1);
    await accessible(clerk, 'authority: handout');
    await shot(clerk, 'authority-handout');
  });

  it("3. the office's mail arrives: German, a link to /office, no personal data", async () => {
    const mail = await until(
      async () => readMails(platform.mailDir, OFFICE).find((m) => m.text.includes(referralFirst)),
      "the office's mail",
    );
    expect(mail.headers.subject).toBe('Eine neue Zuweisung wartet / A new referral is waiting');
    expect(mail.headers.to).toContain(OFFICE_EMAIL);
    expect(mail.text).toMatch(/^Guten Tag,/);
    expect(mail.text).toContain('für Ihre Beratungsstelle ist eine neue Zuweisung eingegangen');
    expect(mail.text).toContain(`${platform.apiUrl}/office`);
    // German first, English after it.
    expect(mail.text.indexOf('Guten Tag')).toBeLessThan(mail.text.indexOf('Hello'));
    for (const personal of [
      FIRST.family,
      FIRST.given,
      caseFirst,
      FIRST.dob,
      '1981-03-02',
      FIRST.phone,
      'Kaiserstraße',
    ])
      for (const text of [mail.raw, mail.text, JSON.stringify(mail.headers)])
        expect(text).not.toContain(personal);
  });

  it('4. the counsellor refreshes, opens it (receipt before decryption), reads it in German, reports contact', async () => {
    await refreshUntilListed(referralFirst);
    const listed = inboxRow(referralFirst);
    expect(await listed.locator('td').nth(3).textContent()).toBe('neu');
    await accessible(counsellor, 'office: inbox');
    await shot(counsellor, 'office-inbox');
    const before = counsellorSent.length;
    await listed.getByRole('button', { name: /^Öffnen und Empfang bestätigen: Zuweisung / }).click();
    await counsellor.locator('#person').waitFor();
    const calls = counsellorSent.slice(before).map((s) => `${s.method} ${s.path}`);
    const receipt = calls.indexOf(`POST /v1/referrals/${referralFirst}/receipt`);
    const ciphertext = calls.indexOf(`GET /v1/referrals/${referralFirst}/ciphertext`);
    expect(receipt, calls.join('\n')).toBeGreaterThanOrEqual(0);
    expect(ciphertext, calls.join('\n')).toBeGreaterThan(receipt);
    const field = (path: string) => counsellor.locator(`#person-form dd[data-field="${path}"]`);
    const label = (path: string) => field(path).locator('xpath=preceding-sibling::dt[1]');
    expect(await field('familyName').textContent()).toBe(FIRST.family);
    expect(await label('familyName').textContent()).toBe('Familienname');
    expect(await field('givenNames').textContent()).toBe(FIRST.given);
    expect(await field('dateOfBirth').textContent()).toBe(FIRST.dob);
    expect(await field('nationality').textContent()).toBe('Syrien');
    expect(await field('languages').textContent()).toContain('Arabisch');
    expect(await field('address.municipality').textContent()).toBe('Bruchsal (08215009)');
    expect(await counsellor.locator('#person-form h4').first().textContent()).toBe('Personalien');
    await accessible(counsellor, 'office: referral open');
    await shot(counsellor, 'office-referral-open');
    await counsellor.getByRole('button', { name: 'Kontakt aufgenommen' }).click();
    await expect
      .poll(() => counsellor.locator('#actions-message').textContent())
      .toBe('Gemeldet: Kontakt aufgenommen.');
    expect(await listed.locator('td').nth(3).textContent()).toBe('Kontakt aufgenommen');
    await shot(counsellor, 'office-contacted');
    // Closed, the decrypted view is gone from the page.
    await counsellor.getByRole('button', { name: 'Schließen' }).click();
    expect(await counsellor.locator('#person').isVisible()).toBe(false);
  });

  it('5. the clerk\'s list shows "Kontakt aufgenommen" for that referral', async () => {
    await until(
      async () => ((await feedStatus(clerk, caseFirst)) === 'Kontakt aufgenommen' ? true : undefined),
      'Kontakt aufgenommen on the clerk desk',
    );
    await accessible(clerk, 'authority: list, contact made');
    await shot(clerk, 'authority-contacted');
  });

  it("6. a second person's consent is withdrawn before the office opens the referral: not openable", async () => {
    await clerk.getByRole('button', { name: 'Nächste Person' }).click();
    await fillConsent(clerk, SECOND, SCAN);
    await clerk.getByRole('button', { name: 'Einwilligung erfassen' }).click();
    await clerk.locator('#consent-result').waitFor();
    await fillAddress(clerk, caseSecond);
    await clerk.getByRole('button', { name: 'Zuweisen' }).click();
    await clerk.locator('#handout').waitFor();
    referralSecond =
      /ref_[0-9a-z]{26}/.exec((await clerk.locator('#handout-contact').textContent()) ?? '')?.[0] ?? '';
    expect(referralSecond).not.toBe('');
    expect(referralSecond).not.toBe(referralFirst);
    // The counsellor sees it waiting, unopened.
    await refreshUntilListed(referralSecond);
    expect(await inboxRow(referralSecond).locator('td').nth(3).textContent()).toBe('neu');
    // The person withdraws the consent; the clerk records it from the list.
    await expect.poll(() => feedRow(clerk, caseSecond).count()).toBe(1);
    await clerk.getByRole('button', { name: `Einwilligung widerrufen – Aktenzeichen ${caseSecond}` }).click();
    await clerk.getByRole('dialog', { name: 'Einwilligung widerrufen?' }).waitFor();
    await clerk.getByLabel('Grund').selectOption({ label: 'Die Person hat widerrufen' });
    await clerk.getByRole('button', { name: 'Ja, widerrufen' }).click();
    await expect
      .poll(() => clerk.locator('#feed-message').textContent())
      .toContain('Die Einwilligung ist widerrufen');
    await until(
      async () =>
        (await feedStatus(clerk, caseSecond)) === 'Zurückgezogen (Einwilligung widerrufen)'
          ? true
          : undefined,
      'the second referral revoked on the clerk desk',
    );
    // The first person's referral, under its own consent, is untouched.
    expect(await feedRow(clerk, caseFirst).locator('.status').textContent()).toBe('Kontakt aufgenommen');
    await shot(clerk, 'authority-withdrawn');
    // The counsellor refreshes: revoked, and there is nothing to open.
    await until(async () => {
      await counsellor.getByRole('button', { name: 'Aktualisieren' }).click();
      return (await inboxRow(referralSecond).locator('td').nth(3).textContent()) === 'widerrufen'
        ? true
        : undefined;
    }, 'the second referral revoked in the inbox');
    const revoked = inboxRow(referralSecond);
    expect(await revoked.locator('td').nth(5).textContent()).toBe('nicht zu öffnen');
    expect(await revoked.getByRole('button').count()).toBe(0);
    expect(await inboxRow(referralFirst).locator('td').nth(3).textContent()).toBe('Kontakt aufgenommen');
    // The browser never asked for the revoked referral's ciphertext, and the API would give none.
    expect(counsellorSent.some((s) => s.path === `/v1/referrals/${referralSecond}/ciphertext`)).toBe(false);
    const res = await platform.request(`service:${OFFICE}`, `/v1/referrals/${referralSecond}/ciphertext`);
    expect(res.status).toBe(410);
    await accessible(counsellor, 'office: revoked');
    await shot(counsellor, 'office-revoked');
    // No mail to the office ever named either person.
    for (const mail of readMails(platform.mailDir))
      for (const personal of [FIRST.family, SECOND.family, caseFirst, caseSecond])
        expect(mail.raw).not.toContain(personal);
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
