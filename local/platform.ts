import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type FunctionDefinition, functionDefinitions } from '#functions/definitions.ts';
import { apiThrottle } from '#infra/limits.ts';
import { startDynamoDbLocal } from '#local/emulators/dynamodb-local.ts';
import { PlatformError } from '#local/emulators/process-tools.ts';
import { startSqsLocal } from '#local/emulators/sqs-local.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { type Clock, systemClock } from '#shared/domain/clock.ts';
import { functionEnvironment, SIGN_IN_ENVIRONMENT } from '#shared/function-environment.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';
import { authorityQueues, officeQueues, tableName, tables } from '#shared/resources.ts';
import { buildWeb } from '#web/build.ts';
import { type CredentialsFile, ensureCredentials, ensureLocalSecrets } from './credentials.ts';
import { createGateway, type GatewayRoute, listen, type ProxyHandler } from './gateway.ts';
import {
  type DemoPerson,
  ensureDemoPeople,
  SESSION_SECONDS,
  startIdentityProvider,
} from './identity-provider.ts';
import { lambdaContext } from './lambda-context.ts';
import { startMailSink } from './mail-sink.ts';
import { ensureQueue, ensureTable } from './provision.ts';
import { scheduledEvent, startScheduler } from './scheduler.ts';
import { startStreamPoller } from './stream-poller.ts';
import { type TokenVerifier, tokenVerifier } from './token-verify.ts';
import { sweepExpired } from './ttl-sweeper.ts';

export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_STAGE = 'local';

export interface PlatformOptions {
  readonly host?: string;
  /** API port; 0 picks a free one. Default 3000. */
  readonly port?: number;
  readonly dynamodbPort?: number;
  readonly sqsPort?: number;
  /** Port of the local OpenID provider; default 3001, or a free one when `port` is 0. */
  readonly oidcPort?: number;
  /** Where data, credentials and checkpoints are kept. Default `.local`. */
  readonly dataDir?: string;
  /** Keep the emulators' data in memory only (tests). */
  readonly inMemory?: boolean;
  /** Wipe the emulators' data before starting. */
  readonly fresh?: boolean;
  readonly directoryFile?: string;
  readonly region?: string;
  /** Enforce the deployed API throttling (infra/limits.ts); default true. */
  readonly throttle?: boolean;
  /** Called with a one-sentence message if an emulator dies while running. */
  readonly onFatal?: (message: string) => void;
  /** The clock by which the local TTL sweeper deletes expired items; default the system clock. */
  readonly ttlClock?: Clock;
}

export interface QueueInfo {
  readonly officeId: string;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
}

/** An authority's event queue (docs/referrals.md, events). */
export interface EventQueueInfo {
  readonly authorityId: string;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
}

export interface Platform {
  readonly apiUrl: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly credentialsFile: string;
  readonly credentials: CredentialsFile;
  /** The local OpenID provider and the demo people who sign in with it (docs/sign-in.md). */
  readonly identityProvider: {
    readonly issuer: string;
    readonly clientId: string;
    readonly peopleFile: string | undefined;
    readonly people: readonly DemoPerson[];
  };
  readonly tables: readonly string[];
  readonly queues: readonly QueueInfo[];
  readonly eventQueues: readonly EventQueueInfo[];
  /**
   * The mail sink: every notification to an office's contact address as an RFC 5322 file,
   * `<mailDir>/<office id>/<notification id>.eml` (docs/notifications.md).
   */
  readonly mailDir: string;
  readonly consumers: readonly string[];
  readonly directoryVersion: string;
  readonly startupMs: number;
  /** Process id of the DynamoDB Local JVM. */
  readonly dynamodbPid: number | undefined;
  /**
   * Runs the local TTL sweeper now (after a run under way), by `ttlClock`; resolves with
   * how many items it deleted.
   */
  sweepExpired(): Promise<number>;
  stop(): Promise<void>;
}

/** The scheduler job that stands in for DynamoDB TTL. */
const TTL_SWEEPER = 'ttl-sweeper';

async function loadHandler(entry: string): Promise<ProxyHandler> {
  const module = (await import(resolve(entry))) as { handler?: ProxyHandler };
  if (typeof module.handler !== 'function') throw new Error(`${entry} exports no handler`);
  return module.handler;
}

