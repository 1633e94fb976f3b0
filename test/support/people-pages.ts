import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM } from '#local/preflight.ts';
import type { RunningPlatform } from '#test/support/local-platform.ts';

/**
 * What the Chromium tests of the people's pages (/authority, /office) do the way people
 * do it: start the browser, sign in through the local OpenID provider, set up an
 * office's key with its backup file, fill the clerk desk's forms.
 */

/** A headless Chromium as the e2e tests run it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The local provider's demo person of a unit (`authority:…`, `service:…`, `dpo:…`). */
export function personOf(platform: RunningPlatform, unit: string) {
  const person = platform.identityProvider.people.find((p) => p.unit === unit);
  if (!person) throw new Error(`the local identity provider has no person of ${unit}`);
  return person;
}

/**
 * Signs the unit's person in on a people's page: opens `path` (if given), clicks
 * "Anmelden", fills the provider's form and waits until the page names the person.
 * Without `path` the page must already show the people's page to return to.
 */
export async function signInAs(
  page: Page,
  platform: RunningPlatform,
  unit: string,
  path?: string,
): Promise<void> {
  if (path) await page.goto(`${platform.apiUrl}${path}`);
  const back = page.url();
  const person = personOf(platform, unit);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL((url) => url.origin === new URL(platform.identityProvider.issuer).origin);
  await page.getByLabel('E-Mail-Adresse').fill(person.email);
  await page.getByLabel('Passwort').fill(person.password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL(back);
  await page.locator('#signed-in-as').waitFor();
}

/**
 * Creates the office's key on /office as a counsellor does: password twice, generate,
 * the page refuses to publish before the backup is saved, the backup file is downloaded
 * into `folder` as `name`, confirmed, published. Answers the backup file's path.
 */
export async function setUpOfficeKey(
  page: Page,
  password: string,
  folder: string,
  name: string,
): Promise<string> {
  await page.getByLabel('Passwort für die Sicherungsdatei').fill(password);
  await page.getByLabel('Passwort wiederholen').fill(password);
  await page.getByRole('button', { name: 'Schlüssel erzeugen' }).click();
  const link = page.getByRole('link', { name: 'Sicherungsdatei speichern' });
  await link.waitFor();
  // Not published before the backup is saved and confirmed.
  await page.getByRole('button', { name: 'Öffentlichen Schlüssel veröffentlichen' }).click();
  await expect
    .poll(() => page.locator('#setup-message').textContent())
    .toContain('zuerst die Sicherungsdatei');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = join(folder, name);
  await download.saveAs(path);
  expect(download.suggestedFilename()).toMatch(
    /^schluessel-mbe-[a-z-]+-\d{4}-\d{2}-\d{2}-.{8}\.rex-key\.json$/,
  );
  await page.getByLabel('Ich habe die Sicherungsdatei gespeichert und kenne das Passwort.').check();
  await page.getByRole('button', { name: 'Öffentlichen Schlüssel veröffentlichen' }).click();
  await expect.poll(() => page.locator('#keys-status').textContent()).toMatch(/^Veröffentlicht\./);
  expect(await page.locator('#backup-step').isVisible()).toBe(false);
  return path;
}

/** The person a consent is recorded for on the clerk desk (dates as typed: TT.MM.JJJJ). */
export interface ConsentSubject {
  readonly azr?: string;
  readonly family?: string;
  readonly given?: string;
  readonly dob: string;
}

/**
 * Fills the clerk desk's consent form: MBE at any office, the person's chosen provider
 * Caritasverband Bruchsal e.V. (so the referral goes to mbe-caritas-bruchsal), feedback on
 * contact, four data categories, and the scanned form — whose SHA-256 the page computes
 * in the browser and shows before anything is sent.
 */
export async function fillConsent(page: Page, subject: ConsentSubject, scan: Buffer): Promise<void> {
  // Both forms have these labels; the consent form's controls are named by id.
  if (subject.azr) await page.locator('#c-azrNumber').fill(subject.azr);
  if (subject.family) await page.locator('#c-familyName').fill(subject.family);
  if (subject.given) await page.locator('#c-givenNames').fill(subject.given);
  await page.locator('#c-dateOfBirth').fill(subject.dob);
  if (!subject.azr) await page.locator('#c-nationality').selectOption({ label: 'Syrien' });
  await page.getByLabel(/jede Stelle des Dienstes Migrationsberatung/).check();
  await page
    .getByLabel('Gewählter Träger (Trägerwahl, freiwillig)')
    .selectOption({ label: 'Caritasverband Bruchsal e.V.' });
  await page.getByLabel(/^Migrationsberatung für erwachsene Zuwanderer \(MBE\)/).check();
  await page.getByLabel('Rückmeldung zur Kontaktaufnahme').check();
  for (const category of ['Personalien', 'Anschrift', 'Staatsangehörigkeit und Sprachen', 'Kontaktdaten'])
    await page.getByLabel(category, { exact: true }).check();
  await page.getByLabel('Fassung des Formulars').fill('2026-03');
  await page.getByLabel('Sprache des Formulars').selectOption({ label: 'Arabisch' });
  await page
    .locator('#c-scan')
    .setInputFiles({ name: 'einwilligung.pdf', mimeType: 'application/pdf', buffer: scan });
  await expect
    .poll(() => page.locator('#scan-digest').textContent())
    .toContain(createHash('sha256').update(scan).digest('hex'));
}

/** Fills the referral form's case reference and a Bruchsal address. */
export async function fillAddress(page: Page, caseReference: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Aktenzeichen' }).fill(caseReference);
  await page.getByLabel('Straße und Hausnummer').fill('Kaiserstraße 1');
  await page.getByLabel('Postleitzahl').fill('76646');
  await page.getByLabel('Ort', { exact: true }).fill('Bruchsal');
  await page.getByLabel('Wohngemeinde').selectOption({ label: 'Bruchsal' });
}

/** The clerk desk's list row of a case. */
export const feedRow = (page: Page, caseReference: string) =>
  page.locator('#feed-table tbody tr', { hasText: caseReference });

/** Reloads the clerk desk's list and answers the status the case's row shows. */
export async function feedStatus(page: Page, caseReference: string): Promise<string> {
  await page.getByRole('button', { name: 'Zuweisungen anzeigen' }).click();
  await page
    .locator('#feed-message')
    .filter({ hasText: /Seite|Keine/ })
    .waitFor();
  return (await feedRow(page, caseReference).locator('.status').textContent()) ?? '';
}
