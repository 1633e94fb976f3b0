import { randomInt, randomUUID } from 'node:crypto';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StreamPoller, startStreamPoller } from '../../local/stream-poller.ts';
import { recordConsent, withdrawConsent } from '../../shared/api/consents.ts';
import { getReferral, submitReferral } from '../../shared/api/referrals.ts';
import { loadDirectory } from '../../shared/directory/index.ts';
import { decryptReferral } from '../../shared/domain/crypto/jwe.ts';
import { emptyKeySet, publishKeys } from '../../shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair } from '../../shared/domain/crypto/keygen.ts';
import { officeQueues } from '../../shared/resources.ts';
import { ReferralPayloadV1 } from '../../shared/schemas/referral.ts';
import { apiEvent, invoke, type ProxyHandler } from '../support/api-events.ts';
import { useEmulators } from '../support/emulators.ts';

/**
 * Referral intake and delivery against DynamoDB Local and fauxqs: the intake handler,
 * the outbox relay driven by the real stream poller, and the service office's queue.
 */
const emu = useEmulators();
const directory = loadDirectory('config/directory.example.json');
const AUTHORITY = 'authority:abh-lk-karlsruhe';
const OTHER_AUTHORITY = 'authority:abh-bruchsal';
const BRUCHSAL = '08215009';
// Canary personal data: must never appear outside the ciphertext.
const CANARY_FAMILY = 'Zqxwvcanaryfam';
const CANARY_GIVEN = 'Plorbcanarygiv';
const CANARY_PHONE = '+49 171 5550199';

let referrals: ProxyHandler;
let consents: ProxyHandler;
let poller: StreamPoller;
const privateKeys = new Map<string, CryptoKey | Record<string, unknown>>();
const queueUrls = new Map<string, string>();
const records = () => `rex-${emu.stage}-records`;
const audit = () => `rex-${emu.stage}-audit`;

async function scan(table: string): Promise<Record<string, unknown>[]> {
  const out = await emu.dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return (out.Items ?? []).map((i) => unmarshall(i));
}

async function drain(
  sqs: SQSClient,
  url: string,
): Promise<{ body: string; attributes: Record<string, string> }[]> {
  const all: { body: string; attributes: Record<string, string> }[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
      }),
    );
    if (!out.Messages?.length) return all;
    all.push(
      ...out.Messages.map((m) => ({
        body: m.Body ?? '',
        attributes: (m.Attributes ?? {}) as Record<string, string>,
      })),
    );
  }
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the outcome');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const azr = () => `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`;

interface Person {
  azrNumber: string;
  familyName: string;
  givenNames: string;
  dateOfBirth: string;
}

async function consentFor(person: Person, overrides: Record<string, unknown> = {}) {
  const res = await invoke(
    consents,
    apiEvent(recordConsent, {
      principal: AUTHORITY,
      stage: emu.stage,
      idempotencyKey: `consent-${randomUUID()}`,
      body: {
        subject: { azrNumber: person.azrNumber, dateOfBirth: person.dateOfBirth },
        givenBy: { role: 'subject' },
        givenAt: new Date(Date.now() - 3_600_000).toISOString(),
        scope: { serviceTypes: ['MBE', 'JMD', 'IM'], providerIds: [] },
        purposes: ['migration-counselling', 'youth-migration-support', 'integration-management'],
        dataCategories: ['identity', 'contact', 'address', 'nationality-and-languages', 'needs'],
        evidence: { formId: 'rex-consent', formVersion: '2026-03', language: 'de', sha256: 'a'.repeat(64) },
        ...overrides,
      },
    }),
  );
  expect(res.status).toBe(201);
  return res.body.id as string;
}

function newPerson(dateOfBirth = '1981-03-02'): Person {
  return { azrNumber: azr(), familyName: CANARY_FAMILY, givenNames: CANARY_GIVEN, dateOfBirth };
}

