import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, inject } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/emulators/dynamodb-local.ts';
import { freePort } from '#local/emulators/process-tools.ts';
import { type SqsLocal, startSqsLocal } from '#local/emulators/sqs-local.ts';
import { ensureQueue, ensureTable } from '#local/provision.ts';
import { tables as allTables, type QueueDefinition, type TableDefinition } from '#shared/resources.ts';

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
  /**
   * Only with `restartable`: kills DynamoDB Local (SIGKILL, as a crash) and starts it again
   * on the same port and data folder; `whileDown` runs after the kill and before the start,
   * so a test can make a request meet the outage for certain. Resolves with the time it was
   * unreachable, in ms.
   */
  restartDynamoDb(whileDown?: () => Promise<void>): Promise<number>;
  /**
   * Only with `restartable`: stops fauxqs, keeps it down for `downMs` and starts it again
   * on the same port and data folder. Resolves with the time it was unreachable, in ms.
   */
  restartSqs(downMs?: number): Promise<number>;
}

export interface EmulatorOptions {
  /**
   * A DynamoDB Local process of this file's own (in memory) instead of the run's shared
   * one, for files that write a lot: after such a file DynamoDB Local stays several
   * times slower for every other file, its tables deleted or not (docs/reliability.md).
   */
  readonly ownDynamoDb?: boolean;
  /**
   * Emulators of this file's own that keep their state in a data folder (DynamoDB Local
   * with `-sharedDb -dbPath`, fauxqs with its SQLite folder), so they can be restarted
   * mid-run. The folder is on /dev/shm where there is one: it outlives the processes,
   * which is all a restart needs, without the disk's latency.
   */
  readonly restartable?: boolean;
}

/**
 * Real emulators for an integration test file: the run's DynamoDB Local (started by
 * the global setup) and a fauxqs instance of this file's own. Each file gets a unique
 * stage, so its tables and queues never meet another file's.
 */
export function useEmulators(options: EmulatorOptions = {}): Emulators {
  const stage = `t${randomBytes(4).toString('hex')}`;
  let sqsLocal: SqsLocal | undefined;
  let dynamodb: DynamoDBClient | undefined;
  let sqs: SQSClient | undefined;
  const created: string[] = [];
  const own: { dataDir?: string; dynamoDbLocal?: DynamoDbLocal; dynamoDbPort?: number } = {};
  const ownDynamoDb = () => ({
    port: own.dynamoDbPort!,
    ...(own.dataDir ? { dataDir: join(own.dataDir, 'dynamodb') } : {}),
  });
  const ownSqs = (port: number) => ({ port, region: REGION, dataDir: join(own.dataDir!, 'sqs') });

  beforeAll(async () => {
    if (options.restartable)
      own.dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'rex-emulators-'));
    if (options.restartable || options.ownDynamoDb) {
      own.dynamoDbPort = await freePort();
      own.dynamoDbLocal = await startDynamoDbLocal(ownDynamoDb());
    }
    sqsLocal = await startSqsLocal(own.dataDir ? ownSqs(0) : { port: 0, region: REGION });
    dynamodb = new DynamoDBClient({ endpoint: self.dynamodbEndpoint, region: REGION, credentials });
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
    await own.dynamoDbLocal?.stop();
    if (own.dataDir) rmSync(own.dataDir, { recursive: true, force: true });
  });

  const restartable = () => {
    if (!own.dataDir) throw new Error('restarting needs useEmulators({ restartable: true })');
  };

  const self: Emulators = {
    get dynamodbEndpoint() {
      return own.dynamoDbPort ? `http://127.0.0.1:${own.dynamoDbPort}` : inject('dynamodbEndpoint');
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
    async restartDynamoDb(whileDown) {
      restartable();
      const child = own.dynamoDbLocal!.process;
      const down = Date.now();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await whileDown?.();
      own.dynamoDbLocal = await startDynamoDbLocal(ownDynamoDb());
      return Date.now() - down;
    },
    async restartSqs(downMs = 0) {
      restartable();
      const port = sqsLocal!.port;
      const down = Date.now();
      await sqsLocal!.stop();
      await new Promise((r) => setTimeout(r, downMs));
      sqsLocal = await startSqsLocal(ownSqs(port));
      return Date.now() - down;
    },
  };
  return self;
}
