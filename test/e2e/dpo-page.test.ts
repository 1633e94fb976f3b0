import { generateKeyPairSync, randomInt, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPrerequisites, CHROMIUM } from '#local/preflight.ts';
import { AUDIT_EVENTS } from '#shared/domain/audit/events.ts';
import { documentStyleSource } from '#shared/http/html-document.ts';
import { axeViolations } from '#test/support/axe.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { consentRequest } from '#test/support/sample-requests.ts';
import { until as waitUntil } from '#test/support/wait.ts';

/**
 * The data-protection officer's page in a real headless Chromium against the local
 * platform: sign in through the OpenID provider (no key typed), filter and page
 * through events, open a referral's trail, produce a person's report, verify the log
 * in the browser (and see it fail when the network returns a changed entry), remember
 * the verified checkpoints and prove later ones consistent with them (and see a
 * changed consistency proof caught), prove single entries with inclusion proofs, in
 * English and German, by keyboard, and sign out. Screenshots go to test-results/.
 */
const REMEMBERED = 'rex-dpo-checkpoints:';

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const OFFICE = 'mbe-caritas-bruchsal';
const CONSENTS = 12;
const SHOTS = 'test-results';

const until = <T>(probe: () => Promise<T | undefined>, what: string) => waitUntil(probe, what, 30_000, 200);

const azrNumber = () => `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`;

