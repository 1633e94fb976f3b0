import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FunctionDefinition,
  functionDefinition,
  functionDefinitions,
  limitsOf,
  ownEnvironmentOf,
  tableAccessOf,
} from '#functions/definitions.ts';
import { viaService } from '#infra/constructs/data.ts';
import { READ_ACTIONS, WRITE_ACTIONS } from '#infra/permissions.ts';
import { functionEnvironment } from '#shared/function-environment.ts';
import { tables } from '#shared/resources.ts';
import {
  asArray,
  type CfnResource,
  directory,
  permissionStatements,
  referencedId,
  resourcesOfType,
  type Synthesised,
  synthesise,
} from './synth.ts';

let s: Synthesised;

beforeAll(() => {
  s = synthesise();
});

afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

const props = (r: CfnResource) => r.Properties ?? {};

/**
 * A resource as a comparable string: `Logical.Attr`, `Logical.Arn/index/gsi1`, the
 * tail of a constructed ARN (`…:parameter/aws/…`), or `*`.
 */
function describeResource(value: unknown): string {
  if (value === '*') return '*';
  const id = referencedId(value);
  if (id) {
    const getAtt = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
    return `${id}.${getAtt?.[1] ?? 'Ref'}`;
  }
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) {
    const parts = join[1];
    const head = referencedId(parts[0]);
    if (head) return `${describeResource(parts[0])}${parts.slice(1).join('')}`;
    return `…${String(parts[parts.length - 1])}`;
  }
  return JSON.stringify(value);
}

/**
 * `action resource [condition]` of a function's role, without its log group and X-Ray
 * statements; a condition is spelled as its resolved JSON.
 */
function grantsOf(functionId: string): Set<string> {
  const fn = resourcesOfType(s.json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(functionId));
  if (!fn) throw new Error(`function ${functionId} is not in the template`);
  const roleId = referencedId(props(fn[1]).Role)!;
  const pairs = new Set<string>();
  for (const { roles, statement } of permissionStatements(s.json)) {
    if (!roles.includes(roleId)) continue;
    expect(statement.Effect).toBe('Allow');
    const condition = statement.Condition ? ` ${JSON.stringify(statement.Condition)}` : '';
    for (const action of asArray(statement.Action)) {
      if (action.startsWith('logs:') || action.startsWith('xray:')) continue;
      for (const resource of asArray(statement.Resource))
        pairs.add(`${action} ${describeResource(resource)}${condition}`);
    }
  }
  return pairs;
}

const resolved = (token: string) => describeResource(s.stack.resolve(token));
/** A condition as grantsOf spells it. */
const cond = (condition: unknown) => ` ${JSON.stringify(s.stack.resolve(condition))}`;
const via = (service: string) => cond({ StringEquals: { 'kms:ViaService': viaService(service, s.stack) } });
const leadingKeys = (patterns: readonly string[]) =>
  cond({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...patterns] } });

