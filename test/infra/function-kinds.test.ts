import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionDefinition, functionDefinitions } from '#functions/definitions.ts';
import { PROJECT_ROOT } from '#infra/app.ts';
import { ReferralExchangeStack } from '#infra/stack.ts';
import { whoAmI } from '#shared/api/system.ts';
import { roleNameFor, roleSessionOf } from '#shared/identity/principal.ts';
import {
  asArray,
  DIRECTORY_FILE,
  directory,
  permissionStatements,
  readViolations,
  referencedId,
  resourcesOfType,
  type Synthesised,
} from './synth.ts';

/**
 * Besides the defined functions, this stack adds a stream consumer, a scheduled job
 * and an operation with a path parameter (all served by an existing handler module),
 * with their own permissions, to check how the stack wires each kind.
 */
const extra: FunctionDefinition<string>[] = [
  {
    kind: 'http',
    id: 'ThingFunction',
    entry: 'functions/system.ts',
    description: 'An operation with a path parameter',
    operations: [{ ...whoAmI, operationId: 'getThing', path: '/v1/things/{thingId}', auth: ['authority'] }],
    permissions: {},
  },
  {
    kind: 'stream',
    id: 'RelayFunction',
    entry: 'functions/system.ts',
    description: 'Stream',
    table: 'Records',
    batchSize: 25,
    permissions: { tables: { Records: { actions: ['dynamodb:GetItem'] } } },
  },
  {
    kind: 'schedule',
    id: 'SweepFunction',
    entry: 'functions/system.ts',
    description: 'Schedule',
    everyMinutes: 15,
    permissions: { tables: { Records: { actions: ['dynamodb:UpdateItem'] } } },
  },
];

let json: Synthesised['json'];
let violations: ReturnType<typeof readViolations>;
let synthError: unknown;
let outdir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'rex-kinds-'));
  const app = new App({ outdir });
  const stack = new ReferralExchangeStack(app, 'Kinds', {
    env: { region: 'eu-central-1' },
    stage: 'kinds',
    directory,
    directoryFile: DIRECTORY_FILE,
    projectRoot: PROJECT_ROOT,
    functions: [...functionDefinitions, ...extra],
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  json = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as Synthesised['json'];
  violations = readViolations(outdir);
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function functionId(constructId: string): string {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(constructId));
  if (!found) throw new Error(`function ${constructId} is not in the template`);
  return found[0];
}

describe('function kinds', () => {
  it('stays free of unacknowledged cdk-nag findings with every kind of function', () => {
    expect(violations.map((v) => `${v.rule} at ${v.paths.join(', ')}`)).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  it('feeds a stream function from its table stream, with partial failures and a failure queue', () => {
    const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => referencedId(m.Properties!.FunctionName) === functionId('RelayFunction'),
    );
    expect(mappings).toHaveLength(1);
    const p = mappings[0]![1].Properties!;
    expect(referencedId(p.EventSourceArn)).toBe(
      resourcesOfType(json, 'AWS::DynamoDB::Table').find(
        ([, t]) => t.Properties!.TableName === 'rex-kinds-records',
      )![0],
    );
    expect((p.EventSourceArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][1]).toBe('StreamArn');
    expect(p).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 25,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
    });
    const destination = (p.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure
      .Destination;
    const queue = json.Resources[referencedId(destination)!]!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    // Event metadata only: SQS-managed encryption (PlatformFailures).
    expect(queue.Properties!.SqsManagedSseEnabled).toBe(true);
    // The trigger grants the stream read; the definition declares only its item actions.
    const role = referencedId(json.Resources[functionId('RelayFunction')]!.Properties!.Role);
    const streamActions = permissionStatements(json)
      .filter((x) => x.roles.includes(role!))
      .filter((x) => asArray(x.statement.Resource).some((r) => JSON.stringify(r).includes('StreamArn')))
      .flatMap((x) => asArray(x.statement.Action));
    expect(streamActions.sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
    ]);
  });

  it('runs a scheduled function at its rate, with a dead-letter queue', () => {
    type Target = { Arn: unknown; DeadLetterConfig?: { Arn: unknown } };
    const rules = resourcesOfType(json, 'AWS::Events::Rule').filter(
      ([, r]) => referencedId((r.Properties!.Targets as Target[])[0]!.Arn) === functionId('SweepFunction'),
    );
    expect(rules).toHaveLength(1);
    const p = rules[0]![1].Properties!;
    expect(p.ScheduleExpression).toBe('rate(15 minutes)');
    const target = (p.Targets as Target[])[0]!;
    expect(referencedId(target.DeadLetterConfig?.Arn)).toBeDefined();
  });

  it('grants an operation with a path parameter to the admitted kinds only', () => {
    const statements = permissionStatements(json);
    const invokes = (roleName: string) => {
      const roleId = resourcesOfType(json, 'AWS::IAM::Role').find(
        ([, r]) => r.Properties!.RoleName === roleName,
      )![0];
      return statements
        .filter((x) => x.roles.includes(roleId) && asArray(x.statement.Action).includes('execute-api:Invoke'))
        .flatMap((x) => asArray(x.statement.Resource))
        .map((arn) => {
          const parts = (arn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
          return String(parts[parts.length - 1]);
        });
    };
    expect(invokes(roleNameFor('kinds', { kind: 'authority', id: directory.authorities[0]!.id }))).toContain(
      '/GET/v1/things/*',
    );
    expect(
      invokes(roleSessionOf('kinds', { kind: 'service', id: directory.serviceOffices[0]!.id }).roleName),
    ).not.toContain('/GET/v1/things/*');
  });
});