describe('the DPO page in Chromium', () => {
  let platform: RunningPlatform;
  const dpoPerson = () => platform.identityProvider.people.find((p) => p.unit === 'dpo:lk-karlsruhe')!;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const person = { azrNumber: azrNumber(), dateOfBirth: '1981-03-02' };
  let personSubjectId = '';
  let referralId = '';
  let personConsentId = '';
  let firstSize = 0;

  const latestSize = async () => {
    const res = await platform.request(`dpo:lk-karlsruhe`, '/v1/audit/checkpoints/latest');
    return res.status === 200 ? ((await res.json()) as { treeSize: number }).treeSize : 0;
  };
  /** The checkpoint notes this page remembers, of every log origin. */
  const rememberedNotes = () =>
    page.evaluate((prefix) => {
      const notes: string[] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        if (key.startsWith(prefix)) notes.push(...(JSON.parse(localStorage.getItem(key)!) as string[]));
      }
      return notes;
    }, REMEMBERED);

  async function recordConsent(
    subject: { azrNumber: string; dateOfBirth: string },
    providerIds: string[] = [],
  ) {
    const res = await platform.request(AUTHORITY, '/v1/consents', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: consentRequest(subject, {
        scope: { serviceTypes: ['MBE'], providerIds },
        purposes: ['migration-counselling'],
        dataCategories: ['identity', 'contact', 'address', 'nationality-and-languages'],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; subjectId: string };
  }

  beforeAll(async () => {
    assertPrerequisites({ chromium: true }); // before the platform starts: says what to install
    mkdirSync(SHOTS, { recursive: true });
    platform = await startLocalPlatform();
    // Activity: consents, an office key and one referral (accepted, then queued by the relay).
    for (let i = 0; i < CONSENTS - 1; i++)
      await recordConsent({ azrNumber: azrNumber(), dateOfBirth: '1990-05-17' });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = {
      ...publicKey.export({ format: 'jwk' }),
      kid: 'dpo-page-test-1',
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
    };
    const published = await platform.request(`service:${OFFICE}`, `/v1/services/${OFFICE}/keys`, {
      method: 'PUT',
      body: { keys: [jwk] },
    });
    expect(published.status, await published.clone().text()).toBeLessThan(300);
    const consent = await recordConsent(person, ['caritas-bruchsal']);
    personSubjectId = consent.subjectId;
    personConsentId = consent.id;
    const referral = await platform.request(AUTHORITY, '/v1/referrals', {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID() },
      body: {
        consentId: consent.id,
        caseReference: 'ABH-2026/0042',
        person: {
          ...person,
          familyName: 'Haddad',
          givenNames: 'Rana',
          nationality: 'SYR',
          languages: ['ar', 'de'],
          phone: '+49 171 5550199',
          address: {
            street: 'Kaiserstraße 1',
            postalCode: '76646',
            city: 'Bruchsal',
            municipality: '08215009',
          },
        },
      },
    });
    expect(referral.status, await referral.clone().text()).toBe(202);
    referralId = ((await referral.json()) as { referralId: string }).referralId;
    // Wait for the sequencer to chain and sign all of it (consents, key, referral accepted and queued).
    await until(async () => {
      const res = await platform.request(`dpo:lk-karlsruhe`, '/v1/audit/checkpoints/latest');
      if (res.status !== 200) return undefined;
      const cp = (await res.json()) as { treeSize: number };
      return cp.treeSize >= CONSENTS + 3 ? cp : undefined;
    }, 'a checkpoint covering the activity');

    browser = await chromium.launch({
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
    page = await browser.newPage({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.interrupt();
  });

  it('is served with a strict Content-Security-Policy and its own content types', async () => {
    const response = await page.goto(`${platform.apiUrl}/dpo`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    const origin = new URL(platform.identityProvider.issuer).origin;
    expect(headers['content-security-policy']).toBe(
      `default-src 'self'; connect-src 'self' ${origin}; script-src 'self'; style-src 'self' ${documentStyleSource()}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
    );
    expect(headers['x-content-type-options']).toBe('nosniff');
    const script = await fetch(`${platform.apiUrl}/dpo/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${platform.apiUrl}/dpo/secrets.json`)).status).toBe(404);
    expect((await fetch(`${platform.apiUrl}/dpo/index.html`)).status).toBe(404);
    // Names that exist on every object prototype are not files (a regression found by fuzzing).
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect([400, 404]).toContain((await fetch(`${platform.apiUrl}/dpo/${name}`)).status);
    }
    expect((await fetch(`${platform.apiUrl}/dpo/..%2Fpackage.json`)).status).toBe(400);
    // Every control has a label.
    const unlabelled = await page.$$eval('input, select, textarea', (els) =>
      els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.id),
    );
    expect(unlabelled).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/dpo-sign-in.png`, fullPage: true });
  });

  it('signs in through the OpenID provider: no key or password typed on the page, tokens in memory only', async () => {
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The provider's own sign-in page (another origin), which says MFA is off on this machine.
    await page.waitForURL((url) => url.origin === new URL(platform.identityProvider.issuer).origin);
    expect(await page.locator('#mfa-note').textContent()).toContain('MFA');
    await page.screenshot({ path: `${SHOTS}/dpo-provider-sign-in.png`, fullPage: true });
    await page.getByLabel('E-Mail-Adresse').fill(dpoPerson().email);
    await page.getByLabel('Passwort').fill(dpoPerson().password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(`${platform.apiUrl}/dpo`);
    await expect
      .poll(() => page.locator('#signed-in-as').textContent())
      .toBe(`Signed in: ${dpoPerson().email} (Datenschutzbeauftragte des Landratsamts Karlsruhe)`);
    // The code and state are gone from the address; nothing is kept in storage or cookies of the API.
    expect(page.url()).toBe(`${platform.apiUrl}/dpo`);
    const stored = await page.evaluate(
      () => localStorage.length + sessionStorage.length + document.cookie.length,
    );
    expect(stored).toBe(0);
  });

  it('offers every event type of the shared list in the filter, referral.closed too', async () => {
    const options = page.locator('#f-event option');
    const values = await options.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(values).toEqual(['', ...AUDIT_EVENTS]);
    expect(values).toContain('referral.closed');
    expect(await page.locator('#f-event option[value="referral.closed"]').textContent()).toBe(
      'Referral closed',
    );
  });

  it('filters by event type and pages with the cursor', async () => {
    await page.getByLabel('Event type').selectOption('consent.recorded');
    await page.getByLabel('Page size').selectOption('10');
    await page.getByRole('button', { name: 'Show events' }).click();
    const rows = page.locator('#events-table tbody tr');
    await expect.poll(() => rows.count()).toBe(10);
    expect(await page.locator('#events-message').textContent()).toBe('Page 1: 10 events.');
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.locator('#events-message').textContent()).toBe('Page 2: 2 events.');
    expect(await rows.count()).toBe(2);
    for (const text of await page.locator('#events-table tbody tr td:nth-child(2)').allTextContents()) {
      expect(text).toBe('Consent recorded');
    }
    // Times in German time, in words of the page's language, not ISO codes.
    const time = (await page.locator('#events-table tbody tr td:nth-child(1)').first().textContent()) ?? '';
    expect(time).toMatch(/^\d{1,2} \w+ \d{4}(,| at) \d{2}:\d{2}$/);
  });

  it('names offices, authorities and actors by name, never by id, and filters by them', async () => {
    const res = await platform.request(AUTHORITY, '/v1/directory');
    const directory = (await res.json()) as {
      serviceOffices: { id: string; name: string }[];
      authorities: { id: string; name: string }[];
    };
    const office = directory.serviceOffices.find((o) => o.id === OFFICE)!.name;
    const authority = directory.authorities.find((a) => `authority:${a.id}` === AUTHORITY)!.name;
    await page.getByLabel('Event type').selectOption('');
    await page.getByLabel('Service office').selectOption({ label: office });
    await page.getByRole('button', { name: 'Show events' }).click();
    const column = (n: number) => page.locator(`#events-table tbody tr td:nth-child(${n})`).allTextContents();
    // The table is redrawn when the answer arrives: every row then names the chosen office.
    await expect.poll(async () => [...new Set(await column(5))]).toEqual([office]);
    expect(await column(6)).toContain(authority);
    for (const actor of await column(3)) expect(actor).not.toMatch(/^(authority|service|dpo|system):/);
    expect(await column(3)).toContain(authority);
    await page.getByLabel('Service office').selectOption('');
  });

  it("opens a referral's trail", async () => {
    await page.getByLabel('Event type').selectOption('referral.accepted');
    await page.getByRole('button', { name: 'Show events' }).click();
    await expect
      .poll(() => page.locator('#events-table tbody tr td:nth-child(2)').allTextContents())
      .toEqual(['Referral accepted']);
    const link = page.getByRole('button', { name: `Show the trail of referral ${referralId}` });
    await link.click();
    const trail = page.locator('#trail-table tbody tr td:nth-child(2)');
    await expect
      .poll(() => trail.allTextContents())
      .toEqual(expect.arrayContaining(['Referral accepted', 'Referral queued for the service']));
    expect(await page.locator('#trail-intro').textContent()).toContain(referralId);
    await page.screenshot({ path: `${SHOTS}/dpo-trail.png`, fullPage: true });
  });

  it("finds a person's subject id and produces their access report", async () => {
    await page.getByLabel('AZR number').fill(person.azrNumber);
    // Typed as the page asks: DD.MM.YYYY.
    await page.getByLabel('Date of birth').fill(person.dateOfBirth.split('-').reverse().join('.'));
    await page.getByRole('button', { name: 'Find subject id' }).click();
    await expect.poll(() => page.locator('#subject-result').textContent()).toBe(personSubjectId);
    await page.getByRole('button', { name: 'Produce access report' }).click();
    const open = page.getByRole('link', { name: 'Open the printable report' });
    await open.waitFor({ state: 'visible' });
    expect(await open.getAttribute('href')).toMatch(/^blob:/);
    const [report] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
    await report.waitForLoadState();
    expect(await report.locator('h1').textContent()).toContain('Art. 15');
    expect(await report.content()).toContain(personSubjectId);
    await report.close();
  });

  it('opens the printable record of processing (Art. 30), itself without axe violations', async () => {
    await page.getByRole('button', { name: 'Produce the record of processing' }).click();
    const open = page.getByRole('link', { name: 'Open the printable record' });
    await open.waitFor({ state: 'visible' });
    expect(await open.getAttribute('href')).toMatch(/^blob:/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('open-record');
    const [record] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
    await record.waitForLoadState();
    expect(await record.locator('h1').textContent()).toContain('Verzeichnis von Verarbeitungstätigkeiten');
    expect(await record.locator('h1').textContent()).toContain('Art. 30');
    expect(await record.locator('#recipients').textContent()).toMatch(/\S/);
    expect(await axeViolations(record)).toEqual([]);
    // The document's style sheet applies (the page's policy admits it by hash).
    expect(
      await record
        .locator('th')
        .first()
        .evaluate((th) => getComputedStyle(th).borderTopStyle),
    ).toBe('solid');
    await record.screenshot({ path: `${SHOTS}/dpo-record-of-processing.png`, fullPage: true });
    await record.close();
  });

  it('verifies the log in the browser, by keyboard: a green verdict', async () => {
    expect(await page.locator('#verifier-key').inputValue()).toMatch(/^referral-exchange\/.+\+[0-9a-f]{8}\+/);
    await page.locator('#verifier-key').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verify-button');
    await page.keyboard.press('Enter');
    const verdict = page.getByRole('status').filter({ hasText: /Log verified|Verification failed/ });
    await verdict.waitFor({ timeout: 30_000 });
    const text = (await page.locator('#verdict .headline').textContent()) ?? '';
    expect(text).toMatch(
      /^Log verified: \d+ entries, checkpoint size \d+ signed by referral-exchange\/\S+\.$/,
    );
    const [, entries, size] = /(\d+) entries, checkpoint size (\d+)/.exec(text)!;
    expect(Number(size)).toBeGreaterThanOrEqual(CONSENTS + 3);
    expect(Number(entries)).toBeGreaterThanOrEqual(Number(size));
    expect(await page.locator('#verdict').getAttribute('class')).toBe('verdict ok');
    // The verified checkpoint is remembered in the browser's storage (a signed note, no personal data).
    expect(await page.locator('#verdict .sub').allTextContents()).toContain(
      'This checkpoint is now remembered in this browser; later verifications show whether the log only grew.',
    );
    const notes = await rememberedNotes();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.split('\n')[1]).toBe(size);
    firstSize = Number(size);
    expect(await page.locator('#remembered-status').textContent()).toBe(
      `Remembered in this browser: 1 checkpoint(s), the newest of size ${size}.`,
    );
    await page.screenshot({ path: `${SHOTS}/dpo-verified.png`, fullPage: true });
  });

  it('switches to German: labels, the lang attribute and the verdict change', async () => {
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.locator('#h-verify').textContent()).toBe('Protokoll prüfen');
    expect(await page.locator('label[for="f-event"]').textContent()).toBe('Ereignisart');
    expect(await page.locator('#f-event option[value="referral.closed"]').textContent()).toBe(
      'Zuweisung abgeschlossen',
    );
    expect(await page.locator('#f-event option[value=""]').textContent()).toBe('alle');
    expect(await page.locator('#verdict .headline').textContent()).toMatch(
      /^Protokoll geprüft: \d+ Einträge/,
    );
    await page.screenshot({ path: `${SHOTS}/dpo-german.png`, fullPage: true });
    await page.getByRole('button', { name: 'Switch to English' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
  });

  it('verifies again: the new checkpoint is proven consistent with the remembered one, in the browser', async () => {
    await recordConsent({ azrNumber: azrNumber(), dateOfBirth: '1975-09-30' });
    await until(async () => ((await latestSize()) > firstSize ? true : undefined), 'a newer checkpoint');
    const proofs: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/audit/proofs/consistency')) proofs.push(new URL(r.url()).search);
    });
    await page.getByRole('button', { name: 'Verify the log' }).click();
    await expect
      .poll(() => page.locator('#verdict .sub').allTextContents(), { timeout: 30_000 })
      .toContain(
        'Consistency proven in the browser: the log extends every remembered checkpoint (1). The new checkpoint is remembered too.',
      );
    expect(await page.locator('#verdict').getAttribute('class')).toBe('verdict ok');
    const size = Number(
      /checkpoint size (\d+)/.exec((await page.locator('#verdict .headline').textContent())!)![1],
    );
    expect(size).toBeGreaterThan(firstSize);
    expect(proofs).toEqual([`?fromTreeSize=${firstSize}&toTreeSize=${size}`]);
    expect((await rememberedNotes()).map((n) => Number(n.split('\n')[1]))).toEqual([firstSize, size]);
    await page.screenshot({ path: `${SHOTS}/dpo-consistent.png`, fullPage: true });
  });

  it('shows a red verdict in words when the consistency proof arrives changed: the history was rewritten', async () => {
    await page.route('**/v1/audit/proofs/consistency*', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { hashes: string[] };
      const [first = ''] = body.hashes;
      body.hashes[0] = (first[0] === '0' ? '1' : '0') + first.slice(1);
      await route.fulfill({ response, json: body });
    });
    const before = await rememberedNotes();
    await page.getByRole('button', { name: 'Verify the log' }).click();
    await expect
      .poll(() => page.locator('#verdict').getAttribute('class'), { timeout: 30_000 })
      .toBe('verdict bad');
    expect(await page.locator('#verdict .headline').textContent()).toMatch(
      new RegExp(
        `^The log’s history was rewritten: the newest checkpoint \\(size \\d+\\) does not extend the remembered checkpoint of size ${firstSize} — the consistency proof does not lead from the remembered root to the newest\\.$`,
      ),
    );
    // Nothing new is remembered from a history that does not extend the old one.
    expect(await rememberedNotes()).toEqual(before);
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    expect(await page.locator('#verdict .headline').textContent()).toMatch(
      /^Die Protokollgeschichte wurde umgeschrieben: Der neueste Prüfpunkt \(Größe \d+\) setzt den gemerkten Prüfpunkt der Größe \d+ nicht fort — /,
    );
    await page.screenshot({ path: `${SHOTS}/dpo-rewritten.png`, fullPage: true });
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.unroute('**/v1/audit/proofs/consistency*');
  });

  it('checks the remembered checkpoints quietly at the next sign-in', async () => {
    const remembered = (await rememberedNotes()).length;
    await page.reload();
    // Signing in again: one round trip to the provider, whose session still lasts (or its form).
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#workspace:visible, #mfa-note').first().waitFor();
    if (await page.locator('#mfa-note').count()) {
      await page.getByLabel('E-Mail-Adresse').fill(dpoPerson().email);
      await page.getByLabel('Passwort').fill(dpoPerson().password);
      await page.getByRole('button', { name: 'Anmelden' }).click();
    }
    await page.locator('#workspace').waitFor();
    await expect
      .poll(() => page.locator('#remembered-status').textContent(), { timeout: 30_000 })
      .toMatch(
        new RegExp(
          `^Remembered in this browser: ${remembered} checkpoint\\(s\\), the newest of size \\d+\\. Checked at sign-in: the newest checkpoint \\(size \\d+\\) extends all ${remembered}\\.$`,
        ),
      );
    expect(await page.locator('#verdict').isHidden()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/dpo-remembered-at-sign-in.png`, fullPage: true });
  });

  it('proves one entry with an inclusion proof, by keyboard, and refuses a changed proof', async () => {
    await page.getByLabel('Event type').selectOption('consent.recorded');
    await page.getByLabel('Page size').selectOption('10');
    await page.getByRole('button', { name: 'Show events' }).click();
    const row = page.locator('#events-table tbody tr').nth(2);
    await row.waitFor();
    const sequence = (await row.locator('td:nth-child(8)').textContent())!;
    expect(sequence).toMatch(/^\d+$/);
    const button = row.getByRole('button', {
      name: `Check proof of entry no. ${sequence} (inclusion proof)`,
    });
    await button.focus();
    await page.keyboard.press('Enter');
    const result = row.locator('.proof-result');
    await expect
      .poll(() => result.textContent(), { timeout: 30_000 })
      .toMatch(/^Included: the proof leads to the signed checkpoint of size \d+\.$/);
    expect(await result.getAttribute('class')).toBe('proof-result ok');
    expect(await page.locator('#proof-live').textContent()).toBe(
      `Entry no. ${sequence}: ${await result.textContent()}`,
    );
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Check proof');

    await page.route('**/v1/audit/proofs/inclusion*', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { hashes: string[] };
      const [first = ''] = body.hashes;
      body.hashes[0] = `${first.slice(0, 10)}${first[10] === 'a' ? 'b' : 'a'}${first.slice(11)}`;
      await route.fulfill({ response, json: body });
    });
    await page.keyboard.press('Enter');
    await expect
      .poll(() => result.textContent(), { timeout: 30_000 })
      .toBe(
        'Proof failed: the proof does not lead from the entry to the signed root — the inclusion proof does not lead to the signed root.',
      );
    expect(await result.getAttribute('class')).toBe('proof-result bad');
    expect(await page.locator('#proof-live').textContent()).toContain(`Entry no. ${sequence}: Proof failed`);
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    expect(await result.textContent()).toMatch(
      /^Nachweis ungültig: der Nachweis führt nicht vom Eintrag zur signierten Wurzel — /,
    );
    expect(
      await row
        .getByRole('button', { name: `Nachweis prüfen für Eintrag Nr. ${sequence} (Einschlussnachweis)` })
        .count(),
    ).toBe(1);
    await page.screenshot({ path: `${SHOTS}/dpo-inclusion.png`, fullPage: true });
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.unroute('**/v1/audit/proofs/inclusion*');
  });

  it('shows a red verdict naming the sequence when an entry arrives changed', async () => {
    await page.route('**/v1/audit/entries*', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { items: { sequence: number; event: string }[] };
      for (const item of body.items) if (item.sequence === 2) item.event = 'keys.retired';
      await route.fulfill({ response, json: body });
    });
    await page.getByRole('button', { name: 'Verify the log' }).click();
    await expect
      .poll(() => page.locator('#verdict').getAttribute('class'), { timeout: 30_000 })
      .toBe('verdict bad');
    expect(await page.locator('#verdict .headline').textContent()).toMatch(
      /^Verification failed: modified \(an entry was changed\) at sequence 2 — /,
    );
    expect(await page.locator('#verdict .headline').textContent()).toContain(
      'the entry hash does not match its content',
    );
    await page.screenshot({ path: `${SHOTS}/dpo-tampered.png`, fullPage: true });
    // On the German page the reason is German too, not the verifier's English.
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    await expect
      .poll(() => page.locator('#verdict .headline').textContent())
      .toBe(
        'Prüfung fehlgeschlagen: verändert (ein Eintrag wurde geändert) bei Nr. 2 — der Hash des Eintrags passt nicht zu seinem Inhalt.',
      );
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/dpo-tampered-de.png`, fullPage: true });
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.unroute('**/v1/audit/entries*');
  });

  it('forgets the remembered checkpoints on request', async () => {
    expect((await rememberedNotes()).length).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: 'Forget remembered checkpoints' }).click();
    expect(await rememberedNotes()).toEqual([]);
    expect(await page.locator('#remembered-status').textContent()).toMatch(
      /^Forgotten: \d+ remembered checkpoint\(s\)\. The next verification starts a new memory\.$/,
    );
    expect(await page.locator('#forget-checkpoints').isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verify-button');
  });

  it('records an erasure request and shows which offices have confirmed, in English and German', async () => {
    await until(async () => {
      const res = await platform.request(AUTHORITY, `/v1/referrals/${referralId}`);
      return ((await res.json()) as { status: string }).status === 'queued' ? true : undefined;
    }, 'the referral queued');
    const received = await platform.request(`service:${OFFICE}`, `/v1/referrals/${referralId}/receipt`, {
      method: 'POST',
    });
    expect(received.status).toBe(200);
    // Without a consent number the page names the field and sends nothing.
    await page.getByRole('button', { name: 'Show who confirmed' }).click();
    await expect
      .poll(() => page.locator('#erasure-message').textContent())
      .toBe('Consent number: please enter the number of the consent.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('e-consent');
    await page.getByLabel('Consent number').fill(personConsentId);
    await page
      .getByLabel('Why the person asks')
      .selectOption({ label: 'The person objects to the processing' });
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.getByRole('button', { name: 'Record the erasure request …' }).click();
    await expect
      .poll(() => page.locator('#erasure-message').textContent())
      .toBe(
        'Erasure request recorded. 0 referral(s) not yet received were withdrawn. 0 of 1 office(s) have confirmed the erasure.',
      );
    expect(asked).toContain(`consent ${personConsentId}`);
    const cells = () => page.locator(`#erasure-table tr[data-referral="${referralId}"] td`).allTextContents();
    const [office, when, why, reminders, confirmed] = await cells();
    expect(office).toBe('Migrationsberatung für erwachsene Zuwanderer – Caritas Bruchsal');
    expect(when).toMatch(/^\d{1,2} \w+ \d{4} at \d{2}:\d{2}$/);
    expect([why, reminders, confirmed]).toEqual(['erasure requested', '0', 'not confirmed yet']);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/dpo-erasure-asked.png`, fullPage: true });
    // The office confirms; the page shows when.
    const confirmation = await platform.request(
      `service:${OFFICE}`,
      `/v1/referrals/${referralId}/erasure-confirmation`,
      { method: 'POST' },
    );
    expect(confirmation.status).toBe(200);
    await page.getByRole('button', { name: 'Show who confirmed' }).click();
    await expect
      .poll(() => page.locator('#erasure-message').textContent())
      .toBe('1 of 1 office(s) have confirmed the erasure.');
    expect((await cells())[4]).toMatch(/^\d{1,2} \w+ \d{4} at \d{2}:\d{2}$/);
    await page.getByRole('button', { name: 'Auf Deutsch umschalten' }).click();
    expect(await page.locator('#h-erasure').textContent()).toBe('Löschersuchen (Art. 17, 19 DSGVO)');
    expect(await page.locator('#erasure-message').textContent()).toBe(
      '1 von 1 Beratungsstelle(n) haben die Löschung bestätigt.',
    );
    expect((await cells())[2]).toBe('Löschung verlangt');
    expect(await page.locator('#e-reason option:checked').textContent()).toBe(
      'Die Person widerspricht der Verarbeitung',
    );
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/dpo-erasure-confirmed-de.png`, fullPage: true });
    // A consent that does not exist: words, not a raw problem.
    const errorsBefore = consoleErrors.length;
    await page.getByLabel('Einwilligungs-Nr.').fill('con_0000nothing');
    await page.getByRole('button', { name: 'Bestätigungen anzeigen' }).click();
    await expect.poll(() => page.locator('#erasure-message').getAttribute('class')).toContain('error');
    expect(await page.locator('#erasure-message').textContent()).not.toMatch(/not-found|tag:/);
    // Chromium logs the 404 answer itself; that one is expected here, nothing else.
    const during = consoleErrors.splice(errorsBefore);
    expect(during.filter((m) => !/status of 404/.test(m))).toEqual([]);
    await page.getByRole('button', { name: 'Switch to English' }).click();
  });

  it('has no axe-core violations (WCAG 2.1 AA), signed in with results and on the sign-in view', async () => {
    expect(await axeViolations(page)).toEqual([]);
    const fresh = await browser.newPage({ locale: 'de-DE', viewport: { width: 1280, height: 900 } });
    try {
      await fresh.goto(`${platform.apiUrl}/dpo`);
      await fresh.waitForLoadState('networkidle');
      expect(await axeViolations(fresh)).toEqual([]);
      // The check itself can fail: an image without a text alternative is found.
      await fresh.evaluate(() => document.body.append(document.createElement('img')));
      expect((await axeViolations(fresh)).map((v) => v.id)).toContain('image-alt');
    } finally {
      await fresh.close();
    }
  });

  it('signs out: the provider session ends, and the API refuses the old token', async () => {
    // The page's token lives in a module's memory; the request it sends shows it.
    let sent: string | undefined;
    page.on('request', (r) => {
      const auth = r.headers().authorization;
      if (auth?.startsWith('Bearer ')) sent = auth.slice(7);
    });
    await page.getByRole('button', { name: 'Show events' }).click();
    await expect.poll(() => sent).toBeTruthy();
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider asks to confirm (RP-initiated logout), then sends the browser back.
    await page.waitForURL((url) => url.origin === new URL(platform.identityProvider.issuer).origin);
    await page.getByRole('button', { name: 'Ja, abmelden' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${platform.apiUrl}/dpo`));
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.locator('#workspace').isHidden()).toBe(true);
    const reused = await fetch(`${platform.apiUrl}/people/v1/audit/events?event=consent.recorded`, {
      headers: { authorization: `Bearer ${sent}` },
    });
    expect(reused.status).toBe(401);
    expect(((await reused.json()) as { type: string }).type).toMatch(/session-ended$/);
    await page.screenshot({ path: `${SHOTS}/dpo-signed-out.png`, fullPage: true });
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
