import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct } from 'constructs';
import {
  assertEveryOperationServed,
  type FunctionDefinition,
  functionDefinitions,
} from '../functions/manifest.ts';
import { getHealth } from '../shared/api/system.ts';
import type { Directory } from '../shared/directory/index.ts';
import { functionEnvironment } from '../shared/function-environment.ts';
import { formatPrincipal } from '../shared/identity/principal.ts';
import { officeQueue } from '../shared/resources.ts';
import { Api, type ApiRoute } from './constructs/api.ts';
import { DataTables } from './constructs/data.ts';
import { BUNDLED_DIRECTORY_FILE, ProjectFunction } from './constructs/function.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { PrincipalRoles } from './constructs/principals.ts';
import { OfficeQueues } from './constructs/queues.ts';

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
}

/**
 * The whole referral exchange in one stack: it only composes the constructs of
 * infra/constructs/ (tables, office queues, functions, API, principal roles,
 * monitoring) and names what an operator needs in its outputs.
 */
export class ReferralExchangeStack extends Stack {
  readonly data: DataTables;
  readonly queues: OfficeQueues;
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

    const environment = functionEnvironment({
      stage: props.stage,
      accountId: Aws.ACCOUNT_ID,
      recordsTable: this.data.table('Records').tableName,
      auditTable: this.data.table('Audit').tableName,
      directoryFile: BUNDLED_DIRECTORY_FILE,
      queueUrlTemplate: `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/{name}`,
    });

    const functions = new Map<string, ProjectFunction>();
    const routes: ApiRoute[] = [];
    let failures: sqs.Queue | undefined;
    const failureQueue = () => {
      failures ??= this.#failureQueue(removalPolicy);
      return failures;
    };

    for (const def of definitions) {
      const fn = new ProjectFunction(this, def.id, {
        entry: `${props.projectRoot}/${def.entry}`,
        projectRoot: props.projectRoot,
        description: def.description,
        directoryFile: props.directoryFile,
        environment,
        logRemovalPolicy: removalPolicy,
      });
      functions.set(def.id, fn);
      // Every state change writes its audit entry in the same transaction, so each
      // function reads and writes both tables; nothing else is granted up front.
      this.data.grantReadWriteRecords(fn.function);
      this.data.grantReadWriteAudit(fn.function);
      this.#acknowledgeTableGrants(fn);

      switch (def.kind) {
        case 'http':
          routes.push({ handler: fn.function, operations: def.operations });
          if (def.operations.some((op) => op.operationId === getHealth.operationId)) {
            this.queues.grantReadAttributes(fn.function);
          }
          this.#acknowledgeSynchronous(fn, 'invoked synchronously by API Gateway only');
          break;
        case 'stream':
          fn.function.addEventSource(
            new sources.DynamoEventSource(this.data.table(def.table), {
              startingPosition: lambda.StartingPosition.TRIM_HORIZON,
              batchSize: def.batchSize,
              reportBatchItemFailures: true,
              bisectBatchOnError: true,
              retryAttempts: 5,
              onFailure: new sources.SqsDlq(failureQueue()),
            }),
          );
          this.#acknowledgeSynchronous(
            fn,
            'invoked by an event source mapping with its own on-failure queue',
          );
          break;
        case 'schedule':
          new events.Rule(this, `${def.id}-Schedule`, {
            description: `${def.id}: ${def.description}`,
            schedule: events.Schedule.rate(Duration.minutes(def.everyMinutes)),
            targets: [
              new targets.LambdaFunction(fn.function, { deadLetterQueue: failureQueue(), retryAttempts: 2 }),
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
    for (const { principal, role } of this.principals.all()) {
      new CfnOutput(this, `RoleArn-${formatPrincipal(principal).replace(':', '-')}`, {
        description: `Role of ${formatPrincipal(principal)}`,
        value: role.roleArn,
      });
    }
  }

  /** Where stream batches and scheduled invocations that keep failing end up. */
  #failureQueue(removalPolicy: RemovalPolicy): sqs.Queue {
    const key = new kms.Key(this, 'PlatformFailuresKey', {
      description: 'referral-exchange: failed stream batches and scheduled invocations',
      enableKeyRotation: true,
      removalPolicy,
    });
    const queue = new sqs.Queue(this, 'PlatformFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // EventBridge delivers to the failure queue under its service principal.
    key.grantEncryptDecrypt(new iam.ServicePrincipal('events.amazonaws.com'));
    Validations.of(queue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the failure destination (a dead-letter queue).',
      },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the failure destination.' },
    );
    return queue;
  }

  /** The wildcards that DynamoDB's and KMS's L2 grants carry by design. */
  #acknowledgeTableGrants(fn: ProjectFunction): void {
    const acknowledge = (id: string, reason: string) =>
      Validations.of(fn.role).acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason });
    acknowledge(
      'Action::kms:ReEncrypt*',
      'Part of the KMS grant for an SSE-KMS table (TableBase.grantReadWriteData).',
    );
    acknowledge(
      'Action::kms:GenerateDataKey*',
      'Part of the KMS grant for an SSE-KMS table (TableBase.grantReadWriteData).',
    );
    for (const table of this.data.all()) {
      const arn = flattenCfnReference(this.resolve(table.tableArn));
      acknowledge(`Resource::${arn}/index/*`, 'Queries on the indexes of this one table.');
    }
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
