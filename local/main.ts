import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PlatformError } from '#local/emulators/process-tools.ts';
import { exitUnlessPrerequisites } from './preflight.ts';

const HELP = `Starts referral-exchange on this machine: DynamoDB Local, an SQS emulator, the API and its consumers.

Usage: npm start -- [options]

  --port <n>            API port on the host (default 3000, env REX_PORT)
  --host <addr>         API address (default 127.0.0.1)
  --dynamodb-port <n>   DynamoDB Local port (default 8000)
  --sqs-port <n>        SQS emulator port (default 9324)
  --data-dir <dir>      where data, demo credentials and checkpoints live (default .local)
  --fresh               wipe the stored tables, queues and checkpoints first (credentials stay)
  --in-memory           keep nothing on disk
  --no-throttle         do not enforce the deployed API throttling (for load measurements)
  --directory <file>    the deployment directory (default config/directory.example.json)
  --oidc-port <port>    port of the local OpenID provider (default 3001)
  --ready-file <file>   write what runs where as JSON once ready (for scripts)
  -h, --help            this text
`;

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new PlatformError(`${name} must be a port number (0–65535), not "${value}".`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'sqs-port': { type: 'string' },
      'oidc-port': { type: 'string' },
      'data-dir': { type: 'string' },
      fresh: { type: 'boolean', default: false },
      'in-memory': { type: 'boolean', default: false },
      'no-throttle': { type: 'boolean', default: false },
      directory: { type: 'string' },
      'ready-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }

  exitUnlessPrerequisites({ java: true });
  // Loaded only after the checks: on an older Node its imports fail before any code runs.
  const { startPlatform } = await import('./platform.ts');
  let stopping: Promise<void> | undefined;
  const platform = await startPlatform({
    ...(values.host ? { host: values.host } : {}),
    port: port(values.port ?? process.env.REX_PORT, 3000, '--port'),
    dynamodbPort: port(values['dynamodb-port'], 8000, '--dynamodb-port'),
    sqsPort: port(values['sqs-port'], 9324, '--sqs-port'),
    ...(values['oidc-port'] ? { oidcPort: port(values['oidc-port'], 3001, '--oidc-port') } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values.directory ? { directoryFile: values.directory } : {}),
    fresh: values.fresh,
    inMemory: values['in-memory'],
    throttle: !values['no-throttle'],
    onFatal: (message) => {
      console.error(message);
      stopping ??= platform.stop().finally(() => process.exit(1));
    },
  });

  const rel = (p: string) => relative(process.cwd(), p) || p;
  const lines = [
    `referral-exchange local platform ready in ${(platform.startupMs / 1000).toFixed(1)} s`,
    `  API             ${platform.apiUrl}   (health: /health, OpenAPI: /openapi.json)`,
    `  DynamoDB Local  ${platform.dynamodbEndpoint}   tables: ${platform.tables.join(', ')}`,
    `  SQS (fauxqs)    ${platform.sqsEndpoint}   ${platform.queues.length} service-office queues and ${platform.eventQueues.length} authority event queues, each with a dead-letter queue`,
    `  Consumers       ${platform.consumers.length > 0 ? platform.consumers.join('; ') : 'none yet'}`,
    `  Mail            ${rel(platform.mailDir)}/<office>/<notification>.eml   the offices' notifications (instead of Amazon SES; open with any mail program)`,
    `  Directory       version ${platform.directoryVersion}`,
    `  Credentials     ${rel(platform.credentialsFile)} (demo only; readable by you alone)`,
    ...platform.credentials.credentials.map(
      (c) => `    ${c.principal.padEnd(40)} ${c.accessKeyId}  ${c.secretAccessKey}`,
    ),
    `  Sign-in         ${platform.identityProvider.issuer}   OpenID provider (code flow + PKCE; MFA off on this machine)`,
    `    people: ${platform.identityProvider.peopleFile ? rel(platform.identityProvider.peopleFile) : 'in memory'} (demo only; readable by you alone) — sign in at ${platform.apiUrl}/dpo (data protection) or ${platform.apiUrl}/authority (the clerk desk)`,
    ...platform.identityProvider.people.map((p) => `    ${p.unit.padEnd(40)} ${p.email}  ${p.password}`),
  ];
  const example = platform.credentials.credentials[0];
  if (example) {
    lines.push(
      '  Try it:',
      `    curl --aws-sigv4 "aws:amz:${platform.credentials.region}:execute-api" --user "${example.accessKeyId}:${example.secretAccessKey}" ${platform.apiUrl}/v1/whoami`,
    );
  }
  lines.push('Press Ctrl-C to stop.');
  console.log(lines.join('\n'));
  if (values['ready-file']) {
    writeFileSync(
      values['ready-file'],
      JSON.stringify({
        pid: process.pid,
        apiUrl: platform.apiUrl,
        dynamodbEndpoint: platform.dynamodbEndpoint,
        sqsEndpoint: platform.sqsEndpoint,
        credentialsFile: platform.credentialsFile,
        tables: platform.tables,
        queues: platform.queues,
        eventQueues: platform.eventQueues,
        mailDir: platform.mailDir,
        startupMs: platform.startupMs,
        dynamodbPid: platform.dynamodbPid,
        identityProvider: platform.identityProvider,
      }),
      { mode: 0o600 },
    );
  }

  const shutdown = (signal: string) => {
    if (stopping) {
      console.error('Stopping immediately.');
      process.exit(130);
    }
    console.log(`\n${signal}: stopping…`);
    stopping = platform.stop().then(() => {
      console.log('Stopped.');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof PlatformError || (error instanceof Error && error.name === 'DirectoryInvalidError')) {
    console.error(error.message);
  } else if (error instanceof Error && 'code' in error && error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    console.error(`${error.message} (see npm start -- --help)`);
  } else {
    console.error(
      `The local platform could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  process.exit(1);
});
