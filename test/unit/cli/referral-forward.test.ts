import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '#cli/rex.ts';
import type { ReferralPayloadV1 } from '#shared/schemas/referral.ts';
import { captureIo } from './support.ts';

const ID = 'ref_0123456789abcdefghjkmnpqrs';
const NEW_ID = 'ref_0123456789abcdefghjkmnpqrt';
const CANARY_NAME = 'Zqxwvcanaryfam';

const payload: ReferralPayloadV1 = {
  schema: 'referral-exchange.referral.v1',
  referralId: ID,
  consentId: 'con_x',
  createdAt: '2026-11-02T09:15:02.250Z',
  authority: { id: 'abh-lk-karlsruhe', name: 'Ausländerbehörde' },
  serviceOfficeId: 'mbe-caritas-bruchsal',
  caseReference: 'ABH-2026/0042',
  dataCategories: ['identity', 'address', 'needs'],
  person: {
    familyName: CANARY_NAME,
    givenNames: 'Plorb',
    dateOfBirth: '1981-03-02',
    address: { municipality: '08215009' },
  },
  note: 'Needs help with the recognition of a qualification.',
};

const office = (id: string) => ({
  id,
  name: id,
  type: 'MBE',
  providerId: 'p',
  providerName: 'P',
});

let dir: string;
let requests: { url: string; body: unknown }[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rex-forward-'));
  writeFileSync(
    join(dir, 'profiles.json'),
    JSON.stringify({
      endpoint: 'http://127.0.0.1:9',
      region: 'eu-central-1',
      credentials: [
        {
          profile: 'office',
          principal: 'service:mbe-caritas-bruchsal',
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'secret',
        },
      ],
    }),
  );
  writeFileSync(join(dir, `${ID}.json`), JSON.stringify(payload, null, 2));
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: { body?: string }) => {
      requests.push({ url, body: init.body === undefined ? undefined : JSON.parse(init.body) });
      const view = {
        referralId: ID,
        status: 'declined',
        consentId: 'con_x',
        authorityId: 'abh-lk-karlsruhe',
        caseReference: 'ABH-2026/0042',
        serviceOffice: office('mbe-caritas-bruchsal'),
        dataCategories: ['identity'],
        createdAt: payload.createdAt,
        history: [],
        forwardedTo: { referralId: NEW_ID, serviceOffice: office('mbe-diakonie-bruchsal') },
      };
      return new Response(JSON.stringify(view), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

const decline = (...extra: string[]) => [
  'referral',
  'decline',
  ID,
  '--reason',
  'not-responsible',
  '--profile',
  'office',
  '--profiles',
  'profiles.json',
  ...extra,
];

describe('rex referral decline --forward-to --data', () => {
  it('re-submits the person and note of the referral file and prints the new referral', async () => {
    const io = captureIo(dir);
    const code = await run(decline('--forward-to', 'mbe-diakonie-bruchsal', '--data', `${ID}.json`), io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe(`http://127.0.0.1:9/v1/referrals/${ID}/status`);
    expect(requests[0]!.body).toEqual({
      status: 'declined',
      reason: 'not-responsible',
      forwardTo: 'mbe-diakonie-bruchsal',
      person: payload.person,
      note: payload.note,
    });
    expect(io.out()).toContain(NEW_ID);
    expect(io.out()).toContain('mbe-diakonie-bruchsal');
    expect(io.out()).not.toContain(CANARY_NAME);
  });

  it("refuses another referral's file, without calling the API", async () => {
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...payload, referralId: NEW_ID }));
    const io = captureIo(dir);
    expect(await run(decline('--forward-to', 'mbe-diakonie-bruchsal', '--data', 'other.json'), io)).toBe(1);
    expect(io.err()).toContain(`holds referral ${NEW_ID}, not ${ID}`);
    expect(requests).toHaveLength(0);
  });

  it('names the fields of a file that is not a referral file, never their values', async () => {
    const broken = { ...payload, person: { ...payload.person, dateOfBirth: 'yesterday' } };
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
    writeFileSync(join(dir, 'text.json'), 'not json');
    const io = captureIo(dir);
    expect(await run(decline('--forward-to', 'mbe-diakonie-bruchsal', '--data', 'broken.json'), io)).toBe(1);
    expect(io.err()).toContain('person.dateOfBirth');
    expect(io.err()).not.toContain('yesterday');
    const text = captureIo(dir);
    expect(await run(decline('--forward-to', 'mbe-diakonie-bruchsal', '--data', 'text.json'), text)).toBe(1);
    expect(text.err()).toContain('is not JSON');
    const missing = captureIo(dir);
    expect(await run(decline('--forward-to', 'mbe-diakonie-bruchsal', '--data', 'nope.json'), missing)).toBe(
      1,
    );
    expect(missing.err()).toContain('Cannot read the referral file');
    expect(requests).toHaveLength(0);
  });

  it('takes --data only with --forward-to, and declines plainly without both', async () => {
    const io = captureIo(dir);
    expect(await run(decline('--data', `${ID}.json`), io)).toBe(2);
    expect(io.err()).toContain('--data goes with --forward-to');
    expect(requests).toHaveLength(0);
    expect(await run(decline(), captureIo(dir))).toBe(0);
    expect(requests.map((r) => r.body)).toEqual([{ status: 'declined', reason: 'not-responsible' }]);
  });
});
