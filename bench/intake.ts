/**
 * Sections 1 and 2: sequential AWS calls of the referral intake (accept, duplicate,
 * refused), and its CPU time per referral against the floor (the same SDK calls with
 * the same inputs, plus the JWE encryption). Runs in its own process; DynamoDB is a
 * zero-latency stub in another process. Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { median, round } from '#bench/lib/stats.ts';
import { recordConsent } from '#shared/api/consents.ts';
import { submitReferral } from '#shared/api/referrals.ts';
import { tables } from '#shared/resources.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { consentRequest } from '#test/support/sample-requests.ts';

const iterations = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 5);
const STAGE = 'bench';
const AUTHORITY = 'authority:abh-lk-karlsruhe';

const stub = spawn(
  process.execPath,
  ['--import', 'tsx', new URL('./lib/dynamodb-stub.ts', import.meta.url).pathname],
  {
    stdio: ['ignore', 'pipe', 'ignore', 'ipc'],
  },
);
const [firstChunk] = (await once(stub.stdout!, 'data')) as [Buffer];
const endpoint = `http://127.0.0.1:${firstChunk.toString().trim()}`;
const control = (what: 'record' | 'discard') => fetch(`${endpoint}/${what}`, { method: 'POST', body: '{}' });

Object.assign(process.env, {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
  REX_STAGE: STAGE,
  REX_ACCOUNT_ID: '000000000000',
  REX_QUEUE_URL_TEMPLATE: 'http://127.0.0.1:9/000000000000/{name}',
  REX_DIRECTORY_FILE: 'config/directory.example.json',
  REX_PSEUDONYM_SECRET: '5a'.repeat(32),
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  ...Object.fromEntries(tables.map((t) => [t.envVar, `rex-${STAGE}-${t.suffix}`])),
});
const recordsTable = `rex-${STAGE}-records`;

const { dynamoClient, documentClient } = await import('#shared/adapters/aws-clients.ts');
const { loadDirectory } = await import('#shared/adapters/directory-file.ts');
const { emptyKeySet, publishKeys, currentKey } = await import('#shared/domain/crypto/key-set.ts');
const { generateRecipientKeyPair } = await import('#shared/domain/crypto/keygen.ts');
const { encryptReferral, REFERRAL_CONTENT_TYPE } = await import('#shared/domain/crypto/jwe.ts');

// Every call through the one shared client: counted, with the largest number in flight.
interface Call {
  readonly command: string;
  readonly input: unknown;
}
let calls: Call[] = [];
let inFlight = 0;
let maxInFlight = 0;
dynamoClient().middlewareStack.add(
  (next, context) => async (args) => {
    calls.push({ command: String(context.commandName), input: structuredClone(args.input) });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await next(args);
    } finally {
      inFlight--;
    }
  },
  { step: 'initialize', name: 'benchCallCounter' },
);

// The document client's inputs, for the floor: the same calls with the same items.
let inputs: Call[] = [];
{
  const doc = documentClient();
  const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
  (
    doc as unknown as {
      send: (command: { constructor: { name: string }; input: unknown }) => Promise<unknown>;
    }
  ).send = (command) => {
    inputs.push({ command: command.constructor.name, input: structuredClone(command.input) });
    return send(command);
  };
}

// Published keys for every office (RSA-OAEP-256 3072, the common choice of offices).
const directory = loadDirectory('config/directory.example.json');
const keySets = new Map<string, ReturnType<typeof publishKeys>>();
for (const office of directory.serviceOffices) {
  const pair = await generateRecipientKeyPair({ alg: 'RSA-OAEP-256' });
  const keySet = publishKeys(emptyKeySet, { keys: [pair.publicJwk] }, new Date());
  keySets.set(office.id, keySet);
  await dynamoClient().send(
    new PutItemCommand({
      TableName: recordsTable,
      Item: marshall(
        { pk: `OFFICE#${office.id}`, sk: 'STATE', keySet, version: 1 },
        { removeUndefinedValues: true },
      ),
    }),
  );
}

const consents = (await import('#functions/consents.ts')).handler as ProxyHandler;
const referrals = (await import('#functions/referrals.ts')).handler as ProxyHandler;

const person = {
  azrNumber: `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`,
  familyName: 'Benchfamily',
  givenNames: 'Benchgiven',
  dateOfBirth: '1981-03-02',
};
const consent = await invoke(
  consents,
  apiEvent(recordConsent, {
    principal: AUTHORITY,
    stage: STAGE,
    idempotencyKey: `consent-${randomUUID()}`,
    body: consentRequest(person),
  }),
);
if (consent.status !== 201) throw new Error(`consent: ${consent.status} ${JSON.stringify(consent.body)}`);
const consentId = consent.body.id as string;
const body = (id = consentId) => ({
  consentId: id,
  caseReference: 'ABH-2026/0042',
  person: {
    ...person,
    nationality: 'SYR',
    languages: ['ar', 'de'],
    phone: '+49 171 5550199',
    address: { street: 'Hauptstraße 1', postalCode: '76646', city: 'Bruchsal', municipality: '08215009' },
  },
  note: 'Needs help with the recognition of a qualification.',
});
const submit = (key = `ref-${randomUUID()}`, b: unknown = body()) =>
  invoke(
    referrals,
    apiEvent(submitReferral, { principal: AUTHORITY, stage: STAGE, body: b, idempotencyKey: key }),
  );

async function roundTrips(run: () => Promise<{ status: number }>) {
  calls = [];
  inputs = [];
  maxInFlight = 0;
  const res = await run();
  return {
    status: res.status,
    calls: calls.length,
    sequential: maxInFlight <= 1 ? calls.length : Number.NaN,
    commands: calls.map((c) => c.command),
  };
}

// 1. Round trips. Writes are forgotten, so the same person can be referred again and again.
await control('discard');
await submit(); // first use: imports the key, reads the secret
const accept = await roundTrips(() => submit());
const acceptInputs = [...inputs];
await control('record');
const key = `dup-${randomUUID()}`;
await submit(key);
await control('discard');
const duplicate = await roundTrips(() => submit(key));
const refused = await roundTrips(() => submit(undefined, body(`cns_${'0'.repeat(26)}`)));
if (accept.status !== 202 || duplicate.status !== 202 || refused.status !== 422) {
  throw new Error(`unexpected answers: ${accept.status} ${duplicate.status} ${refused.status}`);
}

// 2. CPU per referral, handler vs floor, in alternating blocks (noise hits both alike).
const batchGet = acceptInputs.find((c) => c.command === 'BatchGetCommand')!.input as ConstructorParameters<
  typeof BatchGetCommand
>[0];
const transact = acceptInputs.find((c) => c.command === 'TransactWriteCommand')!
  .input as ConstructorParameters<typeof TransactWriteCommand>[0];
const officeId = String(accept.status === 202 ? (await submit()).body.serviceOffice.id : '');
const recipient = currentKey(keySets.get(officeId)!)!;
const payload = {
  schema: 'referral-exchange.referral.v1',
  referralId: `ref_${'0'.repeat(26)}`,
  consentId,
  createdAt: new Date().toISOString(),
  authority: { id: 'abh-lk-karlsruhe', name: 'Ausländerbehörde Landkreis Karlsruhe' },
  serviceOfficeId: officeId,
  caseReference: 'ABH-2026/0042',
  dataCategories: ['identity', 'contact', 'address', 'nationality-and-languages', 'needs'],
  person: body().person,
  note: body().note,
};
const floorOnce = async () => {
  await documentClient().send(new BatchGetCommand(batchGet));
  await encryptReferral(payload, recipient, { cty: REFERRAL_CONTENT_TYPE });
  await documentClient().send(new TransactWriteCommand(transact));
};
const handlerOnce = async () => {
  const res = await submit();
  if (res.status !== 202) throw new Error(`intake answered ${res.status}`);
};
const cpuPer = async (fn: () => Promise<void>, n: number) => {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / n;
};
await cpuPer(handlerOnce, Math.min(200, iterations));
await cpuPer(floorOnce, Math.min(200, iterations));
const handlerMs: number[] = [];
const floorMs: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const h = await cpuPer(handlerOnce, Math.ceil(iterations / rounds));
  const f = await cpuPer(floorOnce, Math.ceil(iterations / rounds));
  handlerMs.push(h);
  floorMs.push(f);
  ratios.push(h / f);
}
stub.kill('SIGTERM');
const payloadBytes = (c: Call) => Buffer.byteLength(JSON.stringify(c.input));
console.log(
  JSON.stringify({
    roundTrips: { accept, duplicate, refused },
    requestBytes: Object.fromEntries(acceptInputs.map((c) => [c.command, payloadBytes(c)])),
    cpu: {
      iterations,
      rounds,
      handlerMsPerReferral: round(median(handlerMs), 3),
      floorMsPerReferral: round(median(floorMs), 3),
      ratio: round(median(ratios), 3),
      ratios: ratios.map((x) => round(x, 3)),
    },
  }),
);
process.exit(0);
