import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  type IndexDefinition,
  type KeyAttribute,
  type TableDefinition,
  tables as tableDefinitions,
  tableName,
} from '../../shared/resources.ts';

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
  /** The customer-managed key of every table (SSE-KMS). */
  readonly key: kms.Key;
  readonly #tables = new Map<TableDefinition['id'], dynamodb.Table>();

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: `referral-exchange ${props.stage}: DynamoDB tables`,
      enableKeyRotation: true,
      removalPolicy,
    });
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

  /** Read and write items (and indexes) of the records table, with the key use that needs. */
  grantReadWriteRecords(grantee: iam.IGrantable): iam.Grant {
    return this.table('Records').grantReadWriteData(grantee);
  }

  /** Read and write items (and indexes) of the audit table, with the key use that needs. */
  grantReadWriteAudit(grantee: iam.IGrantable): iam.Grant {
    return this.table('Audit').grantReadWriteData(grantee);
  }

  /** Read a table's stream (for a stream-triggered function), with decryption. */
  grantStreamRead(grantee: iam.IGrantable, id: TableDefinition['id']): iam.Grant {
    return this.table(id).grantStreamRead(grantee);
  }
}
