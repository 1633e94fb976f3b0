/**
 * Sections 4, 5b, 6 and 7a: the local platform under load, spawned as `npm start`
 * does, with the counting preload (lib/instrument.ts). Referrals through the signed
 * gateway at a fixed concurrency for a fixed time against the emulator's raw
 * TransactWriteItems rate with the same item sizes; accepted → visible in the office
 * queue; capacity units and requests per referral; peak RSS; and the audit append rate
 * against a single-head-item chain, on the same DynamoDB Local.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { pool, quantile, round } from '#bench/lib/stats.ts';
import type { CredentialsFile } from '#local/credentials.ts';
import { startPlatformProcess } from '#local/platform-process.ts';
import { ensureTable } from '#local/provision.ts';
import { auditDraftItem } from '#shared/adapters/audit-drafts.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { entryHash } from '#shared/domain/audit/chain.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import { emptyKeySet, publishKeys } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { auditTable } from '#shared/resources.ts';
import { signedFetch } from '#shared/sdk/signed-fetch.ts';
import { consentRequest, randomAzrNumber } from '#test/support/sample-requests.ts';

export interface EndToEndOptions {
  readonly concurrency: number;
  readonly seconds: number;
  readonly consents: number;
  readonly appendWriters: number;
  readonly appendSeconds: number;
}

interface Stats {
  dynamodb: Record<string, number>;
  sqs: Record<string, number>;
  readUnits: number;
  writeUnits: number;
  capacityReported: number;
  intakeTransactItemBytes: number[];
  at: number;
}

const AUTHORITY = 'authority:abh-lk-karlsruhe';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak resident set (VmHWM) of a process, in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function snapshot(child: ChildProcess, statsFile: string): Promise<Stats> {
  const before = existsSync(statsFile) ? statSync(statsFile).mtimeMs : 0;
  const asked = Date.now();
  child.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    if (existsSync(statsFile) && statSync(statsFile).mtimeMs !== before) {
      const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as Stats;
      if (stats.at >= asked) return stats;
    }
    await sleep(20);
  }
  throw new Error('the platform wrote no statistics');
}

const diff = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
const sum = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);

export async function measureEndToEnd(o: EndToEndOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'rex-bench-'));
  const statsFile = join(dir, 'stats.json');
  // The platform as `npm start` runs it, without the throttle (the bench measures the
  // system, not the limits), with the instrumentation that counts DynamoDB calls.
  const ready = await startPlatformProcess(['--no-throttle'], {
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', BENCH_STATS_FILE: statsFile },
    nodeArgs: ['--import', fileURLToPath(new URL('./lib/instrument.ts', import.meta.url))],
  });
  const child = ready.process;
  const dynamodb = new DynamoDBClient({
    endpoint: ready.dynamodbEndpoint,
    region: 'eu-central-1',
    credentials,
  });
  const sqs = new SQSClient({
    endpoint: ready.sqsEndpoint,
    region: 'eu-central-1',
    credentials,
    useQueueUrlAsEndpoint: false,
  });
  try {
    const file = JSON.parse(readFileSync(ready.credentialsFile, 'utf8')) as CredentialsFile;
    const credential = file.credentials.find((c) => c.principal === AUTHORITY)!;
    const call = (path: string, body: unknown, key: string) =>
      signedFetch(
        `${ready.apiUrl}${path}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        },
        credential,
        file.region,
      );

    // Every office publishes a key (RSA-OAEP-256 3072), as the referral fixture does.
    const directory = loadDirectory('config/directory.example.json');
    const recordsTable = ready.tables.find((t) => t.endsWith('-records'))!;
    for (const office of directory.serviceOffices) {
      const pair = await generateRecipientKeyPair({ alg: 'RSA-OAEP-256' });
      const keySet = publishKeys(emptyKeySet, { keys: [pair.publicJwk] }, new Date());
      await dynamodb.send(
        new PutItemCommand({
          TableName: recordsTable,
          Item: marshall(
            { pk: `OFFICE#${office.id}`, sk: 'STATE', keySet, version: 1 },
            { removeUndefinedValues: true },
          ),
        }),
      );
    }

    // A person and a consent per referral (a person has at most one open referral).
    const people: { person: Record<string, string>; consentId: string }[] = [];
    await pool(
      8,
      o.consents,
      () => true,
      async () => {
        const person = {
          azrNumber: randomAzrNumber(),
          familyName: 'Benchfamily',
          givenNames: 'Benchgiven',
          dateOfBirth: '1981-03-02',
        };
        const res = await call('/v1/consents', consentRequest(person), `consent-${randomUUID()}`);
        if (res.status !== 201) throw new Error(`consent answered ${res.status}: ${await res.text()}`);
        people.push({ person, consentId: ((await res.json()) as { id: string }).id });
      },
    );

    const refer = async (p: (typeof people)[number]) =>
      call(
        '/v1/referrals',
        {
          consentId: p.consentId,
          caseReference: 'ABH-2026/0042',
          person: {
            ...p.person,
            nationality: 'SYR',
            languages: ['ar', 'de'],
            phone: '+49 171 5550199',
            address: {
              street: 'Hauptstraße 1',
              postalCode: '76646',
              city: 'Bruchsal',
              municipality: '08215009',
            },
          },
          note: 'Needs help with the recognition of a qualification.',
        },
        `ref-${randomUUID()}`,
      );

    // Warm-up: first imports, key imports, JIT; also yields the intake transaction's item sizes.
    const warm = people.splice(0, 10);
    for (const p of warm) {
      const res = await refer(p);
      if (res.status !== 202) throw new Error(`warm-up referral answered ${res.status}: ${await res.text()}`);
    }
    const itemBytes = (await snapshot(child, statsFile)).intakeTransactItemBytes;
    if (itemBytes.length < 6) throw new Error('no intake transaction was seen');

    // The floor: raw TransactWriteItems with the same number and sizes of items, distinct keys.
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'bench-raw',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    let rawCount = 0;
    const rawEnd = Date.now() + o.seconds * 1000;
    const rawStart = performance.now();
    await pool(
      o.concurrency,
      1_000_000,
      () => Date.now() < rawEnd,
      async () => {
        const id = randomUUID();
        await dynamodb.send(
          new TransactWriteItemsCommand({
            TransactItems: itemBytes.map((bytes, i) => ({
              Put: {
                TableName: 'bench-raw',
                Item: marshall({ pk: `${id}#${i}`, sk: 'X', pad: 'x'.repeat(Math.max(1, bytes - 80)) }),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          }),
        );
        rawCount++;
      },
    );
    const rawPerSecond = rawCount / ((performance.now() - rawStart) / 1000);

    // The office queues, drained as a service office client would.
    const visibleAt = new Map<string, number>();
    let consuming = true;
    let sqsReceives = 0;
    let sqsDeletes = 0;
    const consumers = ready.queues.map(async (q) => {
      while (consuming) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: q.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        sqsReceives++;
        const now = Date.now();
        if (!out.Messages?.length) continue;
        for (const m of out.Messages) {
          const id = (JSON.parse(m.Body ?? '{}') as { referralId?: string }).referralId;
          if (id && !visibleAt.has(id)) visibleAt.set(id, now);
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: q.queueUrl,
            Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
        sqsDeletes++;
      }
    });
    await sleep(500);
    const s0 = await snapshot(child, statsFile);

    // The load: a fixed concurrency for a fixed time (or until the prepared people run out).
    const latencies: number[] = [];
    const acceptedAt = new Map<string, number>();
    const statuses: Record<string, number> = {};
    const loadEnd = Date.now() + o.seconds * 1000;
    const loadStart = performance.now();
    let next = 0;
    await pool(
      o.concurrency,
      people.length,
      () => Date.now() < loadEnd,
      async () => {
        const p = people[next++]!;
        const t = performance.now();
        const res = await refer(p);
        const text = await res.text();
        latencies.push(performance.now() - t);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 202)
          acceptedAt.set((JSON.parse(text) as { referralId: string }).referralId, Date.now());
      },
    );
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const accepted = acceptedAt.size;

    const drainEnd = Date.now() + 20_000;
    while (Date.now() < drainEnd && [...acceptedAt.keys()].some((id) => !visibleAt.has(id))) await sleep(100);
    consuming = false;
    await Promise.all(consumers);
    await sleep(2_500); // one sequencer period, so that its writes for these referrals are counted
    const s1 = await snapshot(child, statsFile);
    const queueDelays = [...acceptedAt]
      .filter(([id]) => visibleAt.has(id))
      .map(([id, at]) => visibleAt.get(id)! - at);

    const platformRssMb = peakRssMb(ready.pid);
    const dynamodbRssMb = peakRssMb(ready.dynamodbPid);

    const append = await measureAppend(dynamodb, o.appendWriters, o.appendSeconds);

    const perReferral = (n: number) => round(n / Math.max(1, accepted), 3);
    return {
      concurrency: o.concurrency,
      seconds: round(loadSeconds, 2),
      requests: latencies.length,
      statuses,
      accepted,
      referralsPerSecond: round(accepted / loadSeconds, 1),
      latencyMs: { p50: round(quantile(latencies, 0.5), 1), p99: round(quantile(latencies, 0.99), 1) },
      rawTransactPerSecond: round(rawPerSecond, 1),
      rawTransactItems: itemBytes.length,
      rawTransactItemBytes: itemBytes,
      ratio: round(accepted / loadSeconds / rawPerSecond, 3),
      queue: {
        seen: queueDelays.length,
        p50Ms: round(quantile(queueDelays, 0.5), 0),
        p99Ms: round(quantile(queueDelays, 0.99), 0),
      },
      perReferral: {
        dynamodbCalls: perReferral(sum(diff(s0.dynamodb, s1.dynamodb))),
        dynamodbByCommand: Object.fromEntries(
          Object.entries(diff(s0.dynamodb, s1.dynamodb)).map(([k, v]) => [k, perReferral(v)]),
        ),
        readUnits: perReferral(s1.readUnits - s0.readUnits),
        writeUnits: perReferral(s1.writeUnits - s0.writeUnits),
        capacityReported: s1.capacityReported - s0.capacityReported > 0,
        sqsRelayRequests: perReferral(sum(diff(s0.sqs, s1.sqs))),
        sqsConsumerRequests: perReferral(sqsReceives + sqsDeletes),
        sqsConsumerRequestsWhileLoaded: 'receives include empty long polls of idle queues',
      },
      memory: { platformPeakRssMb: round(platformRssMb, 1), dynamodbLocalPeakRssMb: round(dynamodbRssMb, 1) },
      append,
    };
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    await ready.interrupt();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Audit appends by concurrent writers: drafts (the design — each append its own item, no
 * shared item on the write path) against a chain whose every append conditionally
 * rewrites one head item (read head, write entry + head, retry on conflict).
 */
