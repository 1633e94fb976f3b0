import { Aws, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  assertDefinitionsComplete,
  type FunctionDefinition,
  type FunctionId,
  functionDefinitions,
  limitsOf,
  ownEnvironmentOf,
  tableAccessOf,
} from '#functions/definitions.ts';
import type { RetentionSettings } from '#shared/domain/retention.ts';
import { functionEnvironment } from '#shared/function-environment.ts';
import type { TableDefinition } from '#shared/resources.ts';
import type { Api } from './api.ts';
import type { AuditSigning } from './audit.ts';
import type { DataTables } from './data.ts';
import type { PlatformFailures } from './failures.ts';
import { BUNDLED_DIRECTORY_FILE, ProjectFunction } from './function.ts';
import type { MailSending } from './notifications.ts';
import type { AuthorityQueues, OfficeQueues } from './queues.ts';
import type { PseudonymSecret } from './secrets.ts';

/** Where the deployment package lies inside the Lambda runtime. */
const BUNDLE_ROOT = '/var/task';

export interface FunctionsProps {
  /** Deployment stage (`REX_STAGE`, part of the table names). */
  readonly stage: string;
  /** Absolute path of the project root (handler modules are relative to it). */
  readonly projectRoot: string;
  /** Absolute path of the deployment directory file, bundled into every function. */
  readonly directoryFile: string;
  /** From the directory's `deployment.auditRetentionYears`. @default the audit log's own default */
  readonly auditRetentionYears?: number;
  /** The directory's `deployment.retention`. @default the defaults of shared/domain/retention.ts */
  readonly retention?: RetentionSettings;
  /**
   * The functions to deploy. The stack refuses an incomplete set (`definitionProblems`).
   * @default functionDefinitions from functions/definitions.ts
   */
  readonly definitions?: readonly FunctionDefinition<string>[];
  readonly data: DataTables;
  readonly queues: OfficeQueues;
  /** The authorities' event queues (the relay sends events to them). */
  readonly authorityQueues: AuthorityQueues;
  /** Where failed stream batches and scheduled runs go. */
  readonly failures: PlatformFailures;
  readonly pseudonymSecret: PseudonymSecret;
  readonly auditSigning: AuditSigning;
  /** The API whose methods the HTTP functions serve. */
  readonly api: Api;
  /** How people sign in: what the functions with `signInClient` tell browsers. */
  readonly signIn: { readonly issuer: string; readonly clientId: string; readonly logoutUrl: string };
  /**
   * The service office whose queue the health probe reads (`probeOfficeQueue`).
   * @default none — the probe is granted nothing
   */
  readonly probedOfficeId?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The offices' notifications by e-mail (`sendNotifications`), and the page they link to.
   * @default none — no function may send mail, and none does
   */
  readonly notifications?: { readonly sending: MailSending; readonly officePageUrl: string };
}

/**
 * Every function of functions/definitions.ts with all its definition says: a
 * ProjectFunction with its limits and environment, its grants (each from the construct
 * that owns the resource), its trigger — API methods, the stream mapping or the
 * schedule rule — and the cdk-nag acknowledgements that follow from the trigger.
 *
 * Create it with the id `Default`: CDK leaves that id out of logical ids, so the
 * functions keep the logical ids they had as direct children of the stack.
 */
export class Functions extends Construct {
  readonly #byId = new Map<string, ProjectFunction>();

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const definitions = props.definitions ?? functionDefinitions;
    assertDefinitionsComplete(definitions);

    const shared = functionEnvironment({
      stage: props.stage,
      accountId: Aws.ACCOUNT_ID,
      recordsTable: props.data.table('Records').tableName,
      auditTable: props.data.table('Audit').tableName,
      directoryFile: BUNDLED_DIRECTORY_FILE,
      queueUrlTemplate: `https://sqs.${Aws.REGION}.${Aws.URL_SUFFIX}/${Aws.ACCOUNT_ID}/{name}`,
      auditRetentionYears: props.auditRetentionYears,
      retention: props.retention,
    });
    const locations = {
      pseudonymSecretParameter: props.pseudonymSecret.parameterName,
      checkpointKeyId: props.auditSigning.keyId,
      bundleRoot: BUNDLE_ROOT,
      signInIssuer: props.signIn.issuer,
      signInClientId: props.signIn.clientId,
      signInLogoutUrl: props.signIn.logoutUrl,
      ...(props.notifications ? { officePageUrl: props.notifications.officePageUrl } : {}),
    };

