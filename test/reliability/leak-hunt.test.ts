import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignedIn, signIn } from '#local/sign-in-client.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';

/**
 * Promise 8 (docs/reliability.md): personal data never appears in plaintext outside the
 * ciphertext and the office's own decrypted files. Distinct canary values go into
 * consents and referrals through every entry point; afterwards every table item, every
 * queue and dead-letter envelope, every log line of the platform (at DEBUG) and of the
 * CLI, and every error body is searched — for the values and for their base64 forms.
 */
const CANARIES = {
  familyName: 'Xylocanaryfam',
  givenNames: 'Quibcanarygiv',
  phone: '+49 160 5550177',
  email: 'canary.leak@example.org',
  street: 'Leakstraße 9',
  note: 'canary-note-Vorwerkhof',
  azrNumber: '987654321098',
} as const;
const AUTHORITY = 'authority:abh-lk-karlsruhe';
const DPO = 'dpo:lk-karlsruhe';
const BRUCHSAL = '08215009';
const REX = 'bin/rex.mjs';

let platform: RunningPlatform;
const transcripts: string[] = [];
/** The people who signed in during the hunt: their tokens must not leak either. */
const sessions: SignedIn[] = [];
const local = { accessKeyId: 'local', secretAccessKey: 'local' };

function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('base64'), bytes.toString('base64url'), encodeURIComponent(value)];
}

function hits(text: string): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(CANARIES)) {
    for (const form of forms(value))
      if (text.includes(form)) found.push(`${name} (${form === value ? 'plain' : 'encoded'})`);
  }
  return found;
}

async function call(
  principal: string,
  path: string,
  init: { method?: string; body?: unknown; key?: boolean } = {},
) {
  const res = await platform.request(principal, path, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.key ? { headers: { 'idempotency-key': `leak-${randomUUID()}` } } : {}),
  });
  const text = await res.text();
  transcripts.push(text);
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}

function rex(args: string[]): { status: number; output: string } {
  const res = spawnSync(process.execPath, [REX, ...args, '--profiles', platform.credentialsFile], {
    encoding: 'utf8',
  });
  return { status: res.status ?? 1, output: `${res.stdout}\n${res.stderr}` };
}

const person = (extra: Record<string, unknown> = {}) => ({
  familyName: CANARIES.familyName,
  givenNames: CANARIES.givenNames,
  dateOfBirth: '1977-03-14',
  azrNumber: CANARIES.azrNumber,
  nationality: 'IRQ',
  languages: ['ar'],
  phone: CANARIES.phone,
  email: CANARIES.email,
  address: { street: CANARIES.street, postalCode: '76646', city: 'Bruchsal', municipality: BRUCHSAL },
  ...extra,
});
const consentBody = (dataCategories: string[]) => ({
  subject: { azrNumber: CANARIES.azrNumber, dateOfBirth: '1977-03-14' },
  givenBy: { role: 'subject' },
  givenAt: new Date(Date.now() - 600_000).toISOString(),
  scope: { serviceTypes: ['MBE'], providerIds: [] },
  purposes: ['migration-counselling'],
  dataCategories,
  evidence: { formId: 'leak-hunt', formVersion: '1', language: 'ar', sha256: 'f'.repeat(64) },
});

beforeAll(async () => {
  platform = await startLocalPlatform(['--no-throttle'], { env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });
});
afterAll(async () => {
  await platform?.interrupt();
});