/**
 * Starts the whole system on this machine: DynamoDB Local and fauxqs, the tables and
 * queues from the same definitions CDK deploys, the API gateway in front of the
 * deployed handler modules, and the background consumers the deployed system runs.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const started = performance.now();
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'eu-central-1';
  const dataDir = resolve(options.dataDir ?? '.local');
  const directoryFile = resolve(options.directoryFile ?? 'config/directory.example.json');
  const directory = loadDirectory(directoryFile);

  if (options.fresh) {
    for (const sub of ['dynamodb', 'sqs', 'checkpoints', 'mail'])
      rmSync(resolve(dataDir, sub), { recursive: true, force: true });
  }
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };

  try {
    let fatal = false;
    // The web pages are built from their TypeScript sources (web/build.ts) while the emulators start.
    const webBuild = buildWeb().then(
      () => undefined,
      (error: unknown) => error,
    );
    const [dynamo, sqsLocal] = await Promise.all([
      startDynamoDbLocal({
        port: options.dynamodbPort ?? 8000,
        ...(options.inMemory ? {} : { dataDir: resolve(dataDir, 'dynamodb') }),
      }),
      startSqsLocal({
        port: options.sqsPort ?? 9324,
        region,
        ...(options.inMemory ? {} : { dataDir: resolve(dataDir, 'sqs') }),
      }),
    ]);
    stops.push(
      () => dynamo.stop(),
      () => sqsLocal.stop(),
    );
    const webError = await webBuild;
    if (webError !== undefined)
      throw new PlatformError(`The web pages do not build (web/build.ts): ${String(webError)}`);
    dynamo.onCrash((code, signal) => {
      if (fatal) return;
      fatal = true;
      options.onFatal?.(
        `DynamoDB Local stopped unexpectedly (${signal ?? `exit code ${code}`}): start again; if it keeps failing, start with --fresh.`,
      );
    });

    const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const secrets = ensureLocalSecrets(resolve(dataDir, 'secrets.json'));
    const queueUrlTemplate = `${sqsLocal.endpoint}/${LOCAL_ACCOUNT_ID}/{name}`;
    const urlFor = (name: string) => queueUrlTemplate.replace('{name}', name);
    const env = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsLocal.endpoint,
      POWERTOOLS_METRICS_DISABLED: 'true',
      REX_PSEUDONYM_SECRET: secrets.pseudonymSecret,
      REX_CHECKPOINT_PRIVATE_KEY: secrets.checkpointPrivateKey,
      ...functionEnvironment({
        stage: LOCAL_STAGE,
        accountId: LOCAL_ACCOUNT_ID,
        recordsTable: tableName(LOCAL_STAGE, tables[0]!),
        auditTable: tableName(LOCAL_STAGE, tables[1]!),
        directoryFile,
        queueUrlTemplate,
        auditRetentionYears: directory.deployment.auditRetentionYears,
        retention: directory.deployment.retention,
      }),
    };
    // The handlers run in this process, as one Lambda runtime would run them.
    Object.assign(process.env, env);

    const dynamodb = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: localCredentials });
    const sqs = new SQSClient({
      endpoint: sqsLocal.endpoint,
      region,
      credentials: localCredentials,
      useQueueUrlAsEndpoint: false,
    });
    stops.push(async () => {
      dynamodb.destroy();
      sqs.destroy();
    });
    const tableNames = tables.map((t) => tableName(LOCAL_STAGE, t));
    await Promise.all(tables.map((t) => ensureTable(dynamodb, t, tableName(LOCAL_STAGE, t))));
    const queues: QueueInfo[] = [];
    for (const [i, def] of officeQueues(LOCAL_STAGE, directory).entries()) {
      const urls = await ensureQueue(sqs, def, urlFor);
      queues.push({ officeId: directory.serviceOffices[i]!.id, ...urls });
    }
    const eventQueues: EventQueueInfo[] = [];
    for (const [i, def] of authorityQueues(LOCAL_STAGE, directory).entries()) {
      const urls = await ensureQueue(sqs, def, urlFor);
      eventQueues.push({ authorityId: directory.authorities[i]!.id, ...urls });
    }

    const resolver = new PrincipalResolver(directory, { stage: LOCAL_STAGE, accountId: LOCAL_ACCOUNT_ID });
    const credentialsFile = resolve(dataDir, 'credentials.json');
    const port = options.port ?? 3000;

    const handlers = new Map<string, Promise<ProxyHandler>>();
    const handlerFor = (def: FunctionDefinition) => {
      let h = handlers.get(def.id);
      if (!h) {
        h = loadHandler(def.entry);
        handlers.set(def.id, h);
      }
      return h;
    };
    const routes: GatewayRoute[] = functionDefinitions.flatMap((def) =>
      def.kind === 'http'
        ? def.operations.map((operation) => ({
            operation,
            functionName: def.id,
            handler: () => handlerFor(def),
          }))
        : [],
    );
    const queuesOf = (principal: string) => {
      const queue =
        queues.find((q) => `service:${q.officeId}` === principal) ??
        eventQueues.find((q) => `authority:${q.authorityId}` === principal);
      return (
        queue && {
          queueUrl: queue.queueUrl,
          deadLetterUrl: queue.deadLetterUrl,
          sqsEndpoint: sqsLocal.endpoint,
        }
      );
    };
    let credentials = ensureCredentials(credentialsFile, resolver.principals(), {
      region,
      accountId: LOCAL_ACCOUNT_ID,
      queues: queuesOf,
    });
    const byKey = () => new Map(credentials.credentials.map((c) => [c.accessKeyId, c]));
    let credentialIndex = byKey();
    let bearer: TokenVerifier | undefined;
    const gateway = createGateway({
      bearer: () => bearer,
      host,
      port,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      stage: LOCAL_STAGE,
      routes,
      credential: (id) => credentialIndex.get(id),
      ...(options.throttle === false
        ? {}
        : { throttle: { ratePerSecond: apiThrottle.rateLimitPerSecond, burst: apiThrottle.burstLimit } }),
    });
    const apiPort = await listen(gateway, port, host);
    stops.push(
      () =>
        new Promise<void>((done) => {
          gateway.close(() => done());
          gateway.closeAllConnections();
        }),
    );
    // The stage is part of the URL, as on API Gateway's default endpoint (`…/api`).
    const apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${apiPort}/${LOCAL_STAGE}`;
    credentials = ensureCredentials(credentialsFile, resolver.principals(), {
      region,
      accountId: LOCAL_ACCOUNT_ID,
      endpoint: apiUrl,
      queues: queuesOf,
    });
    credentialIndex = byKey();

    // The OpenID provider, and the gateway verifying its tokens as the Cognito authorizer does.
    const peopleFile = options.inMemory ? undefined : resolve(dataDir, 'people.json');
    const people = ensureDemoPeople(peopleFile, directory);
    const idp = await startIdentityProvider({
      host,
      port: options.oidcPort ?? (port === 0 ? 0 : 3001),
      apiUrl,
      people,
    });
    stops.push(() => idp.stop());
    bearer = tokenVerifier({
      issuer: idp.issuer,
      audience: idp.clientId,
      maxSessionSeconds: SESSION_SECONDS,
      signedOutAt: (subject) => idp.signedOutAt(subject),
    });
    // What the web pages' settings file names as their provider (functions/web-pages.ts).
    Object.assign(process.env, {
      [SIGN_IN_ENVIRONMENT.issuer]: idp.issuer,
      [SIGN_IN_ENVIRONMENT.clientId]: idp.clientId,
    });

    // The offices' mails go to files instead of Amazon SES, through the same port; they link
    // to this gateway's office page.
    const mailDir = options.inMemory ? mkdtempSync(join(tmpdir(), 'rex-mail-')) : resolve(dataDir, 'mail');
    if (options.inMemory) stops.push(async () => rmSync(mailDir, { recursive: true, force: true }));
    const mailSink = startMailSink(mailDir);
    Object.assign(process.env, { REX_OFFICE_PAGE_URL: `${apiUrl}/office` });
    (await import('#functions/composition.ts')).useNotifier(mailSink.notifier);

    const consumers: string[] = [];
    const jobs: { name: string; everyMs: number; run: () => Promise<void> }[] = [];
    for (const def of functionDefinitions) {
      if (def.kind === 'stream') {
        const table = tables.find((t) => t.id === def.table)!;
        const poller = await startStreamPoller({
          client: { endpoint: dynamo.endpoint, region },
          tableName: tableName(LOCAL_STAGE, table),
          functionName: def.id,
          batchSize: def.batchSize,
          handler: async (event, context) => (await loadHandler(def.entry))(event as never, context) as never,
          ...(options.inMemory ? {} : { checkpointFile: resolve(dataDir, 'checkpoints', `${def.id}.json`) }),
        });
        stops.push(() => poller.stop());
        consumers.push(`${def.id} ← stream of ${tableName(LOCAL_STAGE, table)}`);
      } else if (def.kind === 'schedule') {
        jobs.push({
          name: def.id,
          everyMs: def.localEveryMs ?? def.everyMinutes * 60_000,
          run: async () => {
            const handler = (await import(resolve(def.entry))).handler as (
              e: unknown,
              c: unknown,
            ) => Promise<unknown>;
            await handler(
              scheduledEvent(def.id, region, LOCAL_ACCOUNT_ID, new Date()),
              lambdaContext(def.id, region, LOCAL_ACCOUNT_ID),
            );
          },
        });
        consumers.push(
          def.localEveryMs
            ? `${def.id} every ${def.localEveryMs} ms`
            : `${def.id} every ${def.everyMinutes} min`,
        );
      }
    }
    // DynamoDB Local never deletes by TTL: the sweeper stands in for it (docs/local-platform.md).
    const ttlClock = options.ttlClock ?? systemClock;
    let swept = 0;
    jobs.push({
      name: TTL_SWEEPER,
      everyMs: 60_000,
      run: async () => {
        swept = 0;
        for (const t of tables) swept += await sweepExpired(dynamodb, t, tableName(LOCAL_STAGE, t), ttlClock);
      },
    });
    consumers.push('DynamoDB TTL (local sweeper) every 60 s');
    const scheduler = startScheduler({ jobs });
    stops.push(() => scheduler.stop());

    return {
      apiUrl,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqsLocal.endpoint,
      credentialsFile,
      credentials,
      identityProvider: { issuer: idp.issuer, clientId: idp.clientId, peopleFile, people },
      tables: tableNames,
      queues,
      eventQueues,
      mailDir,
      consumers,
      directoryVersion: directory.version,
      startupMs: Math.round(performance.now() - started),
      dynamodbPid: dynamo.process.pid,
      sweepExpired: async () => {
        await scheduler.runNow(TTL_SWEEPER);
        return swept;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export { PlatformError };
