import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type FunctionDefinition, type FunctionId, functionDefinitions } from '#functions/definitions.ts';
import { AlarmNotifications } from '#infra/constructs/alarm-notifications.ts';
import { Api } from '#infra/constructs/api.ts';
import { AuditSigning } from '#infra/constructs/audit.ts';
import { DataTables } from '#infra/constructs/data.ts';
import { externalConsumersOf } from '#infra/constructs/external-access.ts';
import { PlatformFailures } from '#infra/constructs/failures.ts';
import { Functions } from '#infra/constructs/functions.ts';
import { Monitoring } from '#infra/constructs/monitoring.ts';
import { MailSending } from '#infra/constructs/notifications.ts';
import { PrincipalRoles } from '#infra/constructs/principals.ts';
import { AuthorityQueues, OfficeQueues } from '#infra/constructs/queues.ts';
import { PseudonymSecret } from '#infra/constructs/secrets.ts';
import { SignIn } from '#infra/constructs/sign-in.ts';
import { type Directory, identityProvidersOf, sesIdentityOf } from '#shared/domain/directory/index.ts';
import { formatPrincipal } from '#shared/identity/principal.ts';
import { authorityQueue, officeQueue } from '#shared/resources.ts';

/** The function whose lag and liveness Monitoring watches. */
const SEQUENCER_ID: FunctionId = 'AuditSequencerFunction';

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
   * The base URL people reach the API's pages at, when a custom domain fronts the API
   * (e.g. `https://rex.example.de/api`): the sign-in client's redirect URLs.
   * @default the API's own stage URL
   */
  readonly publicUrl?: string;
  /**
   * Prefix of the managed login domain (unique in the region across AWS).
   * @default `rex-<deployment id>-<stage>`
   */
  readonly signInDomainPrefix?: string;
  /**
   * The deployed functions, each with its trigger, limits and permissions.
   * @default functionDefinitions from functions/definitions.ts
   */
  readonly functions?: readonly FunctionDefinition<string>[];
}

/**
 * The whole referral exchange in one stack: it only composes the constructs of
 * infra/constructs/ (tables, office and authority queues, functions, API, sign-in for
 * people, principal roles, monitoring) and names what an operator needs in its outputs.
 */
export class ReferralExchangeStack extends Stack {
  readonly data: DataTables;
  readonly queues: OfficeQueues;
  readonly authorityQueues: AuthorityQueues;
  readonly failures: PlatformFailures;
  readonly pseudonymSecret: PseudonymSecret;
  readonly auditSigning: AuditSigning;
  readonly functions: Functions;
  readonly api: Api;
  readonly signIn: SignIn;
  readonly principals: PrincipalRoles;
  readonly monitoring: Monitoring;
  readonly alarmNotifications: AlarmNotifications;
  /** Present when the directory configures notifications (`deployment.notifications`). */
  readonly mailSending: MailSending | undefined;

