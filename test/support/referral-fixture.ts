import { randomInt, randomUUID } from 'node:crypto';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect } from 'vitest';
import { type StreamPoller, startStreamPoller } from '#local/stream-poller.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { recordConsent } from '#shared/api/consents.ts';
import { acknowledgeReceipt, reportReferralStatus, submitReferral } from '#shared/api/referrals.ts';
import { emptyKeySet, publishKeys } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { authorityQueues, officeQueues } from '#shared/resources.ts';
import { apiEvent, invoke, type ProxyHandler } from './api-events.ts';
import { type EmulatorOptions, useEmulators } from './emulators.ts';
import { BRUCHSAL, CANARY, consentRequest, referralRequest } from './sample-requests.ts';
import { until } from './wait.ts';

export const AUTHORITY = 'authority:abh-lk-karlsruhe';
export { BRUCHSAL, CANARY };

export interface Person {
  azrNumber: string;
  familyName: string;
  givenNames: string;
  dateOfBirth: string;
}

export { until };

/**
 * The referral platform of an integration test file: real emulators, the tables and
 * every office queue, a published key per office (alternating RSA and EC), the consent,
 * referral and relay handlers, and the relay driven by the real stream poller.
 */
export function useReferralPlatform(options: { relay?: boolean } & EmulatorOptions = {}) {
  const emu = useEmulators(options);
  const directory = loadDirectory('config/directory.example.json');
  const privateKeys = new Map<string, Record<string, unknown>>();
  const queueUrls = new Map<string, string>();
  const deadLetterUrls = new Map<string, string>();
  const eventQueueUrls = new Map<string, string>();
  const handlers: { referrals?: ProxyHandler; consents?: ProxyHandler; service?: ProxyHandler } = {};
  let poller: StreamPoller | undefined;

  beforeAll(async () => {
    await emu.createTables();
    for (const [i, def] of officeQueues(emu.stage, directory).entries()) {
      const urls = await emu.createQueue(def);
      queueUrls.set(directory.serviceOffices[i]!.id, urls.queueUrl);
      deadLetterUrls.set(directory.serviceOffices[i]!.id, urls.deadLetterUrl);
    }
    for (const [i, def] of authorityQueues(emu.stage, directory).entries()) {
      eventQueueUrls.set(directory.authorities[i]!.id, (await emu.createQueue(def)).queueUrl);
    }
    Object.assign(process.env, emu.env());
    for (const [i, office] of directory.serviceOffices.entries()) {
      const pair = await generateRecipientKeyPair({ alg: i % 2 === 0 ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW' });
      privateKeys.set(pair.kid, pair.privateJwk as unknown as Record<string, unknown>);
      const keySet = publishKeys(emptyKeySet, { keys: [pair.publicJwk] }, new Date());
      await emu.dynamodb.send(
        new PutItemCommand({
          TableName: `rex-${emu.stage}-records`,
          Item: marshall(
            { pk: `OFFICE#${office.id}`, sk: 'STATE', keySet, version: 1 },
            { removeUndefinedValues: true },
          ),
        }),
      );
    }
    handlers.referrals = (await import('#functions/referrals.ts')).handler as ProxyHandler;
    handlers.consents = (await import('#functions/consents.ts')).handler as ProxyHandler;
    handlers.service = (await import('#functions/service-referrals.ts')).handler as ProxyHandler;
    if (options.relay !== false) {
      const relay = (await import('#functions/outbox-relay.ts')).handler;
      poller = await startStreamPoller({
        client: { endpoint: emu.dynamodbEndpoint },
        tableName: `rex-${emu.stage}-records`,
        functionName: 'OutboxRelayFunction',
        batchSize: 25,
        pollIntervalMs: 50,
        handler: relay as never,
      });
    }
  });
  afterAll(async () => {
    await poller?.stop();
  });

  const self = {
    emu,
    directory,
    privateKeys,
    queueUrls,
    deadLetterUrls,
    eventQueueUrls,
    handler: (name: keyof typeof handlers): ProxyHandler => {
      const h = handlers[name];
      if (!h) throw new Error('handlers are loaded in beforeAll');
      return h;
    },
    records: () => `rex-${emu.stage}-records`,
    audit: () => `rex-${emu.stage}-audit`,
    async scan(table: string): Promise<Record<string, unknown>[]> {
      const out = await emu.dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
      return (out.Items ?? []).map((i) => unmarshall(i));
    },
    async auditEvents(referralId: string): Promise<string[]> {
      return (await self.scan(self.audit()))
        .filter((e) => (e.entry as { referralId?: string } | undefined)?.referralId === referralId)
        .map((e) => String(e.event))
        .sort();
    },
    /**
     * Consumes every message now in the office's queue, as a client would: received and
     * deleted (in a FIFO queue an undeleted message would hold back the rest of its group).
     */
    async drain(officeId: string): Promise<{ envelope: Record<string, unknown> }[]> {
      return self
        .drainQueue(queueUrls.get(officeId)!)
        .then((all) => all.map(({ body }) => ({ envelope: body })));
    },
    /** Consumes every event now in an authority's event queue (received and deleted), in queue order. */
    async drainEvents(authorityId: string): Promise<Record<string, unknown>[]> {
      return (await self.drainQueue(eventQueueUrls.get(authorityId)!)).map(({ body }) => body);
    },
    async drainQueue(
      QueueUrl: string,
    ): Promise<{ body: Record<string, unknown>; attributes: Record<string, string | undefined> }[]> {
      const all: { body: Record<string, unknown>; attributes: Record<string, string | undefined> }[] = [];
      for (;;) {
        const out = await emu.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 60,
            MessageAttributeNames: ['All'],
          }),
        );
        if (!out.Messages?.length) return all;
        for (const m of out.Messages) {
          all.push({
            body: JSON.parse(m.Body ?? '{}'),
            attributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]),
            ),
          });
          await emu.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
    },
    newPerson(dateOfBirth = '1981-03-02'): Person {
      return {
        azrNumber: `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`,
        familyName: CANARY.familyName,
        givenNames: CANARY.givenNames,
        dateOfBirth,
      };
    },
    async consentFor(
      person: Person,
      overrides: Record<string, unknown> = {},
      principal = AUTHORITY,
    ): Promise<string> {
      const res = await invoke(
        self.handler('consents'),
        apiEvent(recordConsent, {
          principal,
          stage: emu.stage,
          idempotencyKey: `consent-${randomUUID()}`,
          body: consentRequest(person, overrides),
        }),
      );
      expect(res.status).toBe(201);
      return res.body.id as string;
    },
    referralBody: referralRequest,
    submit(body: unknown, idempotencyKey = `ref-${randomUUID()}`, principal = AUTHORITY) {
      return invoke(
        self.handler('referrals'),
        apiEvent(submitReferral, { principal, stage: emu.stage, body, idempotencyKey }),
      );
    },
    /** The office's receipt of a referral, through the service handler. */
    receipt: (id: string, officeId: string) =>
      invoke(
        self.handler('service'),
        apiEvent(acknowledgeReceipt, { principal: `service:${officeId}`, stage: emu.stage, params: { id } }),
      ),
    /** The office's status report on a referral, through the service handler. */
    report: (id: string, officeId: string, body: unknown) =>
      invoke(
        self.handler('service'),
        apiEvent(reportReferralStatus, {
          principal: `service:${officeId}`,
          stage: emu.stage,
          params: { id },
          body,
        }),
      ),
    /** A fresh person, their consent and an accepted referral. */
    async referral(dateOfBirth?: string) {
      const person = self.newPerson(dateOfBirth);
      const consentId = await self.consentFor(person);
      const res = await self.submit(self.referralBody(consentId, person));
      expect(res.status).toBe(202);
      return {
        person,
        consentId,
        referralId: res.body.referralId as string,
        officeId: res.body.serviceOffice.id as string,
      };
    },
  };
  return self;
}
