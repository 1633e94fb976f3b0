import { type FunctionLimits, functionDefaults, LAMBDA_MAX_TIMEOUT_SECONDS } from '#infra/limits.ts';
import type { FunctionPermissions, TableAccess } from '#infra/permissions.ts';
import { AUDIT_DRAFT_KEY_PREFIX, AUDIT_EXPORT_KEY_PREFIX } from '#shared/adapters/audit-drafts.ts';
import * as audit from '#shared/api/audit.ts';
import * as consents from '#shared/api/consents.ts';
import * as directory from '#shared/api/directory.ts';
import * as erasure from '#shared/api/erasure.ts';
import { operations } from '#shared/api/index.ts';
import * as keys from '#shared/api/keys.ts';
import * as referrals from '#shared/api/referrals.ts';
import * as routing from '#shared/api/routing.ts';
import * as system from '#shared/api/system.ts';
import { WEB_PAGES } from '#shared/api/web-pages.ts';
import { SIGN_IN_ENVIRONMENT } from '#shared/function-environment.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { type TableDefinition, tables } from '#shared/resources.ts';

/**
 * The deployed functions, one definition each: its handler module, what triggers it,
 * its limits, what it may access and (following from that) its environment. CDK
 * creates a Lambda per definition with exactly these (infra/constructs/functions.ts);
 * the local platform imports the same handler modules and drives the same triggers;
 * the tests read the same definitions. Adding a function here is all either side needs.
 */
interface CommonDefinition {
  /** The handler module, relative to the project root (a file in functions/ exporting `handler`). */
  readonly entry: string;
  readonly description: string;
  /** @default functionDefaults (infra/limits.ts) */
  readonly limits?: FunctionLimits;
  /** Everything the function may do beyond its logs and traces; `{}` for nothing. */
  readonly permissions: FunctionPermissions;
  /**
   * A folder of the repository copied into the bundle, and the environment variable
   * that tells the function where it lies (`/var/task/<target>`).
   */
  readonly bundledFolder?: {
    readonly source: string;
    readonly target: string;
    readonly envVar: string;
    /** Run in the project root before the copy; produces the folder (e.g. the web build). */
    readonly buildCommand?: string;
  };
  /**
   * The function tells browsers how people sign in: the OpenID provider's issuer and
   * the web client id (`SIGN_IN_ENVIRONMENT`), e.g. a page's `config.json`.
   */
  readonly signInClient?: boolean;
}

/** Invoked by API Gateway (the local gateway) for its operations. */
export interface HttpTrigger {
  readonly kind: 'http';
  readonly operations: readonly OperationSpec[];
}

/** Invoked with batches of a table's stream (the local stream poller). */
export interface StreamTrigger {
  readonly kind: 'stream';
  /** The table whose stream feeds the function; the stream read is granted with the mapping. */
  readonly table: TableDefinition['id'];
  readonly batchSize: number;
  /**
   * Lambda event filter patterns: only matching records invoke the function in AWS (the
   * local stream poller hands it every record; the handler ignores the others).
   * @default every record
   */
  readonly filterPatterns?: readonly Record<string, unknown>[];
}

/** Invoked by an EventBridge rate schedule (the local scheduler). */
export interface ScheduleTrigger {
  readonly kind: 'schedule';
  readonly everyMinutes: number;
  /** The interval on the local platform, where waiting minutes helps nobody; default everyMinutes. */
  readonly localEveryMs?: number;
}

/** A definition without its id: the id is its key in the table below. */
export type FunctionSpec = CommonDefinition & (HttpTrigger | StreamTrigger | ScheduleTrigger);

/** A function's definition; `id` is its construct id and its name in logs, alarms and bundles. */
export type FunctionDefinition<Id extends string = FunctionId> = FunctionSpec & { readonly id: Id };

/**
 * The audit entry draft that every state change writes in its transaction: PutItem on
 * draft items only (`dynamodb:LeadingKeys`); the chain head and the checkpoints are the
 * sequencer's alone.
 */
const auditDraftWriter = {
  actions: ['dynamodb:PutItem'],
  writeKeyPatterns: [`${AUDIT_DRAFT_KEY_PREFIX}*`],
} as const;

