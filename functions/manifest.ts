import * as audit from '#shared/api/audit.ts';
import * as consents from '#shared/api/consents.ts';
import * as dpoPage from '#shared/api/dpo-page.ts';
import { operations } from '#shared/api/index.ts';
import * as keys from '#shared/api/keys.ts';
import * as referrals from '#shared/api/referrals.ts';
import * as routing from '#shared/api/routing.ts';
import * as system from '#shared/api/system.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import type { TableDefinition } from '#shared/resources.ts';

/**
 * The deployed functions, one per concern. CDK creates a Lambda per entry and wires
 * its triggers; the local platform imports the same modules and drives them with the
 * same events. Adding a function here is all either side needs.
 */
export type FunctionDefinition =
  | {
      readonly kind: 'http';
      readonly id: string;
      readonly entry: string;
      readonly description: string;
      readonly operations: readonly OperationSpec[];
    }
  | {
      readonly kind: 'stream';
      readonly id: string;
      readonly entry: string;
      readonly description: string;
      readonly table: TableDefinition['id'];
      readonly batchSize: number;
    }
  | {
      readonly kind: 'schedule';
      readonly id: string;
      readonly entry: string;
      readonly description: string;
      readonly everyMinutes: number;
      /** The interval on the local platform, where waiting minutes helps nobody; default everyMinutes. */
      readonly localEveryMs?: number;
    };

export const functionDefinitions: readonly FunctionDefinition[] = [
  {
    kind: 'http',
    id: 'AuditApiFunction',
    entry: 'functions/audit-api.ts',
    description: 'The data-protection officer: audit queries, export feed, access reports, checkpoints',
    operations: Object.values(audit),
  },
  {
    kind: 'http',
    id: 'DpoPageFunction',
    entry: 'functions/dpo-page.ts',
    description: "The data-protection officer's web page: static files from web/dpo (REX_WEB_DIR)",
    operations: Object.values(dpoPage),
  },
  {
    kind: 'schedule',
    id: 'AuditSequencerFunction',
    entry: 'functions/audit-sequencer.ts',
    description: 'Chains pending audit drafts into the log and signs checkpoints (reserved concurrency 1)',
    everyMinutes: 1,
    localEveryMs: 2_000,
  },
  {
    kind: 'http',
    id: 'SystemFunction',
    entry: 'functions/system.ts',
    description: 'Health, the OpenAPI document and the caller identity',
    operations: Object.values(system),
  },
  {
    kind: 'http',
    id: 'OfficeKeysFunction',
    entry: 'functions/office-keys.ts',
    description: 'Publication and retirement of service office keys, and the public JWKS',
    operations: Object.values(keys),
  },
  {
    kind: 'http',
    id: 'ConsentsFunction',
    entry: 'functions/consents.ts',
    description: 'The consent registry: record, read and withdraw consents',
    operations: Object.values(consents),
  },
  {
    kind: 'http',
    id: 'RoutingPreviewFunction',
    entry: 'functions/routing-preview.ts',
    description: 'Which service office would lead for given facts; stores nothing',
    operations: Object.values(routing),
  },
  {
    kind: 'http',
    id: 'ReferralsFunction',
    entry: 'functions/referrals.ts',
    description: 'Referral intake (consent check, routing, encryption) and referral status',
    operations: [referrals.submitReferral, referrals.getReferral],
  },
  {
    kind: 'http',
    id: 'ServiceReferralsFunction',
    entry: 'functions/service-referrals.ts',
    description: "A service office's receipt before decryption and its status reports",
    operations: [referrals.acknowledgeReceipt, referrals.reportReferralStatus],
  },
  {
    kind: 'stream',
    id: 'OutboxRelayFunction',
    entry: 'functions/outbox-relay.ts',
    description: 'Delivers outbox items to service office queues; revokes referrals of withdrawn consents',
    table: 'Records',
    batchSize: 100,
  },
  {
    kind: 'schedule',
    id: 'ReferralDeadlinesFunction',
    entry: 'functions/referral-deadlines.ts',
    description: 'Re-announces unreceived referrals, expires them, deletes ciphertexts when their time is up',
    everyMinutes: 15,
    localEveryMs: 30_000,
  },
];

/** Every operation must be served by exactly one function. */
export function assertEveryOperationServed(defs = functionDefinitions): void {
  const served = new Map<string, string>();
  for (const def of defs) {
    if (def.kind !== 'http') continue;
    for (const op of def.operations) {
      const previous = served.get(op.operationId);
      if (previous) throw new Error(`Operation ${op.operationId} is served by ${previous} and ${def.id}.`);
      served.set(op.operationId, def.id);
    }
  }
  for (const op of operations) {
    if (!served.has(op.operationId)) throw new Error(`Operation ${op.operationId} is served by no function.`);
  }
}
