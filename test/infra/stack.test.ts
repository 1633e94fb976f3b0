import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '#functions/definitions.ts';
import { GATEWAY_PROBLEMS } from '#infra/constructs/api.ts';
import { BUNDLED_DIRECTORY_FILE } from '#infra/constructs/function.ts';
import { idleCost, totalOf } from '#infra/idle-cost.ts';
import { apiThrottle } from '#infra/limits.ts';
import { bundleSizes, formatBundleSizes } from '#infra/synth.ts';
import { createTableInput, deadLetterAttributes, queueAttributes } from '#local/provision.ts';
import { operations } from '#shared/api/index.ts';
import { getOpenApiDocument } from '#shared/api/system.ts';
import { hasPeopleTwin, PEOPLE_PATH_PREFIX, peoplePath } from '#shared/http/people.ts';
import { problemType } from '#shared/http/problem.ts';
import {
  OFFICE_SESSION_TAG,
  type Principal,
  roleNameFor,
  roleSessionOf,
} from '#shared/identity/principal.ts';
import { authorityQueues, officeQueues, type QueueDefinition, tableName, tables } from '#shared/resources.ts';
import {
  asArray,
  type CfnResource,
  DIRECTORY_FILE,
  directory,
  permissionStatements,
  readViolations,
  referencedId,
  resourcesOfType,
  STAGE,
  type Synthesised,
  synthesise,
} from './synth.ts';

let s: Synthesised;

beforeAll(() => {
  s = synthesise();
});

afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

const props = (r: CfnResource) => r.Properties ?? {};

function logicalIdOfQueue(name: string): string {
  const found = resourcesOfType(s.json, 'AWS::SQS::Queue').find(([, r]) => props(r).QueueName === name);
  if (!found) throw new Error(`queue ${name} is not in the template`);
  return found[0];
}

function roleIdNamed(name: string): string {
  const found = resourcesOfType(s.json, 'AWS::IAM::Role').find(([, r]) => props(r).RoleName === name);
  if (!found) throw new Error(`role ${name} is not in the template`);
  return found[0];
}

function isCustomerKey(ref: unknown): boolean {
  const id = referencedId(ref);
  const key = id ? s.json.Resources[id] : undefined;
  return key?.Type === 'AWS::KMS::Key' && props(key).EnableKeyRotation === true;
}

