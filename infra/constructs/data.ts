import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { READ_ACTIONS, type TableAccess, WRITE_ACTIONS } from '#infra/permissions.ts';
import {
  type IndexDefinition,
  type KeyAttribute,
  type TableDefinition,
  tables as tableDefinitions,
  tableName,
} from '#shared/resources.ts';

export interface DataTablesProps {
  /** Deployment stage; part of every physical table name (`rex-<stage>-<suffix>`). */
  readonly stage: string;
  /**
   * The table definitions to deploy.
   * @default every table in shared/resources.ts
   */
  readonly definitions?: readonly TableDefinition[];
  /**
   * Whether CloudFormation refuses to delete the tables.
   * @default true — the tables hold consents, referrals and the audit log
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the tables and their key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const attribute = (k: KeyAttribute): dynamodb.Attribute => ({
  name: k.name,
  type: k.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

const streamView = {
  NEW_IMAGE: dynamodb.StreamViewType.NEW_IMAGE,
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
} as const;

function indexProps(def: IndexDefinition): dynamodb.GlobalSecondaryIndexProps {
  const keys = {
    indexName: def.indexName,
    partitionKey: attribute(def.partitionKey),
    ...(def.sortKey ? { sortKey: attribute(def.sortKey) } : {}),
  };
  if (def.projection === 'ALL') return { ...keys, projectionType: dynamodb.ProjectionType.ALL };
  if (def.projection === 'KEYS_ONLY') return { ...keys, projectionType: dynamodb.ProjectionType.KEYS_ONLY };
  return {
    ...keys,
    projectionType: dynamodb.ProjectionType.INCLUDE,
    nonKeyAttributes: [...def.projection.include],
  };
}

/**
 * The DynamoDB tables, built from the definitions in shared/resources.ts (the same
 * ones the local platform creates), encrypted with one customer-managed KMS key.
 *
 * `dynamodb.Table` (AWS::DynamoDB::Table) rather than `TableV2`: a single-region
 * table whose template mirrors CreateTable, which the infrastructure tests compare
 * with the local platform's input.
 */
export class DataTables extends Construct {
  /**
   * The platform key: the customer-managed key of every table (SSE-KMS), and in the
   * stack also of the office queues, the pseudonym secret and the log groups. One key
   * instead of three ($1 a month each); each use is fenced by `kms:ViaService` (and, for
   * offices, by the queue's encryption context), CloudWatch Logs only for this
   * account's log groups.
   */
  readonly key: kms.Key;
  readonly #tables = new Map<TableDefinition['id'], dynamodb.Table>();
  readonly #definitions = new Map<TableDefinition['id'], TableDefinition>();

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: `referral-exchange ${props.stage}: tables, office queues, the pseudonym secret, log groups`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LogGroupsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    for (const def of props.definitions ?? tableDefinitions) {
      const table = new dynamodb.Table(this, def.id, {
        tableName: tableName(props.stage, def),
        partitionKey: attribute(def.partitionKey),
        ...(def.sortKey ? { sortKey: attribute(def.sortKey) } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.deletionProtection ?? true,
        removalPolicy,
        ...(def.timeToLiveAttribute ? { timeToLiveAttribute: def.timeToLiveAttribute } : {}),
        ...(def.stream ? { stream: streamView[def.stream] } : {}),
      });
      for (const index of def.globalSecondaryIndexes) table.addGlobalSecondaryIndex(indexProps(index));
      this.#tables.set(def.id, table);
      this.#definitions.set(def.id, def);
    }
  }

  /** The table deployed for a definition id. */
  table(id: TableDefinition['id']): dynamodb.Table {
    const table = this.#tables.get(id);
    if (!table) throw new Error(`No table ${id} in this stack.`);
    return table;
  }

  /** Every table, in definition order. */
  all(): dynamodb.Table[] {
    return [...this.#tables.values()];
  }

  /**
   * Exactly the access a function's definition lists (`tableAccessOf` in
   * functions/definitions.ts): its actions on the table, Query on each named index (by
   * ARN, no index wildcard), the stream, and the table key's use that follows —
   * kms:Decrypt to read, kms:GenerateDataKey to write, each only through DynamoDB
   * (`kms:ViaService`). Write actions limited to `writeKeyPatterns` get a
   * `dynamodb:LeadingKeys` condition of their own. No wildcard action is ever granted.
   */
  grantAccess(grantee: iam.IGrantable, id: TableDefinition['id'], access: TableAccess): iam.Grant {
    const table = this.table(id);
    const definition = this.#definitions.get(id)!;
    let grant = iam.Grant.drop(grantee, `access table ${id}`);
    const add = (
      actions: string[],
      resourceArns: string[],
      conditions?: Record<string, Record<string, unknown>>,
    ) => {
      if (actions.length > 0 && resourceArns.length > 0) {
        grant = grant.combine(
          iam.Grant.addToPrincipal({ grantee, actions, resourceArns, ...(conditions ? { conditions } : {}) }),
        );
      }
    };
    const patterns = access.writeKeyPatterns;
    const limited = patterns ? access.actions.filter((a) => WRITE_ACTIONS.has(a)) : [];
    add(
      access.actions.filter((a) => !limited.includes(a)),
      [table.tableArn],
    );
    // ForAllValues: every partition key the request touches must match. PutItem,
    // UpdateItem and DeleteItem always name their key, so the set is never empty.
    add(limited, [table.tableArn], {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...(patterns ?? [])] },
    });
    const indexes = access.queryIndexes ?? [];
    for (const name of indexes) {
      if (!definition.globalSecondaryIndexes.some((gsi) => gsi.indexName === name)) {
        throw new Error(`Table ${id} has no index ${name}.`);
      }
    }
    add(
      ['dynamodb:Query'],
      indexes.map((name) => `${table.tableArn}/index/${name}`),
    );
    if (access.stream) {
      if (!table.tableStreamArn) throw new Error(`Table ${id} has no stream.`);
      add(
        ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        [table.tableStreamArn],
      );
      // Lambda's stream poller lists the table's streams; ListStreams takes no resource.
      add(['dynamodb:ListStreams'], ['*']);
    }
    const reads =
      access.actions.some((a) => READ_ACTIONS.has(a)) || indexes.length > 0 || access.stream === true;
    const writes = access.actions.some((a) => WRITE_ACTIONS.has(a));
    add(
      [...(reads || writes ? ['kms:Decrypt'] : []), ...(writes ? ['kms:GenerateDataKey'] : [])],
      [this.key.keyArn],
      { StringEquals: { 'kms:ViaService': viaService('dynamodb', Stack.of(this)) } },
    );
    return grant;
  }
}

/** The `kms:ViaService` value of an AWS service in the stack's region. */
export function viaService(service: string, stack: Stack): string {
  return `${service}.${stack.region}.${stack.urlSuffix}`;
}