/**
 * What changing a referral takes (the referral repository's `apply` and `forward`): read
 * it and its consent, then one transaction that updates it, moves or deletes the subject's
 * open-referral guard, counts at the office and puts or deletes outbox items.
 */
const referralChanges = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/**
 * The functions, by id, in the order the stack creates them.
 *
 * - The audit sequencer runs every minute and must be the only writer of the chain
 *   head: one instance at most, and done (5 s before its timeout, see
 *   functions/audit-sequencer.ts) before the next run is due.
 * - The outbox relay handles up to a batch of stream records in order, each a few
 *   DynamoDB calls and one SQS send.
 * - The deadline job walks up to 31 days of deadline buckets every 15 minutes.
 */
const specs = {
  AuditApiFunction: {
    kind: 'http',
    entry: 'functions/audit-api.ts',
    description: 'The data-protection officer: audit queries, export feed, access reports, checkpoints',
    operations: Object.values(audit),
    // DPO queries on the indexes and the sequence buckets, the head (GetItem), checkpoints
    // (Query on the table), report and export drafts and export records (Put); the export's
    // idempotency record goes to the records table. The subject lookup needs the secret,
    // the verifier key the checkpoint key's public half.
    permissions: {
      tables: {
        Audit: {
          actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
          queryIndexes: ['bySubject', 'byOffice', 'byAuthority', 'byEvent', 'bySequence'],
          writeKeyPatterns: [`${AUDIT_DRAFT_KEY_PREFIX}*`, `${AUDIT_EXPORT_KEY_PREFIX}*`],
        },
        Records: { actions: ['dynamodb:PutItem'] },
      },
      pseudonymSecret: true,
      checkpointKey: ['kms:GetPublicKey'],
    },
  },
  WebPagesFunction: {
    kind: 'http',
    entry: 'functions/web-pages.ts',
    description: "The people's web pages: static files from the build of web/ (REX_WEB_DIR)",
    operations: Object.values(WEB_PAGES).flatMap((p) => [p.page, p.file]),
    // Serves the static files of its own bundle, and in config.json how people sign in.
    permissions: {},
    signInClient: true,
    bundledFolder: {
      source: '.build/web',
      target: 'web',
      envVar: 'REX_WEB_DIR',
      buildCommand: 'node --import tsx web/build.ts',
    },
  },
  AuditSequencerFunction: {
    kind: 'schedule',
    entry: 'functions/audit-sequencer.ts',
    description: 'Chains pending audit drafts into the log and signs checkpoints (reserved concurrency 1)',
    everyMinutes: 1,
    localEveryMs: 2_000,
    limits: { timeoutSeconds: 55, reservedConcurrency: 1 },
    // readHead (GetItem), pendingDraftIds (Query on pending), loadPendingDrafts
    // (BatchGetItem), appendBatch (transaction: Update entries + Put head), latestCheckpoint
    // (Query on the table), putCheckpoint (PutItem); signs checkpoints.
    permissions: {
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
  },
  SystemFunction: {
    kind: 'http',
    entry: 'functions/system.ts',
    description: 'Health, the OpenAPI document and the caller identity',
    operations: Object.values(system),
    // The OpenAPI document names the OpenID provider of the people's tree.
    signInClient: true,
    // GET /health: DescribeTable on both tables and GetQueueAttributes on one queue.
    permissions: {
      tables: {
        Records: { actions: ['dynamodb:DescribeTable'] },
        Audit: { actions: ['dynamodb:DescribeTable'] },
      },
      probeOfficeQueue: true,
    },
  },
  OfficeKeysFunction: {
    kind: 'http',
    entry: 'functions/office-keys.ts',
    description: 'Publication and retirement of service office keys, and the public JWKS',
    operations: Object.values(keys),
    // getOfficeState (GetItem), saveKeySet (transaction: Update of the office state + audit draft).
    permissions: {
      tables: {
        Records: { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
        Audit: auditDraftWriter,
      },
    },
  },
  ConsentsFunction: {
    kind: 'http',
    entry: 'functions/consents.ts',
    description:
      'The consent registry: record, read and withdraw consents; erasure requests and who confirmed',
    operations: [...Object.values(consents), erasure.requestErasure, erasure.getErasureStatus],
    // DynamoConsentStore: get (GetItem), create (Put consent + idempotency record),
    // withdraw (Update), serviceHoldsReferralUnder (Query on gsi1); subject ids need the secret.
    // An erasure request reads the subject's referrals (gsi1, GetItem) and changes each
    // (transaction: Update referral and counter, Delete the open guard when revoking, Put
    // outbox items).
    permissions: {
      tables: {
        Records: {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          queryIndexes: ['gsi1'],
        },
        Audit: auditDraftWriter,
      },
      pseudonymSecret: true,
    },
  },
  RoutingPreviewFunction: {
    kind: 'http',
    entry: 'functions/routing-preview.ts',
    description:
      "Which service office would lead for given facts, and the directory's public part; stores nothing",
    operations: [...Object.values(routing), ...Object.values(directory)],
    // Routes the given facts with the bundled directory, or answers its public part; stores and reads nothing.
    permissions: {},
  },
  ReferralsFunction: {
    kind: 'http',
    entry: 'functions/referrals.ts',
    description: 'Referral intake (consent check, routing, encryption), referral status and the feed',
    operations: [referrals.submitReferral, referrals.getReferral, referrals.listReferrals],
    // The referral repository: intakeSnapshot (BatchGetItem), create (Put referral, guard,
    // outbox, idempotency; Update office counter; ConditionCheck consent), refuse (Put), get;
    // the feed queries its two indexes (never the table itself).
    permissions: {
      tables: {
        Records: {
          actions: [
            'dynamodb:GetItem',
            'dynamodb:BatchGetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:ConditionCheckItem',
          ],
          queryIndexes: ['authorityFeed', 'officeFeed'],
        },
        Audit: auditDraftWriter,
      },
      pseudonymSecret: true,
    },
  },
  ServiceReferralsFunction: {
    kind: 'http',
    entry: 'functions/service-referrals.ts',
    description:
      "A service office's receipt before decryption, the ciphertext after it, its status reports and erasure confirmations",
    operations: [
      referrals.acknowledgeReceipt,
      referrals.getReferralCiphertext,
      referrals.reportReferralStatus,
      erasure.confirmErasure,
    ],
    // service-side: get (GetItem), the consent's withdrawnAt (GetItem), apply a change
    // (Update referral and counter, Delete the open guard, Put a revocation outbox item);
    // forwarding also Puts the new referral and its outbox item, ConditionChecks the consent
    // and needs the secret to recompute the subject id of the re-submitted person.
    permissions: {
      tables: {
        Records: {
          actions: [...referralChanges, 'dynamodb:ConditionCheckItem'],
        },
        Audit: auditDraftWriter,
      },
      pseudonymSecret: true,
    },
  },
  OutboxRelayFunction: {
    kind: 'stream',
    entry: 'functions/outbox-relay.ts',
    description:
      "Delivers outbox items to service office queues and events to authorities' queues; revokes referrals of withdrawn consents",
    table: 'Records',
    batchSize: 100,
    limits: { timeoutSeconds: 60 },
    // Delivery reads referral and consent, sends, then marks queued and removes the outbox
    // item; revocation queries a subject's referrals (gsi1). The stream comes with the trigger.
    permissions: {
      tables: {
        Records: {
          actions: referralChanges,
          queryIndexes: ['gsi1'],
        },
        Audit: auditDraftWriter,
      },
      sendToOfficeQueues: true,
      sendToAuthorityQueues: true,
    },
  },
  OfficeNotificationsFunction: {
    kind: 'stream',
    entry: 'functions/office-notifications.ts',
    description:
      "Mails the offices' contact addresses that a referral waits, on arrival and on each reminder, without personal data",
    table: 'Records',
    batchSize: 25,
    // Only new mail outbox items (`OUTBOX#<referralId>` / `mail-<version>`) invoke it.
    filterPatterns: [
      {
        eventName: ['INSERT'],
        dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] }, sk: { S: [{ prefix: 'mail-' }] } } },
      },
    ],
    limits: { timeoutSeconds: 60 },
    // deliverNotification: is the outbox item still there (GetItem), the referral's status
    // (GetItem), send, remove the outbox item (DeleteItem, outbox items only).
    permissions: {
      tables: {
        Records: {
          actions: ['dynamodb:GetItem', 'dynamodb:DeleteItem'],
          writeKeyPatterns: ['OUTBOX#*'],
        },
      },
      sendNotifications: true,
    },
  },
  ReferralDeadlinesFunction: {
    kind: 'schedule',
    entry: 'functions/referral-deadlines.ts',
    description:
      'Re-announces unreceived referrals, expires them, deletes ciphertexts when their time is up, reminds offices of unconfirmed erasures; sets the retention of office states',
    everyMinutes: 15,
    localEveryMs: 30_000,
    limits: { timeoutSeconds: 300 },
    // dueOn (Query on gsi3), get (GetItem), transition (Update, Delete guard, Put outbox);
    // the retention of office states: the list (Query on gsi1), mark and unmark (Update).
    permissions: {
      tables: {
        Records: {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          queryIndexes: ['gsi3', 'gsi1'],
        },
        Audit: auditDraftWriter,
      },
    },
  },
} as const satisfies Readonly<Record<string, FunctionSpec>>;

