import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '#cli/rex.ts';
import type { ConsentReceipt } from '#shared/schemas/consent.ts';
import type { ErasureStatus } from '#shared/schemas/referral.ts';
import { captureIo } from './support.ts';

const ID = 'con_01jd3k7q8m2n4p6r8t0v2x4z6b';
const TEXT = '# Einwilligung\n\nIch willige ein.\n';
const DIGEST = createHash('sha256').update(TEXT).digest('hex');

const receipt: ConsentReceipt = {
  receiptVersion: '1',
  consentId: ID,
  issuedAt: '2026-12-03T10:00:00.000Z',
  languages: ['de', 'en'],
  jurisdiction: 'DE',
  legalBasis: { de: 'Einwilligung nach Art. 6 DSGVO', en: 'Consent under Art. 6 GDPR' },
  controller: { authorityId: 'abh-lk-karlsruhe', name: 'Landratsamt Karlsruhe – Ausländerbehörde' },
  subjectId: 'sub_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  givenBy: { role: 'subject', label: { de: 'die Person selbst', en: 'the person themselves' } },
  givenAt: '2026-12-03T09:30:00.000Z',
  validUntil: null,
  status: 'valid',
  purposes: [{ code: 'counselling', label: { de: 'Beratung', en: 'Counselling' } }],
  dataCategories: [{ code: 'identity', label: { de: 'Personalien', en: 'Identity' } }],
  recipients: {
    serviceTypes: [{ code: 'MBE', name: 'Migrationsberatung für erwachsene Zuwanderer' }],
    providers: [{ id: 'caritas-bruchsal', name: 'Caritasverband Bruchsal e.V.' }],
  },
  form: {
    formId: 'rex-consent',
    formVersion: `sha256-${DIGEST}`,
    language: 'de',
    sha256: 'b'.repeat(64),
    text: { version: '2026-12', language: 'de', sha256: DIGEST, formVersion: `sha256-${DIGEST}` },
  },
  withdrawal: { de: 'Widerruf jederzeit.', en: 'Withdraw at any time, quoting the number.' },
};

const office = (id: string, name: string) => ({
  id,
  name,
  type: 'MBE',
  providerId: 'caritas-bruchsal',
  providerName: 'Caritasverband Bruchsal e.V.',
});
const erasure: ErasureStatus = {
  consentId: ID,
  recipients: [
    {
      referralId: 'ref_01jd3k7q8m2n4p6r8t0v2x4z6c',
      serviceOffice: office('mbe-bruchsal', 'MBE Bruchsal'),
      erasure: {
        reason: 'erasure-requested',
        requestedAt: '2026-12-03T10:00:00.000Z',
        reminders: 0,
        confirmedAt: '2026-12-03T11:00:00.000Z',
      },
    },
    {
      referralId: 'ref_01jd3k7q8m2n4p6r8t0v2x4z6d',
      serviceOffice: office('mbe-ettlingen', 'MBE Ettlingen'),
      erasure: { reason: 'erasure-requested', requestedAt: '2026-12-03T10:00:00.000Z', reminders: 2 },
    },
  ],
};
let confirmedAll = false;

