import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from '#infra/bundling.ts';
import { functionDefaults } from '#infra/limits.ts';

/** Where the bundled directory file lies inside the deployment package. */
export const BUNDLED_DIRECTORY_FILE = '/var/task/directory.json';

/**
 * Stops synthesis when the project's esbuild is not installed: CDK would otherwise try
 * to bundle in a Docker container, slowly, with another esbuild, or fail on a machine
 * without Docker with an unrelated message.
 */
export function assertLocalEsbuild(projectRoot: string): void {
  if (existsSync(join(projectRoot, 'node_modules', 'esbuild', 'package.json'))) return;
  throw new Error(
    `esbuild is not installed in ${projectRoot}/node_modules: run npm ci. The functions are bundled with the project's own esbuild, never in Docker.`,
  );
}

export interface ProjectFunctionProps {
  /** Absolute path of the handler module (a file in functions/). */
  readonly entry: string;
  /** Absolute path of the project root (holds package-lock.json and tsconfig.json). */
  readonly projectRoot: string;
  readonly description: string;
  /** Absolute path of the deployment directory file, copied into the bundle as `directory.json`. */
  readonly directoryFile: string;
  /** The function's environment (from `functionEnvironment(...)`); Powertools and Node settings are added. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 512 MB */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /**
   * Folders copied into the bundle next to the handler, e.g. static files the function serves;
   * `buildCommand` (run in the project root first) produces a folder that is built, not checked in.
   * @default none
   */
  readonly bundledFolders?: readonly {
    readonly source: string;
    readonly target: string;
    readonly buildCommand?: string;
  }[];
  /** @default none — the function scales with the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Retention of the function's log group. Log lines carry ids and codes only, never
   * personal data, so a year serves incident analysis and audit questions.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the function leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** The customer-managed key of the log group. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
}

/**
 * The one function construct of the project (docs/deploy.md): Node 22 on arm64, an
 * ESM bundle built by the local esbuild (no Docker) as infra/bundling.ts defines it, X-Ray active
 * tracing, a log group with retention, and a role of its own whose only standing
 * permissions are writing to that log group and sending traces. Every other
 * permission is granted by the constructs that own the resource.
 */
export class ProjectFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    super(scope, id);
    assertLocalEsbuild(props.projectRoot);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.logKey ? { encryptionKey: props.logKey } : {}),
    });
    // A role of its own instead of the default one, which would carry the AWS-managed
    // AWSLambdaBasicExecutionRole (logs on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: execution role`,
    });
    this.logGroup.grantWrite(this.role);

    const directoryFile = props.directoryFile;
    const folders = props.bundledFolders ?? [];
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? functionDefaults.memorySizeMb,
      timeout: props.timeout ?? Duration.seconds(functionDefaults.timeoutSeconds),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.environment,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Events carry ciphertext and ids, but never log them whole.
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
      },
      bundling: {
        // The one bundling definition, shared with the bench (infra/bundling.ts).
        format: nodejs.OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        externalModules: [...LAMBDA_BUNDLING.externalModules],
        forceDockerBundling: false,
        banner: LAMBDA_BUNDLING.banner,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp ${JSON.stringify(directoryFile)} ${JSON.stringify(`${outputDir}/directory.json`)}`,
            // The consent form texts (docs/consent.md): read by digest, so every function has the same files.
            `cp -R ${JSON.stringify(`${props.projectRoot}/consent-forms`)} ${JSON.stringify(`${outputDir}/consent-forms`)}`,
            ...folders.flatMap((f) => [
              ...(f.buildCommand ? [`(cd ${JSON.stringify(props.projectRoot)} && ${f.buildCommand})`] : []),
              `cp -R ${JSON.stringify(f.source)} ${JSON.stringify(`${outputDir}/${f.target}`)}`,
            ]),
          ],
        },
      },
    });

    const runtimeReason =
      'The project targets Node 22 (package.json engines, the local platform and CI); the runtime moves with it.';
    Validations.of(this.function).acknowledge(
      { id: 'AwsSolutions-L1', reason: runtimeReason },
      { id: 'Serverless-LambdaLatestVersion', reason: runtimeReason },
    );
    // X-Ray accepts no resource-level permissions: tracing adds xray:Put* on "*".
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    });
  }
}