/** The id of a deployed function; a misspelt one does not compile. */
export type FunctionId = keyof typeof specs;

/** Every deployed function, in the order the stack creates them. */
export const functionDefinitions: readonly FunctionDefinition[] = Object.entries(specs).map(
  ([id, spec]): FunctionDefinition => ({ id: id as FunctionId, ...spec }),
);

/** The definition of one function. */
export function functionDefinition(id: FunctionId): FunctionDefinition {
  return functionDefinitions.find((def) => def.id === id)!;
}

/** The limits a function runs with. */
export interface EffectiveLimits {
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  readonly reservedConcurrency?: number;
}

/** The limits a function runs with: its own, else the defaults. */
export function limitsOf(def: FunctionSpec): EffectiveLimits {
  const { timeoutSeconds, memorySizeMb, reservedConcurrency } = def.limits ?? {};
  return {
    timeoutSeconds: timeoutSeconds ?? functionDefaults.timeoutSeconds,
    memorySizeMb: memorySizeMb ?? functionDefaults.memorySizeMb,
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
  };
}

/**
 * What a function is granted on each table: its declared access, plus the stream of
 * the table whose stream triggers it (the trigger is the one place that says so).
 */
export function tableAccessOf(def: FunctionSpec): Partial<Record<TableDefinition['id'], TableAccess>> {
  const out: Partial<Record<TableDefinition['id'], TableAccess>> = { ...def.permissions.tables };
  if (def.kind === 'stream') out[def.table] = { actions: [], ...out[def.table], stream: true };
  return out;
}