async function measureAppend(dynamodb: DynamoDBClient, writers: number, seconds: number) {
  await ensureTable(dynamodb, auditTable, 'bench-audit');
  await ensureTable(dynamodb, auditTable, 'bench-chain');
  const draft = () =>
    auditDraft({
      event: 'referral.accepted',
      actor: AUTHORITY,
      subjectId: 'a'.repeat(64),
      authorityId: 'abh-lk-karlsruhe',
      serviceOfficeId: 'mbe-bruchsal',
      dataCategories: ['identity', 'contact', 'address'],
      consentId: `cns_${'0'.repeat(26)}`,
      purpose: 'migration-counselling',
      referralId: `ref_${'0'.repeat(26)}`,
    });

  let drafts = 0;
  const draftEnd = Date.now() + seconds * 1000;
  const draftStart = performance.now();
  await pool(
    writers,
    10_000_000,
    () => Date.now() < draftEnd,
    async () => {
      await dynamodb.send(
        new PutItemCommand({
          TableName: 'bench-audit',
          Item: marshall(auditDraftItem(draft()), { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      drafts++;
    },
  );
  const draftsPerSecond = drafts / ((performance.now() - draftStart) / 1000);

  let chained = 0;
  let conflicts = 0;
  const chainEnd = Date.now() + seconds * 1000;
  const chainStart = performance.now();
  const head = { pk: { S: 'CHAIN' }, sk: { S: 'HEAD' } };
  await pool(
    writers,
    10_000_000,
    () => Date.now() < chainEnd,
    async () => {
      const d = draft();
      for (let attempt = 0; attempt < 200 && Date.now() < chainEnd + 5_000; attempt++) {
        const got = await dynamodb.send(
          new GetItemCommand({ TableName: 'bench-chain', Key: head, ConsistentRead: true }),
        );
        const sequence = Number(got.Item?.sequence?.N ?? 0);
        const previousHash = got.Item?.hash?.S ?? '0'.repeat(64);
        const entry = { ...d, sequence: sequence + 1, previousHash };
        const hash = entryHash(entry);
        try {
          await dynamodb.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: 'bench-chain',
                    Item: marshall({ pk: `ENTRY#${d.entryId}`, sk: 'ENTRY', entry: { ...entry, hash } }),
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  Put: {
                    TableName: 'bench-chain',
                    Item: marshall({ pk: 'CHAIN', sk: 'HEAD', sequence: sequence + 1, hash }),
                    ConditionExpression: 'attribute_not_exists(pk) OR #s = :expected',
                    ExpressionAttributeNames: { '#s': 'sequence' },
                    ExpressionAttributeValues: marshall({ ':expected': sequence }),
                  },
                },
              ],
            }),
          );
          chained++;
          return;
        } catch (error) {
          if (
            !(error instanceof TransactionCanceledException) &&
            (error as Error).name !== 'TransactionConflictException'
          )
            throw error;
          conflicts++;
        }
      }
    },
  );
  const chainPerSecond = chained / ((performance.now() - chainStart) / 1000);
  return {
    writers,
    seconds,
    draftsPerSecond: round(draftsPerSecond, 1),
    headItemChainPerSecond: round(chainPerSecond, 1),
    headItemConflicts: conflicts,
    ratio: round(draftsPerSecond / chainPerSecond, 2),
  };
}