let dir: string;
let requests: {
  url: string;
  accept: string;
  signed: boolean;
  method?: string;
  body?: string;
  key?: string;
}[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-consents-'));
  writeFileSync(
    join(dir, 'profiles.json'),
    JSON.stringify({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-central-1',
      credentials: [
        {
          profile: 'clerk',
          principal: 'authority:abh-lk-karlsruhe',
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 's',
        },
      ],
    }),
  );
  requests = [];
  confirmedAll = false;
  vi.stubGlobal(
    'fetch',
    vi.fn(
      async (
        url: string,
        init: { headers?: Record<string, string>; method?: string; body?: string } = {},
      ) => {
        const headers = init.headers ?? {};
        const path = new URL(url).pathname;
        if (path.endsWith('/erasure')) {
          requests.push({
            url,
            accept: headers.accept ?? '',
            signed: 'authorization' in headers,
            method: init.method ?? 'GET',
            ...(init.body === undefined ? {} : { body: String(init.body) }),
            ...(headers['idempotency-key'] === undefined ? {} : { key: headers['idempotency-key'] }),
          });
          if (init.method === 'POST') return Response.json({ ...erasure, revoked: 1 }, { status: 200 });
          return Response.json(
            confirmedAll ? { ...erasure, recipients: erasure.recipients.slice(0, 1) } : erasure,
          );
        }
        requests.push({ url, accept: headers.accept ?? '', signed: 'authorization' in headers });
        if (path.includes('unknown'))
          return Response.json(
            { type: 'tag:referral-exchange,2026:problem:not-found', title: 'Not found', status: 404 },
            { status: 404 },
          );
        if (path.endsWith('/receipt') && new URL(url).searchParams.get('format') === 'html')
          return new Response('<!doctype html><html lang="de"><title>Quittung</title></html>', {
            headers: { 'content-type': 'text/html; charset=utf-8' },
          });
        if (path.endsWith('/receipt')) return Response.json(receipt);
        if (path === '/v1/consent-forms')
          return Response.json({ items: [receipt.form.text, { ...receipt.form.text, language: 'en' }] });
        if (path === `/v1/consent-forms/${DIGEST}`)
          return Response.json({ ...receipt.form.text, text: TEXT });
        return Response.json(
          { type: 'tag:referral-exchange,2026:problem:not-found', title: 'Not found', status: 404 },
          { status: 404 },
        );
      },
    ),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

const rex = async (...argv: string[]) => {
  const io = captureIo(dir, { REX_PROFILES: join(dir, 'profiles.json'), REX_PROFILE: 'clerk' });
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe('rex consents receipt', () => {
  it('shows the receipt in words, signed as the profile', async () => {
    const { code, out } = await rex('consents', 'receipt', ID);
    expect(code).toBe(0);
    expect(requests).toEqual([
      { url: `http://127.0.0.1:9/v1/consents/${ID}/receipt`, accept: 'application/json', signed: true },
    ]);
    expect(out).toContain(`Receipt for consent ${ID}  (valid)`);
    expect(out).toContain('Landratsamt Karlsruhe – Ausländerbehörde');
    expect(out).toContain('one office of: Caritasverband Bruchsal e.V.');
    expect(out).toContain('valid until   withdrawn');
    expect(out).toContain('Withdraw at any time');
  });

  it('gives the JSON receipt with --json', async () => {
    const { code, out } = await rex('consents', 'receipt', ID, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(receipt);
  });

  it('writes the printable page with --html --out, never over a file', async () => {
    const first = await rex('consents', 'receipt', ID, '--html', '--out', 'receipt.html');
    expect(first.code).toBe(0);
    expect(requests[0]!.url).toBe(`http://127.0.0.1:9/v1/consents/${ID}/receipt?format=html`);
    expect(requests[0]!.accept).toBe('text/html');
    expect(readFileSync(join(dir, 'receipt.html'), 'utf8')).toContain('<html lang="de">');
    expect(first.err).toContain('Wrote the receipt to');
    const again = await rex('consents', 'receipt', ID, '--html', '--out', 'receipt.html');
    expect(again.code).toBe(2);
    expect(again.err).toContain('receipt.html exists; not overwritten.');
  });

  it('refuses a malformed id and --html with --json before calling the API', async () => {
    expect((await rex('consents', 'receipt', 'no/such id')).code).toBe(2);
    expect((await rex('consents', 'receipt', ID, '--html', '--json')).code).toBe(2);
    expect(requests).toEqual([]);
  });

  it('reports the API’s refusal', async () => {
    const { code, err } = await rex('consents', 'receipt', 'con_unknown_consent');
    expect(code).toBe(1);
    expect(err).toContain('404');
  });
});

describe('rex consent-forms', () => {
  it('lists the texts with the form version that names each, without credentials', async () => {
    const { code, out } = await rex('consent-forms', 'list');
    expect(code).toBe(0);
    expect(requests).toEqual([
      { url: 'http://127.0.0.1:9/v1/consent-forms', accept: 'application/json', signed: false },
    ]);
    expect(out).toContain('VERSION');
    expect(out).toContain(`2026-12  de        sha256-${DIGEST}`);
    expect(out).toContain(`2026-12  en        sha256-${DIGEST}`);
  });

  it('shows a text exactly as signed, by digest or by form version', async () => {
    const plain = await rex('consent-forms', 'show', DIGEST);
    expect(plain.code).toBe(0);
    expect(plain.out).toBe(TEXT);
    const byVersion = await rex('consent-forms', 'show', `sha256-${DIGEST}`, '--out', 'form.md');
    expect(byVersion.code).toBe(0);
    const written = readFileSync(join(dir, 'form.md'));
    expect(createHash('sha256').update(written).digest('hex')).toBe(DIGEST);
    const json = await rex('consent-forms', 'show', DIGEST, '--json');
    expect(JSON.parse(json.out)).toMatchObject({ sha256: DIGEST, text: TEXT });
  });

  it('refuses what is not a digest', async () => {
    const { code, err } = await rex('consent-forms', 'show', 'abc');
    expect(code).toBe(2);
    expect(err).toContain('is not a SHA-256 digest');
    expect(requests).toEqual([]);
  });
});

describe('rex consents erase and erasure', () => {
  it('records the request with a new Idempotency-Key it prints, and shows who was asked', async () => {
    const { code, out, err } = await rex('consents', 'erase', ID, '--reason', 'person-request');
    expect(code).toBe(0);
    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent).toMatchObject({
      url: `http://127.0.0.1:9/v1/consents/${ID}/erasure`,
      method: 'POST',
      signed: true,
    });
    expect(JSON.parse(sent!.body!)).toEqual({ reason: 'person-request' });
    expect(sent!.key).toMatch(/^rex-erasure-[0-9a-f-]{36}$/);
    expect(err).toContain(`Idempotency-Key: ${sent!.key}`);
    expect(out).toContain(`Erasure under consent ${ID}`);
    expect(out).toContain('1 referral(s) not yet received were revoked');
    expect(out).toMatch(/MBE Bruchsal .*2026-12-03T11:00:00.000Z/);
    expect(out).toMatch(/MBE Ettlingen .* 2 +not yet/);
    expect(out).toContain('1 recipient(s) have not confirmed yet.');
  });

  it('sends the key it is given, so that a retry is the same request', async () => {
    const { code } = await rex('consents', 'erase', ID, '--key', 'retry-key-0001', '--json');
    expect(code).toBe(0);
    expect(requests[0]!.key).toBe('retry-key-0001');
    expect(JSON.parse(requests[0]!.body!)).toEqual({});
  });

  it('refuses an unknown reason and a malformed key before calling the API', async () => {
    const reason = await rex('consents', 'erase', ID, '--reason', 'because');
    expect(reason.code).toBe(2);
    expect(reason.err).toContain('--reason must be one of person-request, objection, unlawful, other');
    const key = await rex('consents', 'erase', ID, '--key', 'short');
    expect(key.code).toBe(2);
    expect(key.err).toContain('--key must be 8 to 128 visible ASCII characters');
    expect(requests).toEqual([]);
  });

  it('shows the status, exit 1 while a recipient has not confirmed and 0 once all have', async () => {
    const open = await rex('consents', 'erasure', ID);
    expect(open.code).toBe(1);
    expect(requests[0]).toMatchObject({ method: 'GET', signed: true });
    expect(open.out).toContain('1 recipient(s) have not confirmed yet.');
    confirmedAll = true;
    const done = await rex('consents', 'erasure', ID, '--json');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.out).recipients).toHaveLength(1);
    const words = await rex('consents', 'erasure', ID);
    expect(words.out).toContain('Every recipient confirmed the erasure.');
  });
});