/** The deployed values a function's own environment variables point at. */
export interface DeployedLocations {
  /** Parameter Store name of the pseudonym secret. */
  readonly pseudonymSecretParameter: string;
  /** Id of the checkpoint signing key. */
  readonly checkpointKeyId: string;
  /** Where the deployment package lies at run time (`/var/task`). */
  readonly bundleRoot: string;
  /** The issuer of the user pool people sign in with. */
  readonly signInIssuer: string;
  /** The id of the web pages' app client. */
  readonly signInClientId: string;
  /** The managed login's `/logout` (Cognito names no end_session_endpoint). */
  readonly signInLogoutUrl: string;
  /**
   * The office inbox page the notifications link to; absent when the directory configures
   * no notifications (then no function sends mail).
   */
  readonly officePageUrl?: string;
}

/**
 * The variables a function gets beyond the shared ones of `functionEnvironment`
 * (shared/function-environment.ts): each follows from its definition, so that one
 * declaration both grants a resource and tells the function where it is.
 */
export function ownEnvironmentOf(def: FunctionSpec, at: DeployedLocations): Record<string, string> {
  return {
    ...(def.permissions.pseudonymSecret
      ? { REX_PSEUDONYM_SECRET_PARAMETER: at.pseudonymSecretParameter }
      : {}),
    ...(def.permissions.checkpointKey?.length ? { REX_CHECKPOINT_KMS_KEY_ID: at.checkpointKeyId } : {}),
    ...(def.permissions.sendNotifications && at.officePageUrl
      ? { REX_OFFICE_PAGE_URL: at.officePageUrl }
      : {}),
    ...(def.bundledFolder
      ? { [def.bundledFolder.envVar]: `${at.bundleRoot}/${def.bundledFolder.target}` }
      : {}),
    ...(def.signInClient
      ? {
          [SIGN_IN_ENVIRONMENT.issuer]: at.signInIssuer,
          [SIGN_IN_ENVIRONMENT.clientId]: at.signInClientId,
          [SIGN_IN_ENVIRONMENT.logoutUrl]: at.signInLogoutUrl,
        }
      : {}),
  };
}

