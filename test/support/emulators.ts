import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, inject } from 'vitest';
import { type SqsLocal, startSqsLocal } from '../../local/emulators/sqs-local.ts';
import { ensureQueue, ensureTable } from '../../local/provision.ts';
import { tables as allTables, type QueueDefinition, type TableDefinition } from '../../shared/resources.ts';

export const REGION = 'eu-central-1';
/** The checkpoint signing key integration tests run with (Ed25519, PKCS #8 PEM). */
export const TEST_CHECKPOINT_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
/** The deployment secret integration tests run with (hex, 32 bytes). */
export const TEST_PSEUDONYM_SECRET = '7e'.repeat(32);
export const ACCOUNT_ID = '000000000000';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface Emulators {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** A stage name unique to this test file: tables and queues carry it. */
  readonly stage: string;
  queueUrl(name: string): string;
  createTables(defs?: readonly TableDefinition[]): Promise<void>;
  createQueue(def: QueueDefinition): Promise<{ queueUrl: string; deadLetterUrl: string }>;
  /** Environment for code under test that reads the standard AWS variables. */
  env(): Record<string, string>;
}

/**
 * Real emulators for an integration test file: the run's DynamoDB Local (started by
 * the global setup) and a fauxqs instance of this file's own. Each file gets a unique
 * stage, so its tables and queues never meet another file's.
 */
export function useEmulators(): Emulators {
  const stage = `t${randomBytes(4).toString('hex')}`;
  let sqsLocal: SqsLocal | undefined;
  let dynamodb: DynamoDBClient | undefined;
  let sqs: SQSClient | undefined;
  const created: string[] = [];

  beforeAll(async () => {
    sqsLocal = await startSqsLocal({ port: 0, region: REGION });
    dynamodb = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: REGION, credentials });
    sqs = new SQSClient({
      endpoint: sqsLocal.endpoint,
      region: REGION,
      credentials,
      useQueueUrlAsEndpoint: false,
    });
  });
  afterAll(async () => {
    for (const TableName of created)
      await dynamodb?.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    dynamodb?.destroy();
    sqs?.destroy();
    await sqsLocal?.stop();
  });

  const self: Emulators = {
    get dynamodbEndpoint() {
      return inject('dynamodbEndpoint');
    },
    get sqsEndpoint() {
      if (!sqsLocal) throw new Error('emulators are started in beforeAll');
      return sqsLocal.endpoint;
    },
    get dynamodb() {
      if (!dynamodb) throw new Error('emulators are started in beforeAll');
      return dynamodb;
    },
    get sqs() {
      if (!sqs) throw new Error('emulators are started in beforeAll');
      return sqs;
    },
    stage,
    queueUrl: (name) => `${self.sqsEndpoint}/${ACCOUNT_ID}/${name}`,
    async createTables(defs = allTables) {
      for (const def of defs) {
        const name = `rex-${stage}-${def.suffix}`;
        await ensureTable(self.dynamodb, def, name);
        created.push(name);
      }
    },
    createQueue: (def) => ensureQueue(self.sqs, def, self.queueUrl),
    env: () => ({
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: self.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SQS: self.sqsEndpoint,
      REX_STAGE: stage,
      REX_ACCOUNT_ID: ACCOUNT_ID,
      REX_QUEUE_URL_TEMPLATE: `${self.sqsEndpoint}/${ACCOUNT_ID}/{name}`,
      REX_DIRECTORY_FILE: 'config/directory.example.json',
      REX_PSEUDONYM_SECRET: TEST_PSEUDONYM_SECRET,
      REX_CHECKPOINT_PRIVATE_KEY: TEST_CHECKPOINT_KEY,
      ...Object.fromEntries(allTables.map((t) => [t.envVar, `rex-${stage}-${t.suffix}`])),
    }),
  };
  return self;
}
