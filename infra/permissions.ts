import type { TableDefinition } from '#shared/resources.ts';

/**
 * The words in which a function definition (functions/definitions.ts) says what it may
 * do, beyond writing its own log group and sending X-Ray traces (ProjectFunction).
 * Derived from the code each handler runs: the DynamoDB calls of shared/adapters
 * (TransactWriteItems is authorised per item as PutItem / UpdateItem / DeleteItem /
 * ConditionCheckItem, so those are listed instead of a transaction action), the secret,
 * the checkpoint key and the queues it uses.
 *
 * test/infra/permissions.test.ts compares each function role in the template with its
 * definition. Key use (KMS) follows from the declaration: reading a table or its stream
 * needs kms:Decrypt on the table key, writing also kms:GenerateDataKey, both only
 * through DynamoDB (`kms:ViaService`); nothing encrypts with the key directly, so
 * kms:Encrypt is never granted.
 */

/** DynamoDB actions on a table's items. Scan and BatchWriteItem are never granted. */
export type ItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:DescribeTable';

export const READ_ACTIONS: ReadonlySet<ItemAction> = new Set([
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
]);
export const WRITE_ACTIONS: ReadonlySet<ItemAction> = new Set([
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
]);

/** What a function declares it does with a table. */
export interface DeclaredTableAccess {
  /** Actions on the table and its items (resource: the table ARN). */
  readonly actions: readonly ItemAction[];
  /** Indexes the function queries: dynamodb:Query on each index ARN, by name. */
  readonly queryIndexes?: readonly string[];
  /**
   * The partition keys (IAM `StringLike` patterns) the write actions may touch, enforced
   * by a `dynamodb:LeadingKeys` condition: an audit writer other than the sequencer may
   * write only drafts (`ENTRY#*`), never the chain head or a checkpoint.
   * @default any item of the table
   */
  readonly writeKeyPatterns?: readonly string[];
}

/**
 * What a function is granted on a table: its declaration, and the stream when the
 * function's trigger is that table's stream (`tableAccessOf` in functions/definitions.ts).
 */
export interface TableAccess extends DeclaredTableAccess {
  /** Reads the table's stream (an event source mapping feeds the function). */
  readonly stream?: boolean;
}

export type CheckpointKeyAction = 'kms:Sign' | 'kms:GetPublicKey';

export interface FunctionPermissions {
  /** Access to the tables of shared/resources.ts, by definition id. */
  readonly tables?: Partial<Record<TableDefinition['id'], DeclaredTableAccess>>;
  /**
   * Reads the pseudonym secret (subject ids, request fingerprints) once per cold start;
   * the function is told where it is by REX_PSEUDONYM_SECRET_PARAMETER.
   */
  readonly pseudonymSecret?: boolean;
  /** Uses the audit checkpoint signing key; its id is passed as REX_CHECKPOINT_KMS_KEY_ID. */
  readonly checkpointKey?: readonly CheckpointKeyAction[];
  /** Sends notifications to every service office's queue (never to a dead-letter queue). */
  readonly sendToOfficeQueues?: boolean;
  /** Sends events to every authority's event queue (never to a dead-letter queue). */
  readonly sendToAuthorityQueues?: boolean;
  /**
   * Sends e-mail with Amazon SES: ses:SendEmail on the deployment's identity only, from
   * its sender only (`deployment.notifications` in the directory; nothing without it). The
   * function is told the office page's URL by REX_OFFICE_PAGE_URL.
   */
  readonly sendNotifications?: boolean;
  /** Reads the attributes (no messages) of the first office's queue: the health probe. */
  readonly probeOfficeQueue?: boolean;
}
