import { auditTable, recordsTable } from './resources.ts';

/**
 * Runtime configuration of a function, from its environment. The CDK stack and the
 * local platform set the same variables; nothing else configures a handler.
 */
export interface RuntimeConfig {
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  readonly recordsTable: string;
  readonly auditTable: string;
  readonly directoryFile: string;
  /** Queue URL with `{name}` where the queue name goes. */
  readonly queueUrlTemplate: string;
}

export class ConfigurationError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`Environment variable ${name} is not set.`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  return {
    stage: required(env, 'REX_STAGE'),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'eu-central-1',
    accountId: required(env, 'REX_ACCOUNT_ID'),
    recordsTable: required(env, recordsTable.envVar),
    auditTable: required(env, auditTable.envVar),
    directoryFile: required(env, 'REX_DIRECTORY_FILE'),
    queueUrlTemplate: required(env, 'REX_QUEUE_URL_TEMPLATE'),
  };
}

export function queueUrl(config: Pick<RuntimeConfig, 'queueUrlTemplate'>, queueName: string): string {
  return config.queueUrlTemplate.replace('{name}', queueName);
}