describe('the leak hunt', () => {
  it('finds no canary outside the ciphertext and the office’s own files', async () => {
    // The office that leads for the canary person publishes its key.
    const preview = await call(AUTHORITY, '/v1/routing/preview', {
      method: 'POST',
      body: {
        dateOfBirth: '1977-03-14',
        municipality: BRUCHSAL,
        residenceStatus: 'employment',
        housing: 'other',
        languages: ['ar'],
        consentScope: { serviceTypes: ['MBE'], providerIds: [] },
      },
    });
    expect(preview.status).toBe(200);
    const officeId = preview.body.office.id as string;
    const keyDir = mkdtempSync(join(tmpdir(), 'rex-leak-keys-'));
    const profile = ['--profile', `service-${officeId}`, '--key-dir', keyDir];
    const generate = rex(['keys', 'generate', ...profile]);
    const publish = rex(['keys', 'publish', ...profile]);
    expect([generate.status, publish.status]).toEqual([0, 0]);
    transcripts.push(generate.output, publish.output);

    // A consent too narrow for the referral: the refusal names fields, not values.
    const narrow = await call(AUTHORITY, '/v1/consents', {
      method: 'POST',
      key: true,
      body: consentBody(['identity', 'address']),
    });
    expect(narrow.status).toBe(201);
    const refused = await call(AUTHORITY, '/v1/referrals', {
      method: 'POST',
      key: true,
      body: { consentId: narrow.body.id, caseReference: 'LEAK-1', person: person(), note: CANARIES.note },
    });
    expect(refused.status).toBe(422);
    await call(AUTHORITY, `/v1/consents/${narrow.body.id}/withdrawal`, { method: 'POST', body: {} });

    // Malformed input that carries the canaries in wrong places.
    const malformed = await call(AUTHORITY, '/v1/referrals', {
      method: 'POST',
      key: true,
      body: {
        consentId: CANARIES.familyName,
        caseReference: CANARIES.note,
        person: person({ email: CANARIES.familyName, sex: CANARIES.givenNames }),
      },
    });
    expect(malformed.status).toBe(400);
    const badConsent = await call(AUTHORITY, '/v1/consents', {
      method: 'POST',
      key: true,
      body: {
        ...consentBody(['identity']),
        subject: {
          familyName: CANARIES.familyName,
          givenNames: CANARIES.givenNames,
          dateOfBirth: '2999-01-01',
          nationality: CANARIES.phone,
        },
      },
    });
    expect(badConsent.status).toBe(400);

    // The real referral, delivered and read by the office.
    const consent = await call(AUTHORITY, '/v1/consents', {
      method: 'POST',
      key: true,
      body: consentBody(['identity', 'contact', 'address', 'nationality-and-languages', 'needs']),
    });
    expect(consent.status).toBe(201);
    const referral = await call(AUTHORITY, '/v1/referrals', {
      method: 'POST',
      key: true,
      body: { consentId: consent.body.id, caseReference: 'LEAK-2', person: person(), note: CANARIES.note },
    });
    expect(referral.status).toBe(202);
    const out = mkdtempSync(join(tmpdir(), 'rex-leak-out-'));
    let polled = { status: 1, output: '' };
    for (let i = 0; i < 20 && !readdirSync(out).some((f) => f.endsWith('.json')); i++) {
      polled = rex(['inbox', 'poll', '--once', '--out', out, ...profile]);
      transcripts.push(polled.output);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(polled.status).toBe(0);
    // The office's own decrypted file holds the data (that is the point of the transfer).
    const file = readdirSync(out).find((f) => f.endsWith('.json'))!;
    expect(hits(readFileSync(join(out, file), 'utf8'))).toContain('familyName (plain)');
    const contacted = rex([
      'referral',
      'contacted',
      referral.body.referralId,
      '--profile',
      `service-${officeId}`,
    ]);
    transcripts.push(contacted.output);

    // The data-protection officer looks the person up and reads the report.
    const lookup = await call(DPO, '/v1/audit/subjects/lookup', {
      method: 'POST',
      body: {
        familyName: CANARIES.familyName,
        givenNames: CANARIES.givenNames,
        dateOfBirth: '1977-03-14',
        nationality: 'IRQ',
      },
    });
    expect(lookup.status).toBe(200);
    const byAzr = await call(DPO, '/v1/audit/subjects/lookup', {
      method: 'POST',
      body: { azrNumber: CANARIES.azrNumber, dateOfBirth: '1977-03-14' },
    });
    await call(DPO, `/v1/audit/subjects/${byAzr.body.subjectId}/report`);

    // People sign in and act: the officer reads the report, the counsellor reports closing,
    // a tampered token is refused; then the officer signs out and the old token is refused.
    const personOf = (unit: string) => platform.identityProvider.people.find((p) => p.unit === unit)!;
    const officer = await signIn(platform.identityProvider, platform.apiUrl, personOf(DPO));
    const counsellor = await signIn(
      platform.identityProvider,
      platform.apiUrl,
      personOf(`service:${officeId}`),
    );
    sessions.push(officer, counsellor);
    const bearer = async (token: string, path: string, init: { method?: string; body?: unknown } = {}) => {
      const res = await fetch(`${platform.apiUrl}/people${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await res.text();
      transcripts.push(text);
      return res.status;
    };
    expect(await bearer(officer.idToken, `/v1/audit/subjects/${byAzr.body.subjectId}/report`)).toBe(200);
    expect(
      await bearer(counsellor.idToken, `/v1/referrals/${referral.body.referralId}/status`, {
        method: 'POST',
        body: { status: 'closed' },
      }),
    ).toBe(200);
    expect(
      await bearer(`${officer.idToken.slice(0, -4)}AAAA`, '/v1/audit/events?event=consent.recorded'),
    ).toBe(401);
    await officer.signOut();
    expect(await bearer(officer.idToken, '/v1/audit/events?event=consent.recorded')).toBe(401);

    // Let the sequencer chain what was written.
    await new Promise((r) => setTimeout(r, 3_000));

    // Every table item.
    const dynamodb = new DynamoDBClient({
      endpoint: platform.dynamodbEndpoint,
      region: 'eu-central-1',
      credentials: local,
    });
    const items: unknown[] = [];
    for (const TableName of platform.tables) {
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await dynamodb.send(new ScanCommand({ TableName, ExclusiveStartKey }));
        items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
        ExclusiveStartKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (ExclusiveStartKey);
    }
    dynamodb.destroy();
    expect(items.length).toBeGreaterThan(10);

    // Every queue and dead-letter envelope still held (peeked: visibility 0).
    const sqs = new SQSClient({
      endpoint: platform.sqsEndpoint,
      region: 'eu-central-1',
      credentials: local,
      useQueueUrlAsEndpoint: false,
    });
    const envelopes: string[] = [];
    const queues = [
      ...platform.queues.map((q) => q.queueUrl),
      ...platform.queues.map((q) => q.deadLetterUrl),
    ];
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.length).toBeGreaterThanOrEqual(
      queues.length,
    );
    for (const QueueUrl of queues) {
      const got = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
        }),
      );
      envelopes.push(...(got.Messages ?? []).map((m) => m.Body ?? ''));
    }
    sqs.destroy();

    const places: Record<string, string> = {
      'table items': JSON.stringify(items),
      'queue and DLQ envelopes': envelopes.join('\n'),
      'platform log (DEBUG)': platform.output(),
      'API responses and error bodies, CLI output': transcripts.join('\n'),
    };
    expect(platform.output().length).toBeGreaterThan(1000);
    const leaks = Object.fromEntries(Object.entries(places).map(([place, text]) => [place, hits(text)]));
    expect(leaks).toEqual({
      'table items': [],
      'queue and DLQ envelopes': [],
      'platform log (DEBUG)': [],
      'API responses and error bodies, CLI output': [],
    });

    // Sign-in secrets and staff data: no token, password, staff e-mail or provider subject
    // anywhere — the log after the start banner, which prints the demo people on purpose.
    const secrets: Record<string, string> = {};
    for (const p of platform.identityProvider.people) {
      secrets[`password of ${p.unit}`] = p.password;
      secrets[`e-mail of ${p.unit}`] = p.email;
      secrets[`subject of ${p.unit}`] = p.subject;
    }
    sessions.forEach((s, i) => {
      secrets[`ID token ${i}`] = s.idToken;
      if (s.refreshToken) secrets[`refresh token ${i}`] = s.refreshToken;
    });
    const afterBanner = platform.output().split('Press Ctrl-C to stop.')[1] ?? '';
    expect(afterBanner.length).toBeGreaterThan(1000);
    const staffPlaces = { ...places, 'platform log (DEBUG)': afterBanner };
    const staffLeaks = Object.fromEntries(
      Object.entries(staffPlaces).map(([place, text]) => [
        place,
        Object.entries(secrets)
          .filter(([, value]) => forms(value).some((f) => text.includes(f)))
          .map(([name]) => name),
      ]),
    );
    expect(staffLeaks).toEqual({
      'table items': [],
      'queue and DLQ envelopes': [],
      'platform log (DEBUG)': [],
      'API responses and error bodies, CLI output': [],
    });
  });
});