describe('functions', () => {
  it('keeps the logical ids of the functions and their triggers (a replaced mapping would reread the stream)', () => {
    const ids = (type: string) =>
      resourcesOfType(s.json, type)
        .map(([id]) => id)
        .sort();
    expect(ids('AWS::Lambda::Function')).toEqual([
      'AuditApiFunctionFF92558C',
      'AuditSequencerFunction1A553FD2',
      'ConsentsFunction3E6D934D',
      'OfficeKeysFunctionA3AC56B1',
      'OfficeNotificationsFunction3EA5E9B6',
      'OutboxRelayFunction22EFFD2B',
      'ReferralDeadlinesFunction7F8BEA61',
      'ReferralsFunction34957D43',
      'RoutingPreviewFunction196D4072',
      'ServiceReferralsFunction6B4ABF75',
      'SystemFunction2FCDFCE5',
      // Serves static files only, no trigger to reread: renamed from DpoPageFunction when it took the office and clerk pages.
      'WebPagesFunction321CCD20',
    ]);
    expect(ids('AWS::Lambda::EventSourceMapping')).toEqual([
      'OfficeNotificationsFunctionStreamFE8EACA6',
      'OutboxRelayFunctionStream910E8360',
    ]);
    expect(ids('AWS::Events::Rule')).toEqual([
      'AuditSequencerFunctionSchedule15733C3D',
      'ReferralDeadlinesFunctionScheduleDED59B3A',
    ]);
  });

  it('deploys one function per definition: Node 22, arm64, active tracing, its own role', () => {
    const fns = resourcesOfType(s.json, 'AWS::Lambda::Function');
    expect(fns).toHaveLength(functionDefinitions.length);
    const roles = new Set<string>();
    for (const [id, fn] of fns) {
      const p = props(fn);
      expect(p.Runtime, id).toBe('nodejs22.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.MemorySize, id).toBe(512);
      expect(p.Handler, id).toBe('index.handler');
      const role = referencedId(p.Role);
      expect(role, id).toBeDefined();
      roles.add(role!);
      // Its own role carries no AWS-managed policy (the basic execution role would grant logs on every group).
      expect(props(s.json.Resources[role!]!).ManagedPolicyArns, id).toBeUndefined();
    }
    expect(roles.size).toBe(fns.length);
  });

  it('gives every function the shared environment and the bundled directory', () => {
    for (const [id, fn] of resourcesOfType(s.json, 'AWS::Lambda::Function')) {
      const env = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env.REX_STAGE, id).toBe(STAGE);
      expect(env.REX_DIRECTORY_FILE, id).toBe(BUNDLED_DIRECTORY_FILE);
      // The source map lies beside the bundle for reading traces later; the runtime does not load it.
      expect(env.NODE_OPTIONS, id).toBeUndefined();
      expect(referencedId(env.REX_RECORDS_TABLE), id).toBe(
        referencedId(s.stack.resolve(s.stack.data.table('Records').tableName)),
      );
      expect(typeof env.REX_QUEUE_URL_TEMPLATE, id).toBe('object');
    }
    // The bundle of each function holds the directory file byte for byte, and an ESM handler.
    const assets = JSON.parse(readFileSync(join(s.outdir, `${s.stack.artifactId}.assets.json`), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const bundles = Object.values(assets.files)
      .map((f) => f.source.path)
      .filter((p) => p.startsWith('asset.') && !p.endsWith('.json'));
    expect(bundles).toHaveLength(functionDefinitions.length);
    for (const bundle of bundles) {
      expect(readFileSync(join(s.outdir, bundle, 'directory.json'), 'utf8')).toBe(
        readFileSync(DIRECTORY_FILE, 'utf8'),
      );
      expect(readFileSync(join(s.outdir, bundle, 'index.mjs'), 'utf8')).toContain('createRequire');
    }
  });

  it('tells the functions that serve pages or the OpenAPI document how people sign in, and no other', () => {
    const [[poolId]] = resourcesOfType(s.json, 'AWS::Cognito::UserPool') as [[string, CfnResource]];
    const [[clientId, client]] = resourcesOfType(s.json, 'AWS::Cognito::UserPoolClient') as [
      [string, CfnResource],
    ];
    for (const def of functionDefinitions) {
      const fn = resourcesOfType(s.json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(def.id))![1];
      const env = (props(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      if (def.signInClient) {
        expect(JSON.stringify(env.REX_SIGN_IN_ISSUER), def.id).toContain(`"${poolId}","ProviderURL"`);
        expect(JSON.stringify(env.REX_SIGN_IN_ISSUER), def.id).toContain('https://');
        expect(referencedId(env.REX_SIGN_IN_CLIENT_ID), def.id).toBe(clientId);
      } else {
        expect(env.REX_SIGN_IN_ISSUER, def.id).toBeUndefined();
        expect(env.REX_SIGN_IN_CLIENT_ID, def.id).toBeUndefined();
      }
    }
    expect(functionDefinitions.filter((d) => d.signInClient).map((d) => d.id)).toContain('WebPagesFunction');
    // The redirect URLs are the pages below the API's stage URL, built from the API's id
    // (not its deployment, which depends on the functions: no cycle).
    const [[restApiId]] = resourcesOfType(s.json, 'AWS::ApiGateway::RestApi') as [[string, CfnResource]];
    const callbacks = JSON.stringify(props(client).CallbackURLs);
    expect(callbacks).toContain(`{"Ref":"${restApiId}"}`);
    for (const page of ['/api/dpo', '/api/office', '/api/authority']) expect(callbacks).toContain(page);
    expect(callbacks).not.toMatch(/Deployment|Stage/);
  });

  it('bundles a handler that runs as an ES module on its own', async () => {
    const fn = functionDefinitions.find(
      (d) => d.kind === 'http' && d.operations.includes(getOpenApiDocument),
    );
    expect(fn).toBeDefined();
    const [logicalId] = resourcesOfType(s.json, 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith(fn!.id),
    )!;
    const code = s.json.Resources[logicalId]!.Properties!.Code as { S3Key: string };
    const bundle = join(s.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const { handler } = (await import(pathToFileURL(join(bundle, 'index.mjs')).href)) as {
      handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
    };
    const response = await handler(
      {
        httpMethod: 'GET',
        path: getOpenApiDocument.path,
        resource: getOpenApiDocument.path,
        headers: {},
        multiValueHeaders: {},
        queryStringParameters: null,
        pathParameters: null,
        body: null,
        isBase64Encoded: false,
        requestContext: { requestId: 'infra-test', identity: {} },
      },
      { awsRequestId: 'infra-test', functionName: fn!.id, getRemainingTimeInMillis: () => 10_000 },
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ openapi: '3.1.0' });
  });

  it('reports the bundle size of every function from the cloud assembly (npm run synth)', () => {
    const rows = bundleSizes(s.outdir);
    expect(rows).toHaveLength(functionDefinitions.length);
    for (const def of functionDefinitions) {
      const row = rows.find((r) => r.functionId.startsWith(def.id));
      expect(row, def.id).toBeDefined();
      expect(row!.bundleBytes, def.id).toBeGreaterThan(10_000);
      expect(row!.sourceMapBytes, def.id).toBeGreaterThan(0);
      expect(row!.packageBytes, def.id).toBeGreaterThan(row!.bundleBytes + row!.sourceMapBytes);
    }
    const table = formatBundleSizes(rows).split('\n');
    expect(table).toHaveLength(functionDefinitions.length + 2);
    expect(table[0]).toMatch(/^function\s+bundle\s+source map\s+package$/);
  });

  it('keeps function logs for a limited time', () => {
    const groups = resourcesOfType(s.json, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(functionDefinitions.length);
    for (const [id, g] of groups) expect(props(g).RetentionInDays, id).toBe(365);
  });
});

describe('IAM', () => {
  it('grants no wildcard action and no service-wide DynamoDB, SQS or KMS actions', () => {
    const statements = permissionStatements(s.json);
    expect(statements.length).toBeGreaterThan(0);
    for (const { policyId, statement } of statements) {
      for (const action of asArray(statement.Action)) {
        expect(action, policyId).not.toBe('*');
        expect(action, policyId).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
    }
  });

  it('creates a role per principal but the offices, named as the functions map it back', () => {
    const principals: Principal[] = [
      ...directory.authorities.map((a): Principal => ({ kind: 'authority', id: a.id })),
      ...directory.dataProtectionOfficers.map((d): Principal => ({ kind: 'dpo', scope: d.scope })),
      { kind: 'operator' },
    ];
    for (const p of principals) {
      const id = roleIdNamed(roleNameFor(STAGE, p));
      const trust = props(s.json.Resources[id]!).AssumeRolePolicyDocument as {
        Statement: { Principal: unknown }[];
      };
      expect(JSON.stringify(trust.Statement[0]!.Principal)).toContain(':root');
    }
    // An office costs no role: every office acts through the one offices' role.
    for (const o of directory.serviceOffices)
      expect(() => roleIdNamed(roleNameFor(STAGE, { kind: 'service', id: o.id }))).toThrow();
    const offices = new Set(
      directory.serviceOffices.map((o) => roleSessionOf(STAGE, { kind: 'service', id: o.id }).roleName),
    );
    expect([...offices]).toEqual([`rex-${STAGE}-offices`]);
    roleIdNamed(`rex-${STAGE}-offices`);
  });

  it("admits a session of the offices' role only with the caller's office tag as its tag and session name", () => {
    const id = roleIdNamed(`rex-${STAGE}-offices`);
    const trust = props(s.json.Resources[id]!).AssumeRolePolicyDocument as {
      Statement: {
        Principal: unknown;
        Action: string[];
        Condition: Record<string, Record<string, unknown>>;
      }[];
    };
    expect(trust.Statement).toHaveLength(1);
    const [st] = trust.Statement as [(typeof trust.Statement)[number]];
    expect(JSON.stringify(st.Principal)).toContain(':root');
    expect([...st.Action].sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    const own = `\${aws:PrincipalTag/${OFFICE_SESSION_TAG}}`;
    expect(st.Condition.StringEquals).toEqual({
      [`aws:RequestTag/${OFFICE_SESSION_TAG}`]: own,
      'sts:RoleSessionName': own,
    });
    expect(st.Condition['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': [OFFICE_SESSION_TAG] });
  });

  it("lets a principal's role invoke exactly the methods its kind is admitted to", () => {
    const kinds: Principal[] = [
      { kind: 'authority', id: directory.authorities[0]!.id },
      { kind: 'service', id: directory.serviceOffices[0]!.id },
      { kind: 'dpo', scope: directory.dataProtectionOfficers[0]!.scope },
      { kind: 'operator' },
    ];
    const statements = permissionStatements(s.json);
    for (const p of kinds) {
      const roleId = roleIdNamed(roleSessionOf(STAGE, p).roleName);
      const invoked = statements
        .filter((x) => x.roles.includes(roleId) && asArray(x.statement.Action).includes('execute-api:Invoke'))
        .flatMap((x) => asArray(x.statement.Resource))
        .map((arn) => {
          const parts = (arn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
          return String(parts[parts.length - 1]);
        });
      const expected = operations
        .filter((op) => op.auth !== 'public' && op.auth.includes(p.kind))
        .map((op) => `/${op.method}${op.path.replace(/\{[^}]+\}/g, '*')}`);
      expect(invoked.sort(), p.kind).toEqual(expected.sort());
    }
  });

  it("lets a session of the offices' role touch only its own office's queue and dead-letter queue", () => {
    // The statements grant by tag: evaluate them for every office's session against
    // every queue's tags, as IAM would (a condition on the resource tag and the stage).
    const roleId = roleIdNamed(`rex-${STAGE}-offices`);
    const sqsStatements = permissionStatements(s.json).filter(
      (x) => x.roles.includes(roleId) && asArray(x.statement.Action).some((a) => a.startsWith('sqs:')),
    );
    expect(sqsStatements.length).toBeGreaterThan(0);
    const queues = resourcesOfType(s.json, 'AWS::SQS::Queue').map(([id, q]) => ({
      id,
      name: props(q).QueueName as string | undefined,
      tags: Object.fromEntries(
        ((props(q).Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
      ),
    }));
    const allows = (office: string, action: string, queue: (typeof queues)[number]) =>
      sqsStatements.some(({ statement }) => {
        if (!asArray(statement.Action).includes(action)) return false;
        const resource = JSON.stringify(statement.Resource);
        if (!resource.includes(`:rex-${STAGE}-*`) || !queue.name?.startsWith(`rex-${STAGE}-`)) return false;
        const want = (statement.Condition as { StringEquals: Record<string, string> }).StringEquals;
        return Object.entries(want).every(([key, value]) => {
          const tag = key.replace('aws:ResourceTag/', '');
          const expected = value === `\${aws:PrincipalTag/${OFFICE_SESSION_TAG}}` ? office : value;
          return key.startsWith('aws:ResourceTag/') && queue.tags[tag] === expected;
        });
      });
    for (const def of officeQueues(STAGE, directory)) {
      const office = directory.serviceOffices.find((o) => def.id === `OfficeQueue-${o.id}`)!;
      const own = [logicalIdOfQueue(def.name), logicalIdOfQueue(def.deadLetter.name)].sort();
      for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
        expect(
          queues
            .filter((q) => allows(office.id, a, q))
            .map((q) => q.id)
            .sort(),
          `${office.id} ${a}`,
        ).toEqual(own);
      }
      // Sending (a redrive by hand) only to its inbox, never to a dead-letter queue.
      expect(queues.filter((q) => allows(office.id, 'sqs:SendMessage', q)).map((q) => q.id)).toEqual([
        logicalIdOfQueue(def.name),
      ]);
    }
  });

  it("lets an authority's role touch only its own event queue and dead-letter queue", () => {
    const statements = permissionStatements(s.json);
    for (const def of authorityQueues(STAGE, directory)) {
      const authority = directory.authorities.find((a) => def.id === `AuthorityQueue-${a.id}`)!;
      const roleId = roleIdNamed(roleNameFor(STAGE, { kind: 'authority', id: authority.id }));
      const own = new Set([logicalIdOfQueue(def.name), logicalIdOfQueue(def.deadLetter.name)]);
      const sqsStatements = statements.filter(
        (x) => x.roles.includes(roleId) && asArray(x.statement.Action).some((a) => a.startsWith('sqs:')),
      );
      const named = new Set(sqsStatements.flatMap((x) => asArray(x.statement.Resource).map(referencedId)));
      expect([...named].sort(), authority.id).toEqual([...own].sort());
      const actions = new Set(sqsStatements.flatMap((x) => asArray(x.statement.Action)));
      for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
        expect(actions.has(a), `${authority.id} ${a}`).toBe(true);
      }
    }
  });
});

describe('queues', () => {
  const officeDefs = officeQueues(STAGE, directory);
  const eventDefs = authorityQueues(STAGE, directory);
  const defs = [...officeDefs, ...eventDefs];

  /** The CloudFormation value of an SQS attribute, as CreateQueue spells it. */
  const asAttribute = (v: unknown) => (typeof v === 'boolean' ? String(v) : String(v));

  it('deploys exactly a queue and a dead-letter queue per service office and per authority, and the platform failure queue', () => {
    const queues = resourcesOfType(s.json, 'AWS::SQS::Queue');
    const named = queues.map(([, q]) => props(q).QueueName).filter((n) => n !== undefined);
    expect(named.sort()).toEqual(defs.flatMap((d) => [d.name, d.deadLetter.name]).sort());
    expect(officeDefs).toHaveLength(directory.serviceOffices.length);
    expect(eventDefs).toHaveLength(directory.authorities.length);
    const unnamed = queues.filter(([, q]) => props(q).QueueName === undefined).map(([id]) => id);
    expect(unnamed).toEqual([referencedId(s.stack.resolve(s.stack.failures.queue.queueArn))]);
  });

  it('encrypts every office and event queue with a customer key, the failure queue with SQS-managed SSE, and gives every queue but the failure queues a DLQ', () => {
    const deadLetters = new Set(
      resourcesOfType(s.json, 'AWS::SQS::Queue')
        .map(([, q]) => props(q).RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)
        .map((r) => referencedId(r?.deadLetterTargetArn))
        .filter((id) => id !== undefined),
    );
    const failureQueue = referencedId(s.stack.resolve(s.stack.failures.queue.queueArn));
    for (const [id, q] of resourcesOfType(s.json, 'AWS::SQS::Queue')) {
      // The failure queue holds event metadata only: SQS-managed encryption, no key to pay for.
      if (id === failureQueue) expect(props(q).SqsManagedSseEnabled, id).toBe(true);
      else expect(isCustomerKey(props(q).KmsMasterKeyId), id).toBe(true);
      if (!deadLetters.has(id) && id !== failureQueue) expect(props(q).RedrivePolicy, id).toBeDefined();
    }
  });

  it.each(defs.map((d) => [d.name, d] as [string, QueueDefinition]))(
    '%s has the attributes the local platform creates, SSE-KMS and a redrive policy',
    (_name, def) => {
      const queue = props(s.json.Resources[logicalIdOfQueue(def.name)]!);
      const dlqId = logicalIdOfQueue(def.deadLetter.name);
      const dlq = props(s.json.Resources[dlqId]!);
      const local = queueAttributes(def, 'arn');
      for (const [attribute, value] of Object.entries(local)) {
        if (attribute === 'SqsManagedSseEnabled' || attribute === 'RedrivePolicy') continue;
        expect(asAttribute(queue[attribute]), attribute).toBe(value);
      }
      expect(queue.FifoQueue).toBe(true);
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
        maxReceiveCount: def.deadLetter.maxReceiveCount,
      });
      for (const [attribute, value] of Object.entries(deadLetterAttributes(def))) {
        if (attribute === 'SqsManagedSseEnabled') continue;
        expect(asAttribute(dlq[attribute]), `dead letter ${attribute}`).toBe(value);
      }
      // In AWS a customer-managed key replaces the SQS-managed encryption of the emulator.
      expect(isCustomerKey(queue.KmsMasterKeyId)).toBe(true);
      expect(isCustomerKey(dlq.KmsMasterKeyId)).toBe(true);
    },
  );

  it('refuses requests without TLS on every queue', () => {
    const queueIds = resourcesOfType(s.json, 'AWS::SQS::Queue').map(([id]) => id);
    const guarded = new Set<string>();
    for (const [, policy] of resourcesOfType(s.json, 'AWS::SQS::QueuePolicy')) {
      const doc = props(policy).PolicyDocument as { Statement: { Effect: string; Condition?: unknown }[] };
      const deniesPlainText = doc.Statement.some(
        (st) =>
          st.Effect === 'Deny' &&
          JSON.stringify(st.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      );
      if (deniesPlainText) for (const q of props(policy).Queues as unknown[]) guarded.add(referencedId(q)!);
    }
    expect([...guarded].sort()).toEqual(queueIds.sort());
  });
});

describe('tables', () => {
  const byName = (name: string) => {
    const found = resourcesOfType(s.json, 'AWS::DynamoDB::Table').find(
      ([, r]) => props(r).TableName === name,
    );
    if (!found) throw new Error(`table ${name} is not in the template`);
    return found[1];
  };

  it('deploys exactly the defined tables', () => {
    expect(resourcesOfType(s.json, 'AWS::DynamoDB::Table')).toHaveLength(tables.length);
  });

  it.each(tables.map((t) => [t.id, t] as const))(
    '%s has the keys, indexes and stream the local platform creates',
    (_id, def) => {
      const name = tableName(STAGE, def);
      const local = createTableInput(def, name);
      const table = byName(name);
      const p = props(table);
      const sortBy = <T>(xs: T[], key: (x: T) => string) =>
        [...xs].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sortBy(p.AttributeDefinitions as { AttributeName: string }[], (a) => a.AttributeName)).toEqual(
        sortBy(local.AttributeDefinitions as { AttributeName: string }[], (a) => a.AttributeName!),
      );
      expect(p.KeySchema).toEqual(local.KeySchema);
      type Gsi = { IndexName: string; KeySchema: unknown; Projection: unknown };
      expect(sortBy((p.GlobalSecondaryIndexes as Gsi[]) ?? [], (g) => g.IndexName)).toEqual(
        sortBy((local.GlobalSecondaryIndexes ?? []) as Gsi[], (g) => g.IndexName),
      );
      expect(p.BillingMode).toBe(local.BillingMode);
      expect(p.StreamSpecification).toEqual({ StreamViewType: local.StreamSpecification?.StreamViewType });
      expect(p.TimeToLiveSpecification).toEqual({ AttributeName: def.timeToLiveAttribute, Enabled: true });
    },
  );

  it.each(tables.map((t) => [t.id, t] as const))(
    '%s is encrypted with a rotating customer key, with PITR',
    (_id, def) => {
      const table = byName(tableName(STAGE, def));
      const p = props(table);
      const sse = p.SSESpecification as { SSEEnabled: boolean; SSEType: string; KMSMasterKeyId: unknown };
      expect(sse.SSEEnabled).toBe(true);
      expect(sse.SSEType).toBe('KMS');
      expect(isCustomerKey(sse.KMSMasterKeyId)).toBe(true);
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
    },
  );
});

describe('API', () => {
  /** Path of every API Gateway resource, from its parent chain. */
  function resourcePaths(): Map<string, string> {
    const resources = new Map(resourcesOfType(s.json, 'AWS::ApiGateway::Resource'));
    const paths = new Map<string, string>();
    const pathOf = (id: string): string => {
      const known = paths.get(id);
      if (known !== undefined) return known;
      const r = props(resources.get(id)!);
      const parent = r.ParentId as { Ref?: string };
      const base = parent.Ref ? pathOf(parent.Ref) : '';
      const path = `${base}/${r.PathPart as string}`;
      paths.set(id, path);
      return path;
    };
    for (const id of resources.keys()) pathOf(id);
    return paths;
  }

  function methods(): { key: string; authorization: string; authorizer: string | undefined }[] {
    const paths = resourcePaths();
    return resourcesOfType(s.json, 'AWS::ApiGateway::Method').map(([, m]) => {
      const p = props(m);
      const resource = p.ResourceId as { Ref?: string };
      const path = resource.Ref ? paths.get(resource.Ref)! : '/';
      return {
        key: `${p.HttpMethod as string} ${path}`,
        authorization: p.AuthorizationType as string,
        authorizer: referencedId(p.AuthorizerId),
      };
    });
  }

  it('serves every operation under its path, with IAM on every one that is not public', () => {
    const deployed = methods().filter((m) => !m.key.includes(` ${PEOPLE_PATH_PREFIX}/`));
    expect(deployed.map((m) => m.key).sort()).toEqual(
      operations.map((op) => `${op.method} ${op.path}`).sort(),
    );
    for (const op of operations) {
      const m = deployed.find((x) => x.key === `${op.method} ${op.path}`)!;
      expect(m.authorization, op.operationId).toBe(op.auth === 'public' ? 'NONE' : 'AWS_IAM');
      expect(m.authorizer, op.operationId).toBeUndefined();
    }
    const open = deployed.filter((m) => m.authorization === 'NONE').map((m) => m.key);
    expect(open.sort()).toEqual(
      operations
        .filter((op) => op.auth === 'public')
        .map((op) => `${op.method} ${op.path}`)
        .sort(),
    );
  });

  it('serves each operation people use once more under /people, with the Cognito authorizer of the user pool', () => {
    const [[authorizerId, authorizer]] = resourcesOfType(s.json, 'AWS::ApiGateway::Authorizer') as [
      [string, CfnResource],
    ];
    const a = props(authorizer);
    expect(a.Type).toBe('COGNITO_USER_POOLS');
    expect(a.IdentitySource).toBe('method.request.header.Authorization');
    expect(a.AuthorizerResultTtlInSeconds).toBe(0);
    const [[poolId]] = resourcesOfType(s.json, 'AWS::Cognito::UserPool') as [[string, CfnResource]];
    expect((a.ProviderARNs as unknown[]).map(referencedId)).toEqual([poolId]);

    const people = methods().filter((m) => m.key.includes(` ${PEOPLE_PATH_PREFIX}/`));
    const twins = operations.filter(hasPeopleTwin);
    expect(twins.length).toBeGreaterThan(0);
    expect(people.map((m) => m.key).sort()).toEqual(
      twins.map((op) => `${op.method} ${peoplePath(op)}`).sort(),
    );
    for (const m of people) {
      expect(m.authorization, m.key).toBe('COGNITO_USER_POOLS');
      expect(m.authorizer, m.key).toBe(authorizerId);
    }
    // No OAuth scopes: API Gateway takes the ID token, not the access token.
    for (const [, m] of resourcesOfType(s.json, 'AWS::ApiGateway::Method'))
      expect(props(m).AuthorizationScopes).toBeUndefined();
  });

  it("answers API Gateway's own errors as problem+json with the status of each case", () => {
    const expected: Record<string, number> = {
      MISSING_AUTHENTICATION_TOKEN: 401,
      DEFAULT_4XX: 401,
      UNAUTHORIZED: 401,
      ACCESS_DENIED: 403,
      INVALID_SIGNATURE: 403,
      EXPIRED_TOKEN: 403,
      THROTTLED: 429,
      REQUEST_TOO_LARGE: 413,
      DEFAULT_5XX: 502,
    };
    const responses = resourcesOfType(s.json, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => props(r));
    expect(responses).toHaveLength(GATEWAY_PROBLEMS.length);
    // The response types API Gateway knows (GetGatewayResponse, API reference): any other fails the deployment.
    const known = new Set(
      'DEFAULT_4XX DEFAULT_5XX RESOURCE_NOT_FOUND UNAUTHORIZED INVALID_API_KEY ACCESS_DENIED AUTHORIZER_FAILURE AUTHORIZER_CONFIGURATION_ERROR INVALID_SIGNATURE EXPIRED_TOKEN MISSING_AUTHENTICATION_TOKEN INTEGRATION_FAILURE INTEGRATION_TIMEOUT API_CONFIGURATION_ERROR UNSUPPORTED_MEDIA_TYPE BAD_REQUEST_PARAMETERS BAD_REQUEST_BODY REQUEST_TOO_LARGE THROTTLED QUOTA_EXCEEDED WAF_FILTERED'.split(
        ' ',
      ),
    );
    for (const r of responses) expect(known, String(r.ResponseType)).toContain(r.ResponseType);
    for (const [type, status] of Object.entries(expected)) {
      const r = responses.find((x) => x.ResponseType === type);
      expect(r, type).toBeDefined();
      expect(r!.StatusCode, type).toBe(String(status));
      expect((r!.ResponseParameters as Record<string, string>)['gatewayresponse.header.Content-Type']).toBe(
        "'application/problem+json'",
      );
      const body = JSON.parse(
        (r!.ResponseTemplates as Record<string, string>)['application/problem+json']!,
      ) as {
        type: string;
        status: number;
      };
      expect(body.status, type).toBe(status);
      expect(body.type, type).toMatch(
        new RegExp(`^${problemType('').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[a-z-]+$`),
      );
    }
  });

  it('logs access without paths, query strings or bodies, and throttles at the shared limits', () => {
    const [[, stage]] = resourcesOfType(s.json, 'AWS::ApiGateway::Stage') as [[string, CfnResource]];
    const p = props(stage);
    const format = (p.AccessLogSetting as { Format: string }).Format;
    const fields = JSON.parse(format) as Record<string, string>;
    for (const value of Object.values(fields)) {
      expect(value).not.toMatch(
        /\$context\.(path|requestOverride|responseOverride)\b|\$input|body|querystring/i,
      );
    }
    expect(fields.resourcePath).toBe('$context.resourcePath');
    expect(p.TracingEnabled).toBe(true);
    const settings = p.MethodSettings as Record<string, unknown>[];
    expect(settings).toContainEqual(
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: apiThrottle.rateLimitPerSecond,
        ThrottlingBurstLimit: apiThrottle.burstLimit,
        DataTraceEnabled: false,
      }),
    );
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions or Serverless finding', () => {
    expect(s.violations.map((v) => `${v.rule} at ${v.paths.join(', ')}`)).toEqual([]);
    expect(s.synthError).toBeUndefined();
  });

  it('would report a finding: the report reader sees a violation in a non-compliant app', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rex-nag-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'NonCompliant');
    new sqs.Queue(stack, 'PlainQueue', { retentionPeriod: Duration.days(1) });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
    const rules = readViolations(outdir).map((v) => v.rule);
    expect(rules).toContain('AwsSolutions-SQS3');
    expect(rules).toContain('AwsSolutions-SQS4');
  });
});

describe('resources', () => {
  it('has the expected number of resources of each type', () => {
    const counts: Record<string, number> = {};
    for (const r of Object.values(s.json.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
    expect(sorted).toMatchInlineSnapshot(`
      {
        "AWS::ApiGateway::Account": 1,
        "AWS::ApiGateway::Authorizer": 1,
        "AWS::ApiGateway::Deployment": 1,
        "AWS::ApiGateway::GatewayResponse": 12,
        "AWS::ApiGateway::Method": 68,
        "AWS::ApiGateway::Resource": 82,
        "AWS::ApiGateway::RestApi": 1,
        "AWS::ApiGateway::Stage": 1,
        "AWS::CloudWatch::Alarm": 21,
        "AWS::CloudWatch::Dashboard": 1,
        "AWS::Cognito::ManagedLoginBranding": 1,
        "AWS::Cognito::UserPool": 1,
        "AWS::Cognito::UserPoolClient": 1,
        "AWS::Cognito::UserPoolDomain": 1,
        "AWS::DynamoDB::Table": 2,
        "AWS::Events::Rule": 2,
        "AWS::IAM::Policy": 12,
        "AWS::IAM::Role": 21,
        "AWS::KMS::Key": 2,
        "AWS::Lambda::EventInvokeConfig": 2,
        "AWS::Lambda::EventSourceMapping": 2,
        "AWS::Lambda::Function": 12,
        "AWS::Lambda::Permission": 70,
        "AWS::Logs::LogGroup": 13,
        "AWS::SNS::Subscription": 1,
        "AWS::SNS::Topic": 1,
        "AWS::SNS::TopicPolicy": 1,
        "AWS::SQS::Queue": 25,
        "AWS::SQS::QueuePolicy": 3,
        "AWS::SecretsManager::Secret": 1,
      }
    `);
  });

  it('stays inside the 500-resource limit of a CloudFormation stack with room for a large district', () => {
    const total = Object.keys(s.json.Resources).length;
    // Each office costs its queue and its dead-letter queue (docs/deploy.md, "Scale plan"):
    // it acts through the one offices' role by its session tag, one queue policy covers
    // all queues, and one alarm per concern covers every queue.
    const office = directory.serviceOffices[0]!.id.replace(/[^A-Za-z0-9]/g, '');
    const perOffice = Object.keys(s.json.Resources).filter((id) => id.includes(office)).length;
    expect(perOffice).toBe(2);
    const fixed = total - perOffice * directory.serviceOffices.length;
    const officesPerStack = Math.floor((500 - fixed) / perOffice);
    // A district has typically 5-30 service offices; a larger one splits (docs/deploy.md).
    expect(officesPerStack).toBeGreaterThanOrEqual(50);
  });

  it('names the API URL, the sign-in, each office queue, each event queue and each principal role in its outputs', () => {
    const outputs = Object.keys(s.json.Outputs ?? {});
    expect(outputs.some((o) => o.startsWith('ApiUrl'))).toBe(true);
    for (const name of ['SignInIssuer', 'SignInClientId', 'SignInDomain', 'UserPoolId'])
      expect(outputs, name).toContain(name);
    for (const office of directory.serviceOffices) {
      expect(
        outputs.filter((o) => o.startsWith(`QueueUrl${office.id.replace(/-/g, '')}`)),
        office.id,
      ).toHaveLength(1);
    }
    for (const authority of directory.authorities) {
      expect(
        outputs.filter((o) => o.startsWith(`EventQueueUrl${authority.id.replace(/-/g, '')}`)),
        authority.id,
      ).toHaveLength(1);
    }
    expect(outputs.filter((o) => o.startsWith('RoleArn'))).toHaveLength(
      directory.authorities.length + directory.dataProtectionOfficers.length + 1 + 1,
    );
    expect(outputs).toContain('RoleArnoffices');
  });

  it('prices the idle district from its template: keys, the secret, alarm metrics, the dashboard', () => {
    const lines = idleCost(s.json as never);
    const keys = lines.find((l) => l.what === 'KMS keys')!;
    expect(keys.count).toBe(resourcesOfType(s.json, 'AWS::KMS::Key').length);
    expect(lines.find((l) => l.what === 'alarm metrics')!.count).toBeGreaterThan(
      resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').length,
    );
    // Recorded, not yet the ≤ $3 target (docs/deploy.md, "Idle cost").
    expect(totalOf(lines)).toBeGreaterThan(2);
    expect(totalOf(lines)).toBeLessThan(15);
  });

  it('fits a generated country (400 districts, 1,500 offices, 600 authorities) one stack per district', () => {
    // Every per-office and per-authority resource and output is created in a loop over the
    // directory and nothing else depends on the counts, so a district's stack is the example's
    // fixed part plus a measured amount per office and per authority: the example stands for
    // every district, and the largest district bounds them all.
    const idOf = (id: string) => id.replace(/[^A-Za-z0-9]/g, '');
    const resourceIds = Object.keys(s.json.Resources);
    const outputIds = Object.keys(s.json.Outputs ?? {});
    const bytesOf = (ids: string[], from: Record<string, unknown>) =>
      ids.reduce((n, id) => n + JSON.stringify(from[id]).length + id.length + 6, 0);
    const measure = (id: string) => {
      const r = resourceIds.filter((x) => x.includes(idOf(id)));
      const o = outputIds.filter((x) => x.includes(idOf(id)));
      return {
        resources: r.length,
        outputs: o.length,
        bytes: bytesOf(r, s.json.Resources) + bytesOf(o, s.json.Outputs ?? {}),
      };
    };
    const office = measure(directory.serviceOffices[0]!.id);
    const authority = measure(directory.authorities[0]!.id);
    expect(office.resources).toBe(2);
    const total = {
      resources: resourceIds.length,
      outputs: outputIds.length,
      bytes: JSON.stringify(s.json).length,
    };
    const fixed = {
      resources:
        total.resources -
        office.resources * directory.serviceOffices.length -
        authority.resources * directory.authorities.length,
      outputs:
        total.outputs -
        office.outputs * directory.serviceOffices.length -
        authority.outputs * directory.authorities.length,
      bytes:
        total.bytes -
        office.bytes * directory.serviceOffices.length -
        authority.bytes * directory.authorities.length,
    };
    // The country: 400 districts, 1,500 offices and 600 authorities, skewed as Germany is
    // (a few large cities): district i gets offices and authorities by a mild power law; a
    // city beyond 50 offices is split into stacks of at most 50 offices (docs/deploy.md).
    const districts = 400;
    const share = (totalCount: number) => {
      const weights = Array.from({ length: districts }, (_, i) => 1 / (i + 1) ** 0.3);
      const sum = weights.reduce((a, b) => a + b, 0);
      const counts = weights.map((w) => Math.floor((w / sum) * totalCount));
      let rest = totalCount - counts.reduce((a, b) => a + b, 0);
      for (let i = 0; rest > 0; i = (i + 1) % districts, rest--) counts[i]! += 1;
      return counts;
    };
    const offices = share(1500);
    const authorities = share(600);
    expect(offices.reduce((a, b) => a + b, 0)).toBe(1500);
    expect(authorities.reduce((a, b) => a + b, 0)).toBe(600);
    expect(Math.max(...offices)).toBeGreaterThan(5);
    let roles = 0;
    for (let i = 0; i < districts; i++) {
      const o = offices[i]!;
      const a = authorities[i]!;
      const stack = {
        resources: fixed.resources + o * office.resources + a * authority.resources,
        outputs: fixed.outputs + o * office.outputs + a * authority.outputs,
        bytes: fixed.bytes + o * office.bytes + a * authority.bytes,
      };
      expect(stack.resources, `district ${i}: ${o} offices, ${a} authorities`).toBeLessThanOrEqual(500);
      expect(stack.outputs, `district ${i}`).toBeLessThanOrEqual(200);
      expect(stack.bytes, `district ${i}`).toBeLessThanOrEqual(1_000_000);
      // Offices add no role (they share the offices' role); each authority has its own.
      roles += resourcesOfType(s.json, 'AWS::IAM::Role').length - directory.authorities.length + a;
    }
    // IAM: 1,000 roles per account by default, 5,000 at most on request (docs/deploy.md).
    const rolesPerDistrict = roles / districts;
    expect(Math.floor(5000 / rolesPerDistrict)).toBeGreaterThanOrEqual(1);
    expect(Math.floor(1000 / rolesPerDistrict), 'districts per account at the default quota').toBeGreaterThan(
      10,
    );
  });
});