/** What a function's definition says it gets, spelled like grantsOf. */
function expectedGrants(def: FunctionDefinition): Set<string> {
  const entry = def.permissions;
  const out = new Set<string>();
  const dataKey = resolved(s.stack.data.key.keyArn);
  for (const [tableId, access] of Object.entries(tableAccessOf(def))) {
    const table = s.stack.data.table(tableId as 'Records' | 'Audit');
    for (const action of access!.actions) {
      const limited = access!.writeKeyPatterns && WRITE_ACTIONS.has(action);
      out.add(
        `${action} ${resolved(table.tableArn)}${limited ? leadingKeys(access!.writeKeyPatterns!) : ''}`,
      );
    }
    for (const index of access!.queryIndexes ?? []) {
      out.add(`dynamodb:Query ${resolved(table.tableArn)}/index/${index}`);
    }
    if (access!.stream) {
      for (const action of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'])
        out.add(`${action} ${resolved(table.tableStreamArn!)}`);
      out.add('dynamodb:ListStreams *');
      out.add(`sqs:SendMessage ${resolved(s.stack.failures.queue.queueArn)}`);
    }
    const reads =
      access!.actions.some((a) => READ_ACTIONS.has(a)) || !!access!.queryIndexes || !!access!.stream;
    const writes = access!.actions.some((a) => WRITE_ACTIONS.has(a));
    if (reads || writes) out.add(`kms:Decrypt ${dataKey}${via('dynamodb')}`);
    if (writes) out.add(`kms:GenerateDataKey ${dataKey}${via('dynamodb')}`);
  }
  if (def.kind === 'schedule') out.add(`sqs:SendMessage ${resolved(s.stack.failures.queue.queueArn)}`);
  if (entry.pseudonymSecret) {
    out.add(`ssm:GetParameter …:parameter${s.stack.pseudonymSecret.parameterName}`);
    out.add(`secretsmanager:GetSecretValue ${resolved(s.stack.pseudonymSecret.secret.secretArn)}`);
    out.add(`kms:Decrypt ${dataKey}${via('secretsmanager')}`);
  }
  for (const action of entry.checkpointKey ?? [])
    out.add(`${action} ${resolved(s.stack.auditSigning.key.keyArn)}`);
  if (entry.sendToOfficeQueues) {
    for (const { queue } of s.stack.queues.all()) out.add(`sqs:SendMessage ${resolved(queue.queueArn)}`);
    out.add(`kms:GenerateDataKey ${resolved(s.stack.queues.key.keyArn)}${via('sqs')}`);
    out.add(`kms:Decrypt ${resolved(s.stack.queues.key.keyArn)}${via('sqs')}`);
  }
  if (entry.sendToAuthorityQueues) {
    for (const { queue } of s.stack.authorityQueues.all())
      out.add(`sqs:SendMessage ${resolved(queue.queueArn)}`);
    out.add(`kms:GenerateDataKey ${resolved(s.stack.authorityQueues.key.keyArn)}${via('sqs')}`);
    out.add(`kms:Decrypt ${resolved(s.stack.authorityQueues.key.keyArn)}${via('sqs')}`);
  }
  if (entry.sendNotifications && s.stack.mailSending) {
    out.add(
      `ses:SendEmail ${resolved(s.stack.mailSending.identityArn)}${cond({ StringEquals: { 'ses:FromAddress': s.stack.mailSending.from } })}`,
    );
  }
  if (entry.probeOfficeQueue) {
    const first = s.stack.queues.queueFor(directory.serviceOffices[0]!.id).queue;
    out.add(`sqs:GetQueueAttributes ${resolved(first.queueArn)}`);
  }
  return out;
}

function lambdaOf(functionId: string): Record<string, unknown> {
  const fn = resourcesOfType(s.json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(functionId));
  if (!fn) throw new Error(`function ${functionId} is not in the template`);
  return props(fn[1]);
}

const envOf = (functionId: string) =>
  (lambdaOf(functionId).Environment as { Variables: Record<string, unknown> }).Variables;

describe('the definitions', () => {
  it('name only indexes that the tables have', () => {
    for (const def of functionDefinitions) {
      for (const [tableId, access] of Object.entries(tableAccessOf(def))) {
        const table = tables.find((t) => t.id === tableId)!;
        for (const index of access!.queryIndexes ?? []) {
          expect(
            table.globalSecondaryIndexes.map((g) => g.indexName),
            `${def.id} ${tableId}`,
          ).toContain(index);
        }
      }
    }
  });

  it('grant the stream through the trigger: the outbox relay reads the records stream', () => {
    expect(tableAccessOf(functionDefinition('OutboxRelayFunction')).Records?.stream).toBe(true);
    for (const def of functionDefinitions.filter((d) => d.kind !== 'stream')) {
      for (const access of Object.values(tableAccessOf(def))) expect(access?.stream, def.id).toBeUndefined();
    }
  });
});

describe('function roles', () => {
  it.each(functionDefinitions.map((d) => [d.id, d] as const))(
    '%s is granted exactly its definition',
    (fnId, def) => {
      expect([...grantsOf(fnId)].sort()).toEqual([...expectedGrants(def)].sort());
    },
  );

  it('never grants Scan, BatchWriteItem, a wildcard action or a table-wide index wildcard', () => {
    for (const { id } of functionDefinitions) {
      for (const grant of grantsOf(id)) {
        const [action, resource] = grant.split(' ') as [string, string];
        expect(action, id).not.toContain('*');
        expect(['dynamodb:Scan', 'dynamodb:BatchWriteItem'], id).not.toContain(action);
        expect(resource, id).not.toMatch(/\/index\/\*$/);
        if (resource === '*') expect(action, id).toBe('dynamodb:ListStreams');
      }
    }
  });

  it('lets the routing preview and the DPO page touch nothing but their logs and traces', () => {
    expect([...grantsOf('RoutingPreviewFunction')]).toEqual([]);
    expect([...grantsOf('WebPagesFunction')]).toEqual([]);
  });

  it('lets only the outbox relay send to office queues, and never to a dead-letter queue', () => {
    const officeQueueIds = new Set(s.stack.queues.all().map(({ queue }) => resolved(queue.queueArn)));
    const deadLetterIds = new Set(
      s.stack.queues.all().map(({ deadLetterQueue }) => resolved(deadLetterQueue.queueArn)),
    );
    for (const { id } of functionDefinitions) {
      const sends = [...grantsOf(id)]
        .filter((g) => g.startsWith('sqs:SendMessage '))
        .map((g) => g.slice('sqs:SendMessage '.length));
      for (const target of sends) expect(deadLetterIds.has(target), id).toBe(false);
      const toOffices = sends.filter((t) => officeQueueIds.has(t));
      expect(toOffices.length, id).toBe(id === 'OutboxRelayFunction' ? officeQueueIds.size : 0);
    }
  });

  it("lets only the outbox relay send to authorities' event queues, and never to their dead-letter queues", () => {
    const eventQueues = new Set(s.stack.authorityQueues.all().map(({ queue }) => resolved(queue.queueArn)));
    const deadLetters = new Set(
      s.stack.authorityQueues.all().map(({ deadLetterQueue }) => resolved(deadLetterQueue.queueArn)),
    );
    expect(eventQueues.size).toBe(directory.authorities.length);
    for (const { id } of functionDefinitions) {
      const sends = [...grantsOf(id)]
        .filter((g) => g.startsWith('sqs:SendMessage '))
        .map((g) => g.slice('sqs:SendMessage '.length));
      for (const target of sends) expect(deadLetters.has(target), id).toBe(false);
      const toAuthorities = sends.filter((t) => eventQueues.has(t));
      expect(toAuthorities.length, id).toBe(id === 'OutboxRelayFunction' ? eventQueues.size : 0);
    }
  });

  it('lets only the referrals function read the feed indexes, by their names', () => {
    const records = resolved(s.stack.data.table('Records').tableArn);
    for (const { id } of functionDefinitions) {
      const feeds = [...grantsOf(id)].filter((g) => /\/index\/(authorityFeed|officeFeed)$/.test(g));
      expect(feeds, id).toEqual(
        id === 'ReferralsFunction'
          ? [`dynamodb:Query ${records}/index/authorityFeed`, `dynamodb:Query ${records}/index/officeFeed`]
          : [],
      );
    }
  });

  it('lets a transaction write exactly the item actions its items need', () => {
    const referrals = grantsOf('ReferralsFunction');
    const records = resolved(s.stack.data.table('Records').tableArn);
    for (const action of ['PutItem', 'UpdateItem', 'ConditionCheckItem', 'BatchGetItem', 'GetItem']) {
      expect(referrals.has(`dynamodb:${action} ${records}`), action).toBe(true);
    }
    expect(referrals.has(`dynamodb:DeleteItem ${records}`)).toBe(false);
    const audit = resolved(s.stack.data.table('Audit').tableArn);
    expect([...referrals].filter((g) => g.includes(` ${audit}`))).toEqual([
      `dynamodb:PutItem ${audit}${leadingKeys(['ENTRY#*'])}`,
    ]);
  });
});

describe('function settings', () => {
  it.each(functionDefinitions.map((d) => [d.id, d] as const))(
    '%s runs with exactly its limits',
    (fnId, def) => {
      const p = lambdaOf(fnId);
      const limits = limitsOf(def);
      expect(p.Timeout).toBe(limits.timeoutSeconds);
      expect(p.MemorySize).toBe(limits.memorySizeMb);
      expect(p.ReservedConcurrentExecutions).toBe(limits.reservedConcurrency);
    },
  );

  it('runs the audit sequencer alone, done before the next minute', () => {
    const p = lambdaOf('AuditSequencerFunction');
    expect(p.ReservedConcurrentExecutions).toBe(1);
    expect(p.Timeout).toBe(55);
  });

  it.each(functionDefinitions.map((d) => [d.id, d] as const))(
    '%s gets exactly the shared environment and the variables its definition implies',
    (fnId, def) => {
      const shared = functionEnvironment({
        stage: 'x',
        accountId: 'x',
        recordsTable: 'x',
        auditTable: 'x',
        directoryFile: 'x',
        queueUrlTemplate: 'x',
        auditRetentionYears: directory.deployment.auditRetentionYears,
        retention: directory.deployment.retention,
      });
      const own = ownEnvironmentOf(def, {
        pseudonymSecretParameter: 'x',
        checkpointKeyId: 'x',
        bundleRoot: 'x',
        signInIssuer: 'x',
        signInClientId: 'x',
        signInLogoutUrl: 'x',
        // The example directory configures notifications.
        officePageUrl: 'x',
      });
      // No NODE_OPTIONS: source maps are not applied at run time (docs/performance.md).
      const runtime = ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_LOGGER_LOG_EVENT'];
      expect(Object.keys(envOf(fnId)).sort()).toEqual(
        [...Object.keys(shared), ...Object.keys(own), ...runtime].sort(),
      );
    },
  );

  it('tells exactly the functions that may read the secret or use the signing key where they are', () => {
    for (const { id, permissions: entry } of functionDefinitions) {
      const env = envOf(id);
      if (entry.pseudonymSecret) {
        expect(env.REX_PSEUDONYM_SECRET_PARAMETER, id).toBe(s.stack.pseudonymSecret.parameterName);
      } else {
        expect(env.REX_PSEUDONYM_SECRET_PARAMETER, id).toBeUndefined();
      }
      expect(env.REX_PSEUDONYM_SECRET, id).toBeUndefined();
      if (entry.checkpointKey?.length) {
        expect(referencedId(env.REX_CHECKPOINT_KMS_KEY_ID), id).toBe(
          referencedId(s.stack.resolve(s.stack.auditSigning.key.keyId)),
        );
      } else {
        expect(env.REX_CHECKPOINT_KMS_KEY_ID, id).toBeUndefined();
      }
      expect(env.REX_CHECKPOINT_PRIVATE_KEY, id).toBeUndefined();
    }
    expect(envOf('AuditSequencerFunction').REX_CHECKPOINT_KMS_KEY_ID).toBeDefined();
    expect(envOf('AuditApiFunction').REX_CHECKPOINT_KMS_KEY_ID).toBeDefined();
  });

  it('bundles the DPO page files and points the function at them', () => {
    expect(envOf('WebPagesFunction').REX_WEB_DIR).toBe('/var/task/web');
  });
});

describe('notifications by e-mail', () => {
  const NOTIFIER = 'OfficeNotificationsFunction';

  it('let only the office notifier send, ses:SendEmail on the directory identity alone, from its sender alone', () => {
    const settings = directory.deployment.notifications!;
    for (const { id } of functionDefinitions) {
      const ses = [...grantsOf(id)].filter((g) => g.startsWith('ses:'));
      expect(ses, id).toEqual(
        id === NOTIFIER
          ? [
              `ses:SendEmail …:identity/lk-karlsruhe.example.org ${JSON.stringify({ StringEquals: { 'ses:FromAddress': settings.from } })}`,
            ]
          : [],
      );
    }
    const arn = s.stack.resolve(s.stack.mailSending!.identityArn) as { 'Fn::Join': [string, unknown[]] };
    expect(JSON.stringify(arn)).toContain(':ses:eu-central-1:');
    expect(JSON.stringify(arn)).not.toContain('*');
  });

  it('let the notifier touch only outbox items when it writes, and never the audit log', () => {
    const records = resolved(s.stack.data.table('Records').tableArn);
    const grants = [...grantsOf(NOTIFIER)].filter((g) => g.startsWith('dynamodb:'));
    expect(grants.filter((g) => !g.startsWith('dynamodb:GetItem ') && !/Stream|ListStreams/.test(g))).toEqual(
      [`dynamodb:DeleteItem ${records}${leadingKeys(['OUTBOX#*'])}`],
    );
    const audit = resolved(s.stack.data.table('Audit').tableArn);
    expect([...grantsOf(NOTIFIER)].filter((g) => g.includes(audit))).toEqual([]);
  });

  it("tell the notifier where the office page is: the API's /office", () => {
    const url = envOf(NOTIFIER).REX_OFFICE_PAGE_URL as { 'Fn::Join': [string, unknown[]] };
    const parts = url['Fn::Join'][1];
    expect(referencedId(parts[1])).toBe(referencedId(s.stack.resolve(s.stack.api.restApi.restApiId)));
    expect(String(parts.at(-1))).toMatch(/\/office$/);
    for (const { id } of functionDefinitions.filter((d) => d.id !== NOTIFIER))
      expect(envOf(id).REX_OFFICE_PAGE_URL, id).toBeUndefined();
    expect(
      ownEnvironmentOf(functionDefinition(NOTIFIER), {
        pseudonymSecretParameter: 'x',
        checkpointKeyId: 'x',
        bundleRoot: 'x',
        signInIssuer: 'x',
        signInClientId: 'x',
        signInLogoutUrl: 'x',
      }),
    ).toEqual({});
  });

  it('invoke the notifier only for new mail outbox items of the records stream', () => {
    const mappings = resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping').filter(([id]) =>
      id.startsWith(NOTIFIER),
    );
    expect(mappings).toHaveLength(1);
    const p = props(mappings[0]![1]);
    expect(referencedId(p.EventSourceArn)).toBe(
      referencedId(s.stack.resolve(s.stack.data.table('Records').tableStreamArn)),
    );
    const filters = (p.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      {
        eventName: ['INSERT'],
        dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] }, sk: { S: [{ prefix: 'mail-' }] } } },
      },
    ]);
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const relay = resourcesOfType(s.json, 'AWS::Lambda::EventSourceMapping').find(([id]) =>
      id.startsWith('OutboxRelayFunction'),
    );
    expect(props(relay![1]).FilterCriteria).toBeUndefined();
  });
});