  constructor(scope: Construct, id: string, props: ReferralExchangeStackProps) {
    super(scope, id, props);
    const removalPolicy = props.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.data = new DataTables(this, 'Data', {
      stage: props.stage,
      deletionProtection: !props.ephemeral,
      removalPolicy,
    });
    const external = externalConsumersOf(props.directory);
    this.queues = new OfficeQueues(this, 'Queues', {
      stage: props.stage,
      offices: props.directory.serviceOffices.map((office) => ({
        officeId: office.id,
        providerId: office.providerId,
        definition: officeQueue(props.stage, office),
      })),
      externalConsumers: external.offices,
      keyRemovalPolicy: removalPolicy,
      key: this.data.key,
    });
    this.authorityQueues = new AuthorityQueues(this, 'AuthorityQueues', {
      authorities: props.directory.authorities.map((authority) => ({
        authorityId: authority.id,
        definition: authorityQueue(props.stage, authority),
      })),
      key: this.data.key,
      externalConsumers: external.authorities,
    });

    this.failures = new PlatformFailures(this, 'PlatformFailures');
    this.pseudonymSecret = new PseudonymSecret(this, 'PseudonymSecret', {
      stage: props.stage,
      encryptionKey: this.data.key,
      removalPolicy,
    });
    this.auditSigning = new AuditSigning(this, 'AuditSigning', { stage: props.stage, removalPolicy });

    this.api = new Api(this, 'Api', {
      stage: props.stage,
      logRemovalPolicy: removalPolicy,
      logKey: this.data.key,
    });
    this.signIn = new SignIn(this, 'SignIn', {
      stage: props.stage,
      pagesUrl: props.publicUrl ?? this.api.baseUrl,
      domainPrefix:
        props.signInDomainPrefix ?? SignIn.defaultDomainPrefix(props.directory.deployment.id, props.stage),
      deploymentName: props.directory.deployment.name,
      identityProviders: identityProvidersOf(props.directory),
      removalPolicy,
      deletionProtection: !props.ephemeral,
    });
    // Before the functions route their operations: each gets its people twin.
    this.api.acceptPeople(this.signIn.userPool);
    const notifications = props.directory.deployment.notifications;
    this.mailSending = notifications
      ? new MailSending(this, 'MailSending', {
          from: notifications.from,
          sesIdentity: sesIdentityOf(notifications),
        })
      : undefined;
    // `Default`: the functions keep the logical ids they had as children of the stack.
    this.functions = new Functions(this, 'Default', {
      stage: props.stage,
      projectRoot: props.projectRoot,
      directoryFile: props.directoryFile,
      auditRetentionYears: props.directory.deployment.auditRetentionYears,
      ...(props.directory.deployment.retention ? { retention: props.directory.deployment.retention } : {}),
      ...(props.functions ? { definitions: props.functions } : {}),
      data: this.data,
      queues: this.queues,
      authorityQueues: this.authorityQueues,
      failures: this.failures,
      pseudonymSecret: this.pseudonymSecret,
      auditSigning: this.auditSigning,
      api: this.api,
      signIn: {
        issuer: this.signIn.issuer,
        clientId: this.signIn.client.userPoolClientId,
        logoutUrl: `${this.signIn.domainUrl}/logout`,
      },
      ...(props.directory.serviceOffices[0] ? { probedOfficeId: props.directory.serviceOffices[0].id } : {}),
      logRemovalPolicy: removalPolicy,
      ...(this.mailSending && notifications
        ? {
            notifications: {
              sending: this.mailSending,
              // The pages are served by the API (`/office`); the stage URL ends in "/".
              officePageUrl: notifications.officePageUrl ?? `${this.api.url}office`,
            },
          }
        : {}),
    });
    this.principals = new PrincipalRoles(this, 'Principals', {
      stage: props.stage,
      directory: props.directory,
      methods: this.api.methods,
      queues: this.queues,
      authorityQueues: this.authorityQueues,
    });
    this.api.allowCallers(external.callers);
    const sequencer = this.functions.tryFunction(SEQUENCER_ID);
    this.alarmNotifications = new AlarmNotifications(this, 'AlarmNotifications', {
      stage: props.stage,
      emails: props.directory.deployment.alarmEmails ?? [],
      key: this.data.key,
    });
    const streamIds = new Set(
      (props.functions ?? functionDefinitions).filter((d) => d.kind === 'stream').map((d) => d.id),
    );
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      alarmTopic: this.alarmNotifications.topic,
      api: this.api.restApi,
      streamConsumers: this.functions
        .all()
        .filter(({ id: fnId }) => streamIds.has(fnId))
        .map(({ id: fnId, function: fn }) => ({ id: fnId, function: fn.function })),
      functions: this.functions
        .all()
        .map(({ id: fnId, function: fn }) => ({ id: fnId, function: fn.function })),
      queues: this.queues.all(),
      authorityQueues: this.authorityQueues.all(),
      failureQueue: this.failures.queue,
      ...(sequencer
        ? {
            sequencer: {
              function: sequencer.function,
              timeout: sequencer.function.timeout ?? Duration.seconds(55),
            },
          }
        : {}),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: this.api.url });
    new CfnOutput(this, 'SignInIssuer', {
      description: 'Issuer of the ID tokens people sign in with (the user pool)',
      value: this.signIn.issuer,
    });
    new CfnOutput(this, 'SignInClientId', {
      description: "The web pages' app client",
      value: this.signIn.client.userPoolClientId,
    });
    new CfnOutput(this, 'SignInDomain', {
      description: 'Managed login of the user pool',
      value: this.signIn.domainUrl,
    });
    new CfnOutput(this, 'UserPoolId', {
      description: 'The user pool; npm run people -- sync creates its accounts from the directory',
      value: this.signIn.userPool.userPoolId,
    });
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
    for (const { authorityId, queue } of this.authorityQueues.all()) {
      new CfnOutput(this, `EventQueueUrl-${authorityId}`, {
        description: `Event queue of authority ${authorityId}`,
        value: queue.queueUrl,
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
    for (const { principal, providerId, role } of this.principals.all()) {
      const name = principal
        ? formatPrincipal(principal).replace(':', '-')
        : `offices${providerId ? `-${providerId}` : ''}`;
      new CfnOutput(this, `RoleArn-${name}`, {
        description: principal
          ? `Role of ${formatPrincipal(principal)}`
          : `Role of ${providerId ? `the offices of ${providerId}` : 'every service office'} (session tag rex-office)`,
        value: role.roleArn,
      });
    }
    for (const [organisationId, anchor] of this.principals.trustAnchors) {
      new CfnOutput(this, `TrustAnchorArn-${organisationId}`, {
        description: `Roles Anywhere trust anchor of ${organisationId}`,
        value: anchor.attrTrustAnchorArn,
      });
      new CfnOutput(this, `ProfileArn-${organisationId}`, {
        description: `Roles Anywhere profile of ${organisationId}`,
        value: this.principals.profileArn(organisationId),
      });
    }
  }
}
