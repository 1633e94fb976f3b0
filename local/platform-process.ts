import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '#local/emulators/process-tools.ts';
import { signedFetch } from '#shared/sdk/signed-fetch.ts';
import type { CredentialsFile, LocalCredential } from './credentials.ts';

export interface ReadyInfo {
  readonly pid: number;
  readonly apiUrl: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly credentialsFile: string;
  readonly tables: string[];
  readonly queues: { officeId: string; queueUrl: string; deadLetterUrl: string }[];
  /** The mail sink's folder: `<office id>/<notification id>.eml`. */
  readonly mailDir: string;
  readonly startupMs: number;
  readonly dynamodbPid: number;
  /** The local OpenID provider and its demo people (with passwords: the file is the owner's only). */
  readonly identityProvider: {
    readonly issuer: string;
    readonly clientId: string;
    readonly people: readonly { email: string; subject: string; password: string; unit: string }[];
  };
  /** The temporary data folder (credentials, secrets); removed on interrupt. */
  readonly dataDir: string;
}

export interface RunningPlatform extends ReadyInfo {
  readonly process: ChildProcess;
  readonly credentials: CredentialsFile;
  readonly output: () => string;
  credential(principal: string): LocalCredential;
  /** A signed request as `principal` (e.g. `authority:abh-lk-karlsruhe`). */
  request(
    principal: string,
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Ctrl-C, as an operator would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/**
 * Spawns the local platform as `npm start` does — on free ports, in memory, in a
 * temporary data folder — and waits until it is ready. For the end-to-end tests, the
 * benchmarks and `npm run demo`.
 */
export async function startPlatformProcess(
  args: string[] = [],
  options: {
    readonly env?: NodeJS.ProcessEnv;
    /** Node options before the entry point, e.g. `['--import', instrumentation]`. */
    readonly nodeArgs?: readonly string[];
  } = {},
): Promise<RunningPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'rex-platform-'));
  const readyFile = join(dir, 'ready.json');
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      '--import',
      'tsx',
      ...(options.nodeArgs ?? []),
      fileURLToPath(new URL('./main.ts', import.meta.url)),
      '--in-memory',
      '--port',
      '0',
      '--dynamodb-port',
      String(await freePort()),
      '--sqs-port',
      '0',
      '--data-dir',
      dir,
      '--ready-file',
      readyFile,
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', ...options.env },
    },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 90_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the platform did not become ready: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const info = {
    ...(JSON.parse(readFileSync(readyFile, 'utf8')) as Omit<ReadyInfo, 'dataDir'>),
    dataDir: dir,
  };
  const credentials = JSON.parse(readFileSync(info.credentialsFile, 'utf8')) as CredentialsFile;
  const credential = (principal: string) => {
    const c = credentials.credentials.find((x) => x.principal === principal);
    if (!c) throw new Error(`no demo credential for ${principal}`);
    return c;
  };
  let interrupted: Promise<number | null> | undefined;
  return {
    ...info,
    process: child,
    credentials,
    output: () => output,
    credential,
    request: (principal, path, init = {}) =>
      signedFetch(
        `${info.apiUrl}${path}`,
        {
          method: init.method ?? 'GET',
          headers: {
            ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...init.headers,
          },
          ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        },
        credential(principal),
        credentials.region,
      ),
    interrupt: () => {
      interrupted ??= (async () => {
        if (child.exitCode === null) child.kill('SIGINT');
        const code = await exited;
        rmSync(dir, { recursive: true, force: true });
        return code;
      })();
      return interrupted;
    },
  };
}

/** Whether a process with this id is still alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