/**
 * What is wrong with a set of definitions, one sentence each; empty when every
 * definition is complete: unique ids, every operation served by exactly one function,
 * a handler module under functions/, tables and indexes that exist, a stream that the
 * table has, schedules and limits that Lambda and EventBridge accept.
 */
export function definitionProblems(defs: readonly FunctionDefinition<string>[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const served = new Map<string, string>();
  for (const def of defs) {
    if (ids.has(def.id)) problems.push(`${def.id} is defined twice.`);
    ids.add(def.id);
    if (!/^[A-Z][A-Za-z0-9]*Function$/.test(def.id)) {
      problems.push(`${def.id}: a function id is PascalCase and ends in "Function".`);
    }
    if (!/^functions\/[a-z0-9-]+\.ts$/.test(def.entry)) {
      problems.push(`${def.id}: the handler ${def.entry} is not a module of functions/.`);
    }
    for (const [tableId, access] of Object.entries(tableAccessOf(def))) {
      const table = tables.find((t) => t.id === tableId);
      if (!table) {
        problems.push(`${def.id}: there is no table ${tableId}.`);
        continue;
      }
      for (const index of access?.queryIndexes ?? []) {
        if (!table.globalSecondaryIndexes.some((gsi) => gsi.indexName === index)) {
          problems.push(`${def.id}: table ${tableId} has no index ${index}.`);
        }
      }
      if (access?.stream && !table.stream) problems.push(`${def.id}: table ${tableId} has no stream.`);
    }
    const { timeoutSeconds, memorySizeMb, reservedConcurrency } = limitsOf(def);
    if (
      !Number.isInteger(timeoutSeconds) ||
      timeoutSeconds < 1 ||
      timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS
    ) {
      problems.push(`${def.id}: the timeout must be 1 to ${LAMBDA_MAX_TIMEOUT_SECONDS} seconds.`);
    }
    if (!Number.isInteger(memorySizeMb) || memorySizeMb < 128 || memorySizeMb > 10_240) {
      problems.push(`${def.id}: the memory must be 128 to 10240 MB.`);
    }
    if (
      reservedConcurrency !== undefined &&
      (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 1)
    ) {
      problems.push(`${def.id}: a reserved concurrency is a whole number of at least 1.`);
    }
    switch (def.kind) {
      case 'http':
        if (def.operations.length === 0) problems.push(`${def.id} serves no operation.`);
        for (const op of def.operations) {
          const previous = served.get(op.operationId);
          if (previous) problems.push(`Operation ${op.operationId} is served by ${previous} and ${def.id}.`);
          else served.set(op.operationId, def.id);
        }
        break;
      case 'stream':
        if (!Number.isInteger(def.batchSize) || def.batchSize < 1 || def.batchSize > 10_000) {
          problems.push(`${def.id}: the batch size must be 1 to 10000.`);
        }
        break;
      case 'schedule':
        if (!Number.isInteger(def.everyMinutes) || def.everyMinutes < 1) {
          problems.push(`${def.id}: a schedule runs every whole number of minutes, at least 1.`);
        }
        if (def.localEveryMs !== undefined && (!Number.isInteger(def.localEveryMs) || def.localEveryMs < 1)) {
          problems.push(`${def.id}: localEveryMs must be a positive whole number.`);
        }
        break;
    }
  }
  for (const op of operations) {
    if (!served.has(op.operationId)) problems.push(`Operation ${op.operationId} is served by no function.`);
  }
  return problems;
}

/** Throws with every problem of `definitionProblems`; the stack refuses incomplete definitions. */
export function assertDefinitionsComplete(
  defs: readonly FunctionDefinition<string>[] = functionDefinitions,
): void {
  const problems = definitionProblems(defs);
  if (problems.length > 0)
    throw new Error(`The function definitions are incomplete:\n- ${problems.join('\n- ')}`);
}
