import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  assertEveryOperationServed,
  type FunctionDefinition,
  functionDefinitions,
} from '#functions/manifest.ts';
import { Api, type ApiRoute } from '#infra/constructs/api.ts';
import { AuditSigning } from '#infra/constructs/audit.ts';
import { DataTables } from '#infra/constructs/data.ts';
import { PlatformFailures } from '#infra/constructs/failures.ts';
import { BUNDLED_DIRECTORY_FILE, ProjectFunction } from '#infra/constructs/function.ts';
import { Monitoring } from '#infra/constructs/monitoring.ts';
import { PrincipalRoles } from '#infra/constructs/principals.ts';
import { OfficeQueues } from '#infra/constructs/queues.ts';
import { PseudonymSecret } from '#infra/constructs/secrets.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { functionEnvironment } from '#shared/function-environment.ts';
import { formatPrincipal } from '#shared/identity/principal.ts';
import { officeQueue, type TableDefinition } from '#shared/resources.ts';
import { functionSettings } from './limits.ts';
import { type FunctionPermissions, functionPermissions, permissionsOf } from './permissions.ts';

/** The function whose lag and liveness Monitoring watches. */
const SEQUENCER_ID = 'AuditSequencerFunction';

export interface ReferralExchangeStackProps extends StackProps {
  /** Deployment stage, e.g. `dev`, `test`, `prod`: part of every physical name. */
  readonly stage: string;
  /** The validated deployment directory. */
  readonly directory: Directory;
  /** Absolute path of the directory file (bundled into every function). */
  readonly directoryFile: string;
  /** Absolute path of the project root. */
  readonly projectRoot: string;
  /**
   * A throw-away deployment: tables, keys and log groups are deleted with the stack
   * and tables carry no deletion protection.
   * @default false — data, keys and logs are retained
   */
  readonly ephemeral?: boolean;
  /**
   * The deployed functions.
   * @default functionDefinitions from functions/manifest.ts
   */
  readonly functions?: readonly FunctionDefinition[];
  /**
   * What each function may access, by function id.
   * @default functionPermissions from infra/permissions.ts
   */
  readonly permissions?: Readonly<Record<string, FunctionPermissions>>;
}

/**
 * The whole referral exchange in one stack: it only composes the constructs of
 * infra/constructs/ (tables, office queues, functions, API, principal roles,
 * monitoring) and names what an operator needs in its outputs.
 */