describe('secret and signing key', () => {
  it('generates the pseudonym secret as 64 hexadecimal characters and keeps it', () => {
    const [[, secret]] = resourcesOfType(s.json, 'AWS::SecretsManager::Secret') as [[string, CfnResource]];
    const generate = props(secret).GenerateSecretString as Record<string, unknown>;
    expect(generate).toMatchObject({
      PasswordLength: 64,
      ExcludeUppercase: true,
      ExcludePunctuation: true,
      IncludeSpace: false,
      ExcludeCharacters: 'ghijklmnopqrstuvwxyz',
    });
    // What remains of the lower-case alphabet and digits is exactly the hexadecimal digits.
    const remaining = [...'abcdefghijklmnopqrstuvwxyz0123456789']
      .filter((c) => !String(generate.ExcludeCharacters).includes(c))
      .join('');
    expect(remaining).toBe('abcdef0123456789');
    expect(props(secret).Name).toBe(s.stack.pseudonymSecret.secretName);
    expect(referencedId(props(secret).KmsKeyId)).toBe(referencedId(s.stack.resolve(s.stack.data.key.keyArn)));
    expect(secret.DeletionPolicy).toBe('Retain');
  });

  it('signs checkpoints with an asymmetric Ed25519 KMS key that is retained', () => {
    const id = referencedId(s.stack.resolve(s.stack.auditSigning.key.keyArn))!;
    const key = s.json.Resources[id]!;
    expect(props(key)).toMatchObject({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' });
    expect(key.DeletionPolicy).toBe('Retain');
    expect(Object.keys(s.json.Outputs ?? {}).some((o) => o.startsWith('CheckpointKeyId'))).toBe(true);
  });
});

describe('monitoring', () => {
  const alarms = () => resourcesOfType(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => props(a));

  it('alarms on the platform failure queue', () => {
    const failureQueue = referencedId(s.stack.resolve(s.stack.failures.queue.queueName));
    const watching = alarms().filter((a) => JSON.stringify(a.Dimensions ?? []).includes(`"${failureQueue}"`));
    expect(watching).toHaveLength(1);
    expect(watching[0]).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
  });

  it('alarms when the audit sequencer falls behind or stops', () => {
    const sequencer = referencedId(
      s.stack.resolve(s.stack.functions.function('AuditSequencerFunction').function.functionName),
    );
    const onSequencer = alarms().filter((a) => JSON.stringify(a.Dimensions ?? []).includes(`"${sequencer}"`));
    const lag = onSequencer.find((a) => a.MetricName === 'Duration');
    expect(lag).toMatchObject({ Statistic: 'Maximum', EvaluationPeriods: 5, DatapointsToAlarm: 5 });
    expect(lag!.Threshold as number).toBeLessThan(55_000 - 5_000);
    const stopped = onSequencer.find((a) => a.MetricName === 'Invocations');
    expect(stopped).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'LessThanThreshold' });
  });
});