    for (const def of definitions) {
      const limits = limitsOf(def);
      const fn = new ProjectFunction(this, def.id, {
        entry: `${props.projectRoot}/${def.entry}`,
        projectRoot: props.projectRoot,
        description: def.description,
        directoryFile: props.directoryFile,
        environment: { ...shared, ...ownEnvironmentOf(def, locations) },
        ...(def.bundledFolder
          ? {
              bundledFolders: [
                {
                  source: `${props.projectRoot}/${def.bundledFolder.source}`,
                  target: def.bundledFolder.target,
                  ...(def.bundledFolder.buildCommand ? { buildCommand: def.bundledFolder.buildCommand } : {}),
                },
              ],
            }
          : {}),
        timeout: Duration.seconds(limits.timeoutSeconds),
        memorySize: limits.memorySizeMb,
        ...(limits.reservedConcurrency !== undefined
          ? { reservedConcurrentExecutions: limits.reservedConcurrency }
          : {}),
        ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
        logKey: props.data.key,
      });
      this.#byId.set(def.id, fn);
      this.#grant(fn, def, props);
      this.#trigger(fn, def, props);
    }
  }

  /** A deployed function by its id. */
  function(id: FunctionId): ProjectFunction {
    const fn = this.#byId.get(id);
    if (!fn) throw new Error(`No function ${id} in this stack.`);
    return fn;
  }

  /** A deployed function, if this stack has one by that id (stacks may deploy other sets). */
  tryFunction(id: FunctionId): ProjectFunction | undefined {
    return this.#byId.get(id);
  }

  /** Every function with its id, in definition order. */
  all(): { readonly id: string; readonly function: ProjectFunction }[] {
    return [...this.#byId].map(([fnId, fn]) => ({ id: fnId, function: fn }));
  }

  /** What the definition's permissions and trigger need, granted by the construct that owns each resource. */
  #grant(fn: ProjectFunction, def: FunctionDefinition<string>, props: FunctionsProps): iam.Grant {
    const grantee = fn.function;
    const { permissions } = def;
    let grant = iam.Grant.drop(grantee, `${def.id}: its definition`);
    for (const [tableId, access] of Object.entries(tableAccessOf(def))) {
      if (access)
        grant = grant.combine(props.data.grantAccess(grantee, tableId as TableDefinition['id'], access));
    }
    if (permissions.pseudonymSecret) grant = grant.combine(props.pseudonymSecret.grantRead(grantee));
    if (permissions.checkpointKey) {
      grant = grant.combine(props.auditSigning.grant(grantee, permissions.checkpointKey));
      if (permissions.checkpointKey.includes('kms:Sign')) props.auditSigning.allowSigning(fn.role);
    }
    if (permissions.sendToOfficeQueues) grant = grant.combine(props.queues.grantSendToAll(grantee));
    if (permissions.sendToAuthorityQueues)
      grant = grant.combine(props.authorityQueues.grantSendToAll(grantee));
    if (permissions.sendNotifications && props.notifications)
      grant = grant.combine(props.notifications.sending.grantSend(grantee));
    if (permissions.probeOfficeQueue && props.probedOfficeId) {
      grant = grant.combine(props.queues.grantReadAttributes(grantee, props.probedOfficeId));
    }
    return grant;
  }

  #trigger(fn: ProjectFunction, def: FunctionDefinition<string>, props: FunctionsProps): void {
    switch (def.kind) {
      case 'http':
        props.api.route({ handler: fn.function, operations: def.operations });
        this.#acknowledgeSynchronous(fn, 'invoked synchronously by API Gateway only');
        return;
      case 'stream':
        // An L2 mapping without DynamoEventSource's and SqsDlq's implicit grants: the role
        // gets exactly the stream actions (tableAccessOf) and the failure queue's.
        fn.function.addEventSourceMapping('Stream', {
          eventSourceArn: props.data.table(def.table).tableStreamArn!,
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize: def.batchSize,
          reportBatchItemFailures: true,
          bisectBatchOnError: true,
          retryAttempts: 5,
          onFailure: props.failures.destination(),
          ...(def.filterPatterns
            ? { filters: def.filterPatterns.map((pattern) => lambda.FilterCriteria.filter(pattern)) }
            : {}),
        });
        Validations.of(fn.role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'X-Ray PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (the stream poller) support no resource-level permissions.',
        });
        this.#acknowledgeSynchronous(fn, 'invoked by an event source mapping with its own on-failure queue');
        return;
      case 'schedule':
        new events.Rule(this, `${def.id}-Schedule`, {
          description: `${def.id}: ${def.description}`,
          schedule: events.Schedule.rate(Duration.minutes(def.everyMinutes)),
          targets: [
            // The rule's DLQ catches events EventBridge could not hand to Lambda at all.
            new targets.LambdaFunction(fn.function, {
              deadLetterQueue: props.failures.queue,
              retryAttempts: 2,
            }),
          ],
        });
        // A failed run is not retried: the next run repeats the work, and a retry of the
        // sequencer (reserved concurrency 1) would collide with it. It is not dropped
        // either: Lambda sends it to the failure queue, whose alarm reaches a person.
        fn.function.configureAsyncInvoke({
          retryAttempts: 0,
          maxEventAge: Duration.seconds(Math.max(60, def.everyMinutes * 60)),
          onFailure: props.failures.asyncDestination(),
        });
        Validations.of(fn.function).acknowledge({
          id: 'Serverless-LambdaDLQ',
          reason:
            'Failed runs go to the on-failure destination (the platform failure queue), which supersedes a DLQ.',
        });
        return;
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