export class ReferralExchangeStack extends Stack {
  readonly data: DataTables;
  readonly queues: OfficeQueues;
  readonly failures: PlatformFailures;
  readonly pseudonymSecret: PseudonymSecret;
  readonly auditSigning: AuditSigning;
  readonly functions: ReadonlyMap<string, ProjectFunction>;
  readonly api: Api;
  readonly principals: PrincipalRoles;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ReferralExchangeStackProps) {
    super(scope, id, props);
    const definitions = props.functions ?? functionDefinitions;
    assertEveryOperationServed(definitions);
    const removalPolicy = props.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.data = new DataTables(this, 'Data', {
      stage: props.stage,
      deletionProtection: !props.ephemeral,
      removalPolicy,
    });
    this.queues = new OfficeQueues(this, 'Queues', {
      stage: props.stage,
      offices: props.directory.serviceOffices.map((office) => ({
        officeId: office.id,
        definition: officeQueue(props.stage, office),
      })),
      keyRemovalPolicy: removalPolicy,
    });

    this.failures = new PlatformFailures(this, 'PlatformFailures', {
      stage: props.stage,
      keyRemovalPolicy: removalPolicy,
    });
    this.pseudonymSecret = new PseudonymSecret(this, 'PseudonymSecret', {
      stage: props.stage,
      encryptionKey: this.data.key,
      removalPolicy,
    });
    this.auditSigning = new AuditSigning(this, 'AuditSigning', { stage: props.stage, removalPolicy });

    const environment = functionEnvironment({
      stage: props.stage,
      accountId: Aws.ACCOUNT_ID,
      recordsTable: this.data.table('Records').tableName,
      auditTable: this.data.table('Audit').tableName,
      directoryFile: BUNDLED_DIRECTORY_FILE,
      queueUrlTemplate: `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/{name}`,
      auditRetentionYears: props.directory.deployment.auditRetentionYears,
    });
    const permissionMap = props.permissions ?? functionPermissions;

    const functions = new Map<string, ProjectFunction>();
    const routes: ApiRoute[] = [];

    for (const def of definitions) {
      const permissions = permissionsOf(def.id, permissionMap);
      const settings = functionSettings[def.id] ?? {};
      const fn = new ProjectFunction(this, def.id, {
        entry: `${props.projectRoot}/${def.entry}`,
        projectRoot: props.projectRoot,
        description: def.description,
        directoryFile: props.directoryFile,
        environment: {
          ...environment,
          ...(permissions.pseudonymSecret
            ? { REX_PSEUDONYM_SECRET_PARAMETER: this.pseudonymSecret.parameterName }
            : {}),
          ...(permissions.checkpointKey?.length
            ? { REX_CHECKPOINT_KMS_KEY_ID: this.auditSigning.keyId }
            : {}),
          ...(settings.bundledFolder
            ? { [settings.bundledFolder.envVar]: `/var/task/${settings.bundledFolder.target}` }
            : {}),
        },
        ...(settings.bundledFolder
          ? {
              bundledFolders: [
                {
                  source: `${props.projectRoot}/${settings.bundledFolder.source}`,
                  target: settings.bundledFolder.target,
                  ...(settings.bundledFolder.buildCommand
                    ? { buildCommand: settings.bundledFolder.buildCommand }
                    : {}),
                },
              ],
            }
          : {}),
        ...(settings.timeoutSeconds !== undefined
          ? { timeout: Duration.seconds(settings.timeoutSeconds) }
          : {}),
        ...(settings.memorySizeMb !== undefined ? { memorySize: settings.memorySizeMb } : {}),
        ...(settings.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: settings.reservedConcurrency }
          : {}),
        logRemovalPolicy: removalPolicy,
      });
      functions.set(def.id, fn);
      this.#grant(fn, permissions, props.directory);

      switch (def.kind) {
        case 'http':
          routes.push({ handler: fn.function, operations: def.operations });
          this.#acknowledgeSynchronous(fn, 'invoked synchronously by API Gateway only');
          break;
        case 'stream': {
          const table = this.data.table(def.table);
          if (!permissions.tables?.[def.table]?.stream) {
            throw new Error(
              `${def.id} reads the ${def.table} stream: its permissions must say stream: true.`,
            );
          }
          // An L2 mapping without DynamoEventSource's and SqsDlq's implicit grants: the
          // role gets exactly the stream and failure-queue actions of its entry.
          fn.function.addEventSourceMapping('Stream', {
            eventSourceArn: table.tableStreamArn!,
            startingPosition: lambda.StartingPosition.TRIM_HORIZON,
            batchSize: def.batchSize,
            reportBatchItemFailures: true,
            bisectBatchOnError: true,
            retryAttempts: 5,
            onFailure: this.failures.destination(),
          });
          Validations.of(fn.role).acknowledge({
            id: 'AwsSolutions-IAM5[Resource::*]',
            reason:
              'X-Ray PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (the stream poller) support no resource-level permissions.',
          });
          this.#acknowledgeSynchronous(
            fn,
            'invoked by an event source mapping with its own on-failure queue',
          );
          break;
        }
        case 'schedule':
          new events.Rule(this, `${def.id}-Schedule`, {
            description: `${def.id}: ${def.description}`,
            schedule: events.Schedule.rate(Duration.minutes(def.everyMinutes)),
            targets: [
              new targets.LambdaFunction(fn.function, {
                deadLetterQueue: this.failures.queue,
                retryAttempts: 2,
              }),
            ],
          });
          // A missed run is repeated by the next one; failures still land in the platform DLQ.
          Validations.of(fn.function).acknowledge(
            { id: 'Serverless-LambdaDLQ', reason: 'The schedule rule carries the dead-letter queue.' },
            {
              id: 'Serverless-LambdaAsyncFailureDestination',
              reason: 'The schedule rule carries the dead-letter queue; the next run repeats the work.',
            },
          );
          break;
      }
    }
    this.functions = functions;

    this.api = new Api(this, 'Api', { stage: props.stage, routes, logRemovalPolicy: removalPolicy });
    this.principals = new PrincipalRoles(this, 'Principals', {
      stage: props.stage,
      directory: props.directory,
      methods: this.api.methods,
      queues: this.queues,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      functions: [...functions].map(([fnId, fn]) => ({ id: fnId, function: fn.function })),
      queues: this.queues.all(),
      failureQueue: this.failures.queue,
      ...(functions.get(SEQUENCER_ID)
        ? {
            sequencer: {
              function: functions.get(SEQUENCER_ID)!.function,
              timeout: functions.get(SEQUENCER_ID)!.function.timeout ?? Duration.seconds(55),
            },
          }
        : {}),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: this.api.url });
    for (const { officeId, queue, deadLetterQueue } of this.queues.all()) {
      new CfnOutput(this, `QueueUrl-${officeId}`, {
        description: `Queue of service office ${officeId}`,
        value: queue.queueUrl,
      });
      new CfnOutput(this, `DeadLetterQueueUrl-${officeId}`, {
        description: `Dead-letter queue of service office ${officeId}`,
        value: deadLetterQueue.queueUrl,
      });
    }
    new CfnOutput(this, 'CheckpointKeyId', {
      description:
        'KMS key that signs audit checkpoints; its public key: aws kms get-public-key, or GET /v1/audit/verifier-key',
      value: this.auditSigning.keyId,
    });
    new CfnOutput(this, 'PseudonymSecretName', {
      description: 'Secrets Manager secret behind subject ids (never rotate, never delete)',
      value: this.pseudonymSecret.secretName,
    });
    new CfnOutput(this, 'PlatformFailureQueueUrl', {
      description: 'Failed stream batches and scheduled runs',
      value: this.failures.queue.queueUrl,
    });
    for (const { principal, role } of this.principals.all()) {
      new CfnOutput(this, `RoleArn-${formatPrincipal(principal).replace(':', '-')}`, {
        description: `Role of ${formatPrincipal(principal)}`,
        value: role.roleArn,
      });
    }
  }

  /** What a function's entry in infra/permissions.ts lists, granted by the construct that owns each resource. */
  #grant(fn: ProjectFunction, permissions: FunctionPermissions, directory: Directory): void {
    for (const [id, access] of Object.entries(permissions.tables ?? {})) {
      if (access) this.data.grantAccess(fn.function, id as TableDefinition['id'], access);
    }
    if (permissions.pseudonymSecret) this.pseudonymSecret.grantRead(fn.function);
    if (permissions.checkpointKey) this.auditSigning.grant(fn.function, permissions.checkpointKey);
    if (permissions.sendToOfficeQueues) this.queues.grantSendToAll(fn.function);
    const probed = directory.serviceOffices[0];
    if (permissions.probeOfficeQueue && probed) this.queues.grantReadAttributes(fn.function, probed.id);
  }

  #acknowledgeSynchronous(fn: ProjectFunction, how: string): void {
    Validations.of(fn.function).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason: `The function is ${how}; a DLQ only serves asynchronous invocations.`,
      },
      {
        id: 'Serverless-LambdaAsyncFailureDestination',
        reason: `The function is ${how}; it has no asynchronous invocations.`,
      },
    );
  }
}
