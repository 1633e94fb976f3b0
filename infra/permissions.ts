import type { TableDefinition } from '#shared/resources.ts';

/**
 * What each deployed function may do, beyond writing its own log group and sending
 * X-Ray traces (ProjectFunction). Derived from the code each handler runs: the
 * DynamoDB calls of shared/adapters (TransactWriteItems is authorised per item as
 * PutItem / UpdateItem / DeleteItem / ConditionCheckItem, so those are listed instead
 * of a transaction action), the secret, the checkpoint key and the queues it uses.
 *
 * Every function of functions/manifest.ts must have an entry: the stack refuses to
 * synthesise a function without one, and test/infra/permissions.test.ts compares each
 * function role in the template with its entry. Key use (KMS) follows from the entry:
 * reading a table or its stream needs kms:Decrypt on the table key, writing also
 * kms:Encrypt and kms:GenerateDataKey, all restricted to calls made through DynamoDB.
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

export interface TableAccess {
  /** Actions on the table and its items (resource: the table ARN). */
  readonly actions: readonly ItemAction[];
  /** Indexes the function queries: dynamodb:Query on each index ARN, by name. */
  readonly queryIndexes?: readonly string[];
  /** Reads the table's stream (an event source mapping feeds the function). */
  readonly stream?: boolean;
}

export type CheckpointKeyAction = 'kms:Sign' | 'kms:GetPublicKey';

export interface FunctionPermissions {
  /** Access to the tables of shared/resources.ts, by definition id. */
  readonly tables?: Partial<Record<TableDefinition['id'], TableAccess>>;
  /** Reads the pseudonym secret (subject ids, request fingerprints) once per cold start. */
  readonly pseudonymSecret?: boolean;
  /** Uses the audit checkpoint signing key; its id is passed as REX_CHECKPOINT_KMS_KEY_ID. */
  readonly checkpointKey?: readonly CheckpointKeyAction[];
  /** Sends notifications to every service office's queue (never to a dead-letter queue). */
  readonly sendToOfficeQueues?: boolean;
  /** Reads the attributes (no messages) of the first office's queue: the health probe. */
  readonly probeOfficeQueue?: boolean;
}

/** The audit entry draft that every state change writes in its transaction. */
const auditDraftWriter: TableAccess = { actions: ['dynamodb:PutItem'] };

export const functionPermissions: Readonly<Record<string, FunctionPermissions>> = {
  // GET /health: DescribeTable on both tables and GetQueueAttributes on one queue.
  SystemFunction: {
    tables: {
      Records: { actions: ['dynamodb:DescribeTable'] },
      Audit: { actions: ['dynamodb:DescribeTable'] },
    },
    probeOfficeQueue: true,
  },
  // Routes the given facts with the bundled directory; stores and reads nothing.
  RoutingPreviewFunction: {},
  // Serves the static files of its own bundle.
  DpoPageFunction: {},
  // getOfficeState (GetItem), saveKeySet (transaction: Update of the office state + audit draft).
  OfficeKeysFunction: {
    tables: {
      Records: { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
      Audit: auditDraftWriter,
    },
  },
  // DynamoConsentStore: get (GetItem), create (Put consent + idempotency record),
  // withdraw (Update), serviceHoldsReferralUnder (Query on gsi1); subject ids need the secret.
  ConsentsFunction: {
    tables: {
      Records: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        queryIndexes: ['gsi1'],
      },
      Audit: auditDraftWriter,
    },
    pseudonymSecret: true,
  },
  // ReferralStore: intakeSnapshot (BatchGetItem), accept (Put referral, guard, outbox,
  // idempotency; Update office counter; ConditionCheck consent), refuse (Put), get (GetItem).
  ReferralsFunction: {
    tables: {
      Records: {
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
        ],
      },
      Audit: auditDraftWriter,
    },
    pseudonymSecret: true,
  },
  // service-side: get (GetItem), the consent's withdrawnAt (BatchGetItem), transition
  // (Update referral and counter, Delete the open guard, Put a revocation outbox item);
  // forwarding also Puts the new referral and its outbox item, ConditionChecks the consent
  // and needs the secret to recompute the subject id of the re-submitted person.
  ServiceReferralsFunction: {
    tables: {
      Records: {
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:ConditionCheckItem',
        ],
      },
      Audit: auditDraftWriter,
    },
    pseudonymSecret: true,
  },
  // The records stream; delivery reads referral and consent, sends, then marks queued and
  // removes the outbox item; revocation queries a subject's referrals (gsi1).
  OutboxRelayFunction: {
    tables: {
      Records: {
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        queryIndexes: ['gsi1'],
        stream: true,
      },
      Audit: auditDraftWriter,
    },
    sendToOfficeQueues: true,
  },
  // dueOn (Query on gsi3), get (GetItem), transition (Update, Delete guard, Put outbox).
  ReferralDeadlinesFunction: {
    tables: {
      Records: {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        queryIndexes: ['gsi3'],
      },
      Audit: auditDraftWriter,
    },
  },
  // readHead (GetItem), pendingDraftIds (Query on pending), loadPendingDrafts
  // (BatchGetItem), appendBatch (transaction: Update entries + Put head), latestCheckpoint
  // (Query on the table), putCheckpoint (PutItem); signs checkpoints.
  AuditSequencerFunction: {
    tables: {
      Audit: {
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        queryIndexes: ['pending'],
      },
    },
    checkpointKey: ['kms:Sign', 'kms:GetPublicKey'],
  },
  // DPO queries on the indexes and the sequence buckets, the head (GetItem), checkpoints
  // (Query on the table), report and export drafts and export records (Put); the export's
  // idempotency record goes to the records table. The subject lookup needs the secret,
  // the verifier key the checkpoint key's public half.
  AuditApiFunction: {
    tables: {
      Audit: {
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
        queryIndexes: ['bySubject', 'byOffice', 'byAuthority', 'byEvent', 'bySequence'],
      },
      Records: { actions: ['dynamodb:PutItem'] },
    },
    pseudonymSecret: true,
    checkpointKey: ['kms:GetPublicKey'],
  },
};

/** The entry of a function; a function without one is a mistake that stops synthesis. */
export function permissionsOf(
  functionId: string,
  map: Readonly<Record<string, FunctionPermissions>> = functionPermissions,
): FunctionPermissions {
  const entry = map[functionId];
  if (!entry) {
    throw new Error(
      `Function ${functionId} has no entry in infra/permissions.ts: list what it may access (an empty entry for nothing).`,
    );
  }
  return entry;
}
