import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '#functions/definitions.ts';
import {
  asArray,
  type CfnResource,
  directory,
  permissionStatements,
  referencedId,
  resourcesOfType,
  STAGE,
  type Synthesised,
  synthesise,
} from './synth.ts';

/**
 * What the template itself guarantees about the audit log's integrity and the keys,
 * independent of the code the functions run (issue 18).
 */

let s: Synthesised;
beforeAll(() => {
  s = synthesise();
});
afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

const props = (r: CfnResource) => r.Properties ?? {};
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

function roleOf(functionId: string): string {
  const fn = resourcesOfType(s.json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(functionId))!;
  return referencedId(props(fn[1]).Role)!;
}

/** Whether an IAM StringLike pattern can match a partition key. */
const matches = (pattern: string, key: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(key);

describe('the audit table', () => {
  const audit = () => referencedId(s.stack.resolve(s.stack.data.table('Audit').tableArn));

  it('lets every writer but the sequencer write draft and export items only, never the head or a checkpoint', () => {
    const sequencerRole = roleOf('AuditSequencerFunction');
    let writers = 0;
    for (const def of functionDefinitions) {
      const role = roleOf(def.id);
      for (const { roles, statement } of permissionStatements(s.json)) {
        if (!roles.includes(role)) continue;
        const onAudit = asArray(statement.Resource as unknown).some((r) => referencedId(r) === audit());
        const writes = asArray(statement.Action).filter((a) => WRITES.includes(a));
        if (!onAudit || writes.length === 0) continue;
        writers++;
        if (role === sequencerRole) continue;
        const patterns = (statement.Condition as Record<string, Record<string, string[]>> | undefined)?.[
          'ForAllValues:StringLike'
        ]?.['dynamodb:LeadingKeys'];
        expect(patterns, def.id).toBeDefined();
        for (const key of ['CHAIN', 'CHECKPOINT']) {
          expect(
            patterns!.some((p) => matches(p, key)),
            `${def.id} may write ${key}`,
          ).toBe(false);
        }
        expect(
          patterns!.every((p) => p === 'ENTRY#*' || p === 'EXPORT#*'),
          def.id,
        ).toBe(true);
      }
    }
    expect(writers).toBeGreaterThan(5);
  });
});

describe('the checkpoint signing key', () => {
  const keyPolicy = () => {
    const id = referencedId(s.stack.resolve(s.stack.auditSigning.key.keyArn))!;
    return props(s.json.Resources[id]!).KeyPolicy as {
      Statement: { Sid?: string; Principal: { AWS?: unknown }; Action: string | string[] }[];
    };
  };

  it('lets the account administer the key but not sign', () => {
    for (const st of keyPolicy().Statement) {
      const actions = asArray(st.Action);
      expect(actions, st.Sid).not.toContain('kms:*');
      if (actions.includes('kms:Sign')) continue;
      expect(
        actions.some((a) => matches(a, 'kms:Sign')),
        st.Sid,
      ).toBe(false);
    }
  });

  it('lets no one create a grant on it, by which an administrator could hand signing to anyone', () => {
    for (const st of keyPolicy().Statement) {
      expect(
        asArray(st.Action).some((a) => matches(a, 'kms:CreateGrant')),
        st.Sid,
      ).toBe(false);
    }
  });

  it("grants kms:Sign to the sequencer's role alone", () => {
    const signers = keyPolicy().Statement.filter((st) =>
      asArray(st.Action).some((a) => matches(a, 'kms:Sign')),
    );
    expect(signers).toHaveLength(1);
    expect(referencedId(signers[0]!.Principal.AWS)).toBe(roleOf('AuditSequencerFunction'));
  });
});

describe('key hygiene', () => {
  it('lets an AWS service use a key or send to a queue only for this account or this stack (source or encryption context)', () => {
    const documents: { id: string; statements: Record<string, unknown>[] }[] = [];
    for (const [id, r] of Object.entries(s.json.Resources)) {
      const p = props(r);
      if (r.Type === 'AWS::KMS::Key')
        documents.push({
          id,
          statements: (p.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement,
        });
      if (['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].includes(r.Type))
        documents.push({
          id,
          statements: (p.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
        });
    }
    let services = 0;
    for (const { id, statements } of documents) {
      for (const st of statements) {
        if (st.Effect !== 'Allow' || !(st.Principal as { Service?: unknown })?.Service) continue;
        services++;
        const condition = JSON.stringify(st.Condition ?? {});
        expect(condition, `${id} ${String(st.Sid)}`).toMatch(
          /aws:SourceArn|aws:SourceAccount|kms:EncryptionContext:aws:logs:arn/,
        );
      }
    }
    expect(services).toBeGreaterThan(2);
  });

  const dataKey = () => referencedId(s.stack.resolve(s.stack.data.key.keyArn));

  it('never grants kms:Encrypt to a role, and every use of the platform key goes through a named service', () => {
    for (const { policyId, statement } of permissionStatements(s.json)) {
      const actions = asArray(statement.Action);
      expect(actions, policyId).not.toContain('kms:Encrypt');
      const onKey = asArray(statement.Resource as unknown).some((r) => referencedId(r) === dataKey());
      if (!onKey) continue;
      const condition = JSON.stringify(statement.Condition ?? {});
      expect(condition, policyId).toContain('kms:ViaService');
    }
  });

  it("binds the offices' use of the shared key to SQS and the stage's office queues, and the queues to the office by tag", () => {
    const office = directory.serviceOffices[0]!.id;
    const role = referencedId(
      s.stack.resolve(s.stack.principals.roleFor({ kind: 'service', id: office }).roleArn),
    )!;
    const keyStatements = permissionStatements(s.json).filter(
      ({ roles, statement }) =>
        roles.includes(role) && asArray(statement.Action).some((a) => a.startsWith('kms:')),
    );
    expect(keyStatements).toHaveLength(1);
    const condition = keyStatements[0]!.statement.Condition as {
      StringEquals: Record<string, unknown>;
      ArnLike: Record<string, unknown>;
    };
    expect(JSON.stringify(condition.StringEquals['kms:ViaService'])).toContain('sqs.');
    expect(JSON.stringify(condition.ArnLike['kms:EncryptionContext:aws:sqs:arn'])).toContain(
      `:rex-${STAGE}-*`,
    );
    // SQS calls the key only for a receive it authorised, and the role receives only
    // where the queue's office tag is the session's: every office queue carries its office.
    const { queue, deadLetterQueue } = s.stack.queues.queueFor(office);
    for (const q of [queue, deadLetterQueue]) {
      const id = referencedId(s.stack.resolve(q.queueArn))!;
      const tags = (props(s.json.Resources[id]!).Tags ?? []) as { Key: string; Value: string }[];
      expect(tags).toContainEqual({ Key: 'rex-office', Value: office });
    }
    const sqs = permissionStatements(s.json).filter(
      ({ roles, statement }) =>
        roles.includes(role) && asArray(statement.Action).some((a) => a.startsWith('sqs:')),
    );
    for (const { statement } of sqs)
      expect(
        (statement.Condition as { StringEquals: Record<string, string> }).StringEquals[
          'aws:ResourceTag/rex-office'
        ],
      ).toBe(`\${aws:PrincipalTag/rex-office}`);
  });

  it('encrypts every log group (function logs, the access log) with the platform key', () => {
    const groups = resourcesOfType(s.json, 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(10);
    for (const [id, g] of groups) expect(referencedId(props(g).KmsKeyId), id).toBe(dataKey());
  });

  it('keeps two customer-managed keys: the platform key and the checkpoint key', () => {
    expect(resourcesOfType(s.json, 'AWS::KMS::Key')).toHaveLength(2);
  });
});

describe('failures of scheduled runs', () => {
  it('are not retried, expire with the next run and go to the failure queue', () => {
    const configs = resourcesOfType(s.json, 'AWS::Lambda::EventInvokeConfig').map(([, c]) => props(c));
    const scheduled = functionDefinitions.filter((d) => d.kind === 'schedule');
    expect(configs).toHaveLength(scheduled.length);
    const failureQueue = referencedId(s.stack.resolve(s.stack.failures.queue.queueArn));
    for (const c of configs) {
      expect(c.MaximumRetryAttempts).toBe(0);
      expect(c.MaximumEventAgeInSeconds as number).toBeLessThanOrEqual(15 * 60);
      const onFailure = (c.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure
        .Destination;
      expect(referencedId(onFailure)).toBe(failureQueue);
    }
  });
});

describe('the API', () => {
  it('has no request validator (it had no models and validated nothing; the handlers parse with zod)', () => {
    expect(resourcesOfType(s.json, 'AWS::ApiGateway::RequestValidator')).toHaveLength(0);
  });
});