function referralBody(consentId: string, person: Person, extra: Record<string, unknown> = {}) {
  return {
    consentId,
    caseReference: 'ABH-2026/0042',
    person: {
      ...person,
      nationality: 'SYR',
      languages: ['ar', 'de'],
      phone: CANARY_PHONE,
      address: { street: 'Canarystraße 1', postalCode: '76646', city: 'Bruchsal', municipality: BRUCHSAL },
      ...extra,
    },
    note: 'Needs help with the recognition of a qualification.',
  };
}

const submit = (body: unknown, idempotencyKey: string = `ref-${randomUUID()}`, principal = AUTHORITY) =>
  invoke(referrals, apiEvent(submitReferral, { principal, stage: emu.stage, body, idempotencyKey }));

beforeAll(async () => {
  await emu.createTables();
  for (const [i, def] of officeQueues(emu.stage, directory).entries()) {
    const urls = await emu.createQueue(def);
    queueUrls.set(directory.serviceOffices[i]!.id, urls.queueUrl);
  }
  Object.assign(process.env, emu.env());
  // Every office publishes a key; half RSA, half EC.
  for (const [i, office] of directory.serviceOffices.entries()) {
    const pair = await generateRecipientKeyPair({ alg: i % 2 === 0 ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW' });
    privateKeys.set(pair.kid, pair.privateJwk as unknown as Record<string, unknown>);
    const keySet = publishKeys(emptyKeySet, { keys: [pair.publicJwk] }, new Date());
    await emu.dynamodb.send(
      new PutItemCommand({
        TableName: records(),
        Item: marshall(
          { pk: `OFFICE#${office.id}`, sk: 'STATE', keySet, version: 1 },
          { removeUndefinedValues: true },
        ),
      }),
    );
  }
  referrals = (await import('../../functions/referrals.ts')).handler as ProxyHandler;
  consents = (await import('../../functions/consents.ts')).handler as ProxyHandler;
  const relay = (await import('../../functions/outbox-relay.ts')).handler;
  poller = await startStreamPoller({
    client: { endpoint: emu.dynamodbEndpoint },
    tableName: records(),
    functionName: 'OutboxRelayFunction',
    batchSize: 25,
    pollIntervalMs: 50,
    handler: relay as never,
  });
});

afterAll(async () => {
  await poller?.stop();
});

describe('POST /v1/referrals', () => {
  it('accepts a covered referral, routes it and delivers an encrypted notification to the office queue', async () => {
    const person = newPerson('1981-03-02');
    const consentId = await consentFor(person);
    const res = await submit(referralBody(consentId, person));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      referralId: expect.stringMatching(/^ref_[0-9a-z]{26}$/),
      status: 'accepted',
      serviceOffice: { type: 'MBE' },
      routing: { ruleId: expect.any(String), reason: expect.any(String) },
    });
    const { referralId } = res.body;
    const officeId = res.body.serviceOffice.id as string;

    const messages = await until(async () => {
      const got = await drain(emu.sqs, queueUrls.get(officeId)!);
      return got.length > 0 ? got : undefined;
    });
    expect(messages).toHaveLength(1);
    const envelope = JSON.parse(messages[0]!.body);
    expect(Object.keys(envelope).sort()).toEqual([
      'createdAt',
      'jwe',
      'referralId',
      'schemaVersion',
      'serviceOfficeId',
      'type',
    ]);
    expect(envelope).toMatchObject({
      type: 'referral.notification',
      referralId,
      serviceOfficeId: officeId,
      schemaVersion: 1,
    });

    const { payload } = await decryptReferral(envelope.jwe, privateKeys as never);
    const decrypted = ReferralPayloadV1.parse(payload);
    expect(decrypted.person.familyName).toBe(CANARY_FAMILY);
    expect(decrypted.person.phone).toBe(CANARY_PHONE);
    expect(decrypted).toMatchObject({
      referralId,
      consentId,
      serviceOfficeId: officeId,
      caseReference: 'ABH-2026/0042',
    });

    const view = await until(async () => {
      const r = await invoke(
        referrals,
        apiEvent(getReferral, { principal: AUTHORITY, stage: emu.stage, params: { id: referralId } }),
      );
      return r.body.status === 'queued' ? r : undefined;
    });
    expect(view.body.history.map((h: { status: string }) => h.status)).toEqual(['accepted', 'queued']);
    const events = (await scan(audit())).filter(
      (e) => e.entry && (e.entry as { referralId?: string }).referralId === referralId,
    );
    expect(events.map((e) => e.event).sort()).toEqual(['referral.accepted', 'referral.queued']);
  });

  it('answers a retry with the first response and refuses the key for another body', async () => {
    const person = newPerson('1975-01-01');
    const consentId = await consentFor(person);
    const key = `retry-${randomUUID()}`;
    const first = await submit(referralBody(consentId, person), key);
    const again = await submit(referralBody(consentId, person), key);
    expect(again.status).toBe(first.status);
    expect(again.body.referralId).toBe(first.body.referralId);
    const other = await submit(referralBody(consentId, person, { languages: ['fa'] }), key);
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([{ field: 'Idempotency-Key', reason: expect.any(String) }]);
  });

  it('turns 50 concurrent identical submissions into exactly one referral, one message and one audit entry', async () => {
    const person = newPerson('1970-06-15');
    const consentId = await consentFor(person);
    const key = `burst-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => submit(referralBody(consentId, person), key)),
    );
    const ids = new Set(results.map((r) => r.body.referralId));
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(ids.size).toBe(1);
    const [referralId] = [...ids] as string[];
    const officeId = results[0]!.body.serviceOffice.id as string;
    const items = await scan(records());
    expect(items.filter((i) => i.pk === `REFERRAL#${referralId}`)).toHaveLength(1);
    const accepted = (await scan(audit())).filter(
      (e) => e.event === 'referral.accepted' && (e.entry as { referralId: string }).referralId === referralId,
    );
    expect(accepted).toHaveLength(1);
    const messages = await until(async () => {
      const got = (await drain(emu.sqs, queueUrls.get(officeId)!)).filter(
        (m) => JSON.parse(m.body).referralId === referralId,
      );
      return got.length > 0 ? got : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    const late = (await drain(emu.sqs, queueUrls.get(officeId)!)).filter(
      (m) => JSON.parse(m.body).referralId === referralId,
    );
    expect(messages.length + late.length).toBe(1);
  });

  it('refuses a second open referral of the same person with the existing id', async () => {
    const person = newPerson('1966-12-24');
    const consentId = await consentFor(person);
    const first = await submit(referralBody(consentId, person));
    expect(first.status).toBe(202);
    const second = await submit(referralBody(consentId, person));
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(second.body).toMatchObject({
      reason: 'open-referral-exists',
      existingReferralId: first.body.referralId,
    });
  });

  it('refuses fields outside the consent, naming each, and records the refusal', async () => {
    const person = newPerson('1990-02-02');
    const consentId = await consentFor(person, {
      dataCategories: ['identity', 'address', 'nationality-and-languages'],
    });
    const res = await submit(referralBody(consentId, person));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('data-categories-not-covered');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['note', 'person.phone']);
    expect(JSON.stringify(res.body)).not.toContain(CANARY_PHONE);
    const refused = (await scan(audit())).filter(
      (e) =>
        e.event === 'referral.refused' &&
        (e.entry as { legalBasis?: { consentId: string } }).legalBasis?.consentId === consentId,
    );
    expect(refused).toHaveLength(1);
    expect((refused[0]!.entry as { reason: string }).reason).toBe('data-categories-not-covered');
  });

  it('refuses a withdrawn consent and a consent of another person', async () => {
    const person = newPerson('1988-08-08');
    const consentId = await consentFor(person);
    const withdrawn = await invoke(
      consents,
      apiEvent(withdrawConsent, {
        principal: AUTHORITY,
        stage: emu.stage,
        params: { id: consentId },
        body: {},
      }),
    );
    expect(withdrawn.status).toBe(200);
    const res = await submit(referralBody(consentId, person));
    expect(res).toMatchObject({ status: 409, body: { reason: 'consent-withdrawn' } });

    const owner = newPerson('1979-09-09');
    const ownersConsent = await consentFor(owner);
    const mismatch = await submit(referralBody(ownersConsent, newPerson('1979-09-09')));
    expect(mismatch).toMatchObject({ status: 422, body: { reason: 'subject-mismatch' } });
  });

  it('writes nothing for a malformed body and names every offending field', async () => {
    const before = (await scan(records())).length + (await scan(audit())).length;
    const res = await submit({
      consentId: 'x',
      person: { familyName: '', address: { municipality: '123' } },
      caseReference: '',
      extra: 1,
    });
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['extra', 'person.familyName', 'person.address.municipality', 'caseReference']),
    );
    expect((await scan(records())).length + (await scan(audit())).length).toBe(before);
  });

  it('shows a referral only to its sender and its recipient', async () => {
    const person = newPerson('1960-01-31');
    const consentId = await consentFor(person);
    const res = await submit(referralBody(consentId, person));
    const id = res.body.referralId as string;
    const officeId = res.body.serviceOffice.id as string;
    const as = (principal: string) =>
      invoke(referrals, apiEvent(getReferral, { principal, stage: emu.stage, params: { id } }));
    expect((await as(AUTHORITY)).status).toBe(200);
    expect((await as(`service:${officeId}`)).status).toBe(200);
    expect((await as(OTHER_AUTHORITY)).status).toBe(404);
    const otherOffice = directory.serviceOffices.find((o) => o.id !== officeId)!.id;
    expect((await as(`service:${otherOffice}`)).status).toBe(404);
    expect((await as('dpo:lk-karlsruhe')).status).toBe(403);
  });

  it('revokes an unreceived referral when its consent is withdrawn, and tells the office', async () => {
    const person = newPerson('1983-04-04');
    const consentId = await consentFor(person);
    const res = await submit(referralBody(consentId, person));
    const id = res.body.referralId as string;
    const officeId = res.body.serviceOffice.id as string;
    await invoke(
      consents,
      apiEvent(withdrawConsent, {
        principal: AUTHORITY,
        stage: emu.stage,
        params: { id: consentId },
        body: {},
      }),
    );
    const view = await until(async () => {
      const r = await invoke(
        referrals,
        apiEvent(getReferral, { principal: AUTHORITY, stage: emu.stage, params: { id } }),
      );
      return r.body.status === 'revoked' ? r : undefined;
    });
    expect(view.body.history.at(-1)).toMatchObject({ status: 'revoked', reason: 'consent-withdrawn' });
    const item = (await scan(records())).find((i) => i.pk === `REFERRAL#${id}`)!;
    expect(item.ciphertext).toBeUndefined();
    expect(
      (await scan(records())).find((i) => i.pk === `SUBJECT#${item.subjectId}` && i.sk === 'OPEN_REFERRAL'),
    ).toBeUndefined();
    const types = await until(async () => {
      const got = (await drain(emu.sqs, queueUrls.get(officeId)!))
        .map((m) => JSON.parse(m.body))
        .filter((e) => e.referralId === id);
      return got.some((e) => e.type === 'referral.revocation') ? got.map((e) => e.type) : undefined;
    });
    expect(types).toContain('referral.revocation');
    const revoked = (await scan(audit())).filter(
      (e) => e.event === 'referral.revoked' && (e.entry as { referralId: string }).referralId === id,
    );
    expect(revoked).toHaveLength(1);
  });

  it('keeps the canary person data out of every table item', async () => {
    const items = [...(await scan(records())), ...(await scan(audit()))];
    const text = JSON.stringify(items);
    for (const canary of [CANARY_FAMILY, CANARY_GIVEN, CANARY_PHONE, 'Canarystraße'])
      expect(text).not.toContain(canary);
    expect(items.some((i) => typeof i.ciphertext === 'string')).toBe(true);
  });
});
