import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  QueryCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { indexKeys, recordKeys } from '#shared/adapters/records/keys.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { ConsentRecord } from '#shared/domain/consent/record.ts';
import { type OfficeKeySet, OfficeKeySetSchema } from '#shared/domain/crypto/key-set.ts';
import { Conflict, DependencyUnavailable } from '#shared/domain/errors.ts';
import { type Deadline, dueBucket } from '#shared/domain/referral/deadlines.ts';
import type { ReferralStatus } from '#shared/schemas/referral.ts';
import { putAuditDraft } from './audit-drafts.ts';
import { documentClient } from './aws-clients.ts';
import { commit, commitCreating, type IdempotencyRecord, type TransactItem } from './transactions.ts';

export interface StoreTables {
  readonly recordsTable: string;
  readonly auditTable: string;
}

export interface HistoryEntry {
  readonly status: ReferralStatus;
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
  /** On a decline with forwarding: the new referral's id. */
  readonly forwardedTo?: string;
}

/** A referral as stored: metadata and ciphertext, no personal data in plaintext. */
export interface ReferralRecord {
  readonly referralId: string;
  readonly status: ReferralStatus;
  readonly subjectId: string;
  readonly consentId: string;
  readonly authorityId: string;
  readonly serviceOfficeId: string;
  readonly serviceType: string;
  readonly providerId: string;
  readonly purpose: string;
  readonly dataCategories: readonly string[];
  readonly caseReference: string;
  readonly createdAt: string;
  readonly receivedAt?: string;
  readonly history: readonly HistoryEntry[];
  readonly reAnnouncements: number;
  /** Compact JWE; removed when its deadline passes or the referral is revoked. */
  readonly ciphertext?: string;
  readonly kid?: string;
  readonly version: number;
  /** Made by forwarding: the declined referral and its office. */
  readonly forwardedFrom?: string;
  readonly forwardedFromOfficeId?: string;
  /** Declined and forwarded: the new referral and its office. */
  readonly forwardedTo?: string;
  readonly forwardedToOfficeId?: string;
}

export interface OfficeState {
  readonly keySet?: OfficeKeySet;
  readonly openReferrals: number;
}

export interface IntakeSnapshot {
  readonly consent?: ConsentRecord;
  readonly idempotency?: IdempotencyRecord;
  readonly openReferralId?: string;
  readonly offices: ReadonlyMap<string, OfficeState>;
}

const STRIP = new Set([
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi3pk',
  'gsi3sk',
  'dueKind',
  'dueStep',
  'expiresAt',
]);

function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k)));
}

export function referralFromItem(item: Record<string, unknown>): ReferralRecord {
  return withoutKeys(item) as unknown as ReferralRecord;
}

/** The index and deadline attributes of a referral in a given state. */
export function referralIndexAttributes(
  r: Pick<ReferralRecord, 'subjectId' | 'createdAt' | 'referralId' | 'serviceOfficeId' | 'status'>,
  due: Deadline | undefined,
) {
  return {
    ...indexKeys.subject(r.subjectId, `REFERRAL#${r.createdAt}#${r.referralId}`),
    ...(due
      ? {
          ...indexKeys.due(dueBucket(due.at), `${due.at.toISOString()}#${r.referralId}`),
          dueKind: due.kind,
          dueStep: due.step ?? 0,
        }
      : {}),
  };
}

/**
 * Key sets as stored were validated when they were published; parsing one again checks
 * every key with the crypto library (tens of microseconds per key, for every candidate
 * office on every intake). So each (office, version) is parsed once per process.
 */
const keySets = new Map<string, OfficeKeySet>();
function parsedKeySet(officeId: string, version: unknown, raw: unknown): OfficeKeySet {
  const key = `${officeId}#${String(version)}`;
  let set = keySets.get(key);
  if (!set || typeof version !== 'number') {
    set = OfficeKeySetSchema.parse(raw);
    if (typeof version === 'number') {
      if (keySets.size > 10_000) keySets.clear();
      keySets.set(key, set);
    }
  }
  return set;
}

/**
 * DynamoDB access of referral intake, delivery and lifecycle. Each method is one
 * request to DynamoDB, so the intake path is exactly two: `intakeSnapshot` (one
 * BatchGetItem) and `accept` / `refuse` (one TransactWriteItems).
 */
export class ReferralStore {
  constructor(private readonly tables: StoreTables) {}

  async intakeSnapshot(q: {
    consentId: string;
    principal: string;
    idempotencyKey: string;
    subjectId: string;
    officeIds: readonly string[];
  }): Promise<IntakeSnapshot> {
    const keys: { pk: string; sk: string }[] = [
      recordKeys.consent(q.consentId),
      recordKeys.idempotency(q.principal, q.idempotencyKey),
      recordKeys.openReferral(q.subjectId),
      ...q.officeIds.map((id) => recordKeys.officeState(id)),
    ];
    const items: Record<string, unknown>[] = [];
    let request: Record<string, { Keys: { pk: string; sk: string }[]; ConsistentRead: boolean }> | undefined =
      {
        [this.tables.recordsTable]: { Keys: keys, ConsistentRead: true },
      };
    // UnprocessedKeys only under throttling: retried, so the usual path stays one call.
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      const out = await documentClient().send(new BatchGetCommand({ RequestItems: request }));
      items.push(...(out.Responses?.[this.tables.recordsTable] ?? []));
      request = out.UnprocessedKeys as typeof request;
      if (request && Object.keys(request).length > 0)
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
    const find = (k: { pk: string; sk: string }) => items.find((i) => i.pk === k.pk && i.sk === k.sk);
    const consentItem = find(recordKeys.consent(q.consentId));
    const idem = find(recordKeys.idempotency(q.principal, q.idempotencyKey));
    const open = find(recordKeys.openReferral(q.subjectId));
    const offices = new Map<string, OfficeState>();
    for (const id of q.officeIds) {
      const state = find(recordKeys.officeState(id));
      offices.set(id, {
        ...(state?.keySet !== undefined ? { keySet: parsedKeySet(id, state.version, state.keySet) } : {}),
        openReferrals: typeof state?.openReferrals === 'number' ? state.openReferrals : 0,
      });
    }
    return {
      ...(consentItem ? { consent: ConsentRecord.parse(withoutKeys(consentItem)) } : {}),
      ...(idem ? { idempotency: idem as unknown as IdempotencyRecord } : {}),
      ...(open && typeof open.referralId === 'string' ? { openReferralId: open.referralId } : {}),
      offices,
    };
  }

  /** The new referral item itself, never overwriting one. */
  private referralPut(r: ReferralRecord, due: Deadline | undefined): TransactItem {
    return {
      Put: {
        TableName: this.tables.recordsTable,
        Item: { ...recordKeys.referral(r.referralId), ...referralIndexAttributes(r, due), ...r },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /**
   * What every new referral is written with: its outbox item (the relay delivers it), its
   * office's open-referral counter, and the condition that its consent is still not
   * withdrawn — withdrawal stops new transfers at once, also one read a moment before.
   */
  private deliveryItems(r: ReferralRecord, queueName: string): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tables.recordsTable,
          Item: {
            ...recordKeys.outbox(r.referralId, 'notify'),
            referralId: r.referralId,
            event: 'notify',
            queueName,
            createdAt: r.createdAt,
          },
        },
      },
      {
        Update: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.officeState(r.serviceOfficeId),
          UpdateExpression: 'ADD openReferrals :one',
          ExpressionAttributeValues: { ':one': 1 },
        },
      },
      {
        ConditionCheck: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.consent(r.consentId),
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(withdrawnAt)',
        },
      },
    ];
  }

  /** Writes an accepted referral with its outbox item, guard, counter, audit entry and idempotency record. */
  accept(w: {
    referral: ReferralRecord;
    due: Deadline | undefined;
    queueName: string;
    draft: AuditEntryDraft;
    principal: string;
    idempotencyKey: string;
    requestHash: string;
    now: Date;
    response: { status: number; body: unknown };
  }) {
    const r = w.referral;
    const items: TransactItem[] = [
      this.referralPut(r, w.due),
      {
        Put: {
          TableName: this.tables.recordsTable,
          Item: { ...recordKeys.openReferral(r.subjectId), referralId: r.referralId, createdAt: r.createdAt },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...this.deliveryItems(r, w.queueName),
      putAuditDraft(this.tables.auditTable, w.draft),
    ];
    return commitCreating({
      recordsTable: this.tables.recordsTable,
      principal: w.principal,
      idempotencyKey: w.idempotencyKey,
      requestHash: w.requestHash,
      now: w.now,
      items,
      response: w.response,
      onConditionFailed: (failure) => {
        if (failure.index === 1) {
          return new OpenReferralRace(String(failure.item?.referralId ?? ''));
        }
        if (failure.index === 4) return new ConsentWithdrawnRace();
        return undefined;
      },
    });
  }

  /** The consent and the target office's state (keys, load) for forwarding: one BatchGetItem. */
  async forwardSnapshot(q: {
    consentId: string;
    officeId: string;
  }): Promise<{ consent?: ConsentRecord; office: OfficeState }> {
    const keys = [recordKeys.consent(q.consentId), recordKeys.officeState(q.officeId)];
    const out = await documentClient().send(
      new BatchGetCommand({
        RequestItems: { [this.tables.recordsTable]: { Keys: keys, ConsistentRead: true } },
      }),
    );
    const items = out.Responses?.[this.tables.recordsTable] ?? [];
    if (out.UnprocessedKeys && Object.keys(out.UnprocessedKeys).length > 0) {
      throw new DependencyUnavailable('The data store is busy; retry the request.');
    }
    const find = (k: { pk: string; sk: string }) => items.find((i) => i.pk === k.pk && i.sk === k.sk);
    const consentItem = find(keys[0]!);
    const state = find(keys[1]!);
    return {
      ...(consentItem ? { consent: ConsentRecord.parse(withoutKeys(consentItem)) } : {}),
      office: {
        ...(state?.keySet !== undefined ? { keySet: OfficeKeySetSchema.parse(state.keySet) } : {}),
        openReferrals: typeof state?.openReferrals === 'number' ? state.openReferrals : 0,
      },
    };
  }

  /**
   * Declines a referral and forwards it, in one transaction: the old referral becomes
   * declined (history, `forwardedTo`), the subject's open-referral guard moves to the new
   * referral (one conditional Update: a Delete and a Put of the same key cannot share a
   * transaction), the new referral with its ciphertext and outbox item, both offices'
   * counters, a condition that the consent is still not withdrawn, and both audit entries.
   */
  forward(w: {
    from: ReferralRecord;
    declined: HistoryEntry;
    /** The old referral's next deadline as declined (its ciphertext's deletion). */
    declinedDue: Deadline | undefined;
    declinedDraft: AuditEntryDraft;
    referral: ReferralRecord;
    due: Deadline | undefined;
    queueName: string;
    forwardedDraft: AuditEntryDraft;
  }): Promise<void> {
    const old = w.from;
    const r = w.referral;
    const declineItems = this.transitionItems({
      from: old,
      to: 'declined',
      history: w.declined,
      due: w.declinedDue,
      set: { forwardedTo: r.referralId, forwardedToOfficeId: r.serviceOfficeId },
      releaseOpenGuard: false,
      draft: w.declinedDraft,
    });
    const guardIndex = declineItems.length;
    const items: TransactItem[] = [
      ...declineItems,
      {
        Update: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.openReferral(old.subjectId),
          UpdateExpression: 'SET referralId = :new, createdAt = :createdAt',
          ConditionExpression: 'referralId = :old',
          ExpressionAttributeValues: {
            ':new': r.referralId,
            ':old': old.referralId,
            ':createdAt': r.createdAt,
          },
        },
      },
      {
        Update: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.officeState(old.serviceOfficeId),
          UpdateExpression: 'ADD openReferrals :minusOne',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      },
      this.referralPut(r, w.due),
      ...this.deliveryItems(r, w.queueName),
      putAuditDraft(this.tables.auditTable, w.forwardedDraft),
    ];
    const consentIndex = items.length - 2;
    return commit(items, (failure) => {
      if (failure.index === 0) return new StaleReferral();
      if (failure.index === guardIndex) return new OpenReferralGuardMoved();
      if (failure.index === consentIndex) return new ConsentWithdrawnRace();
      return undefined;
    });
  }

  /** Writes the audit entry of a refused request that creates nothing (no idempotency record). */
  recordRefusal(draft: AuditEntryDraft): Promise<void> {
    return commit([putAuditDraft(this.tables.auditTable, draft)]);
  }

  /** Records a refusal: its audit entry and the idempotency record holding the answer. */
  refuse(w: {
    draft: AuditEntryDraft;
    principal: string;
    idempotencyKey: string;
    requestHash: string;
    now: Date;
    response: { status: number; body: unknown };
  }) {
    return commitCreating({
      recordsTable: this.tables.recordsTable,
      principal: w.principal,
      idempotencyKey: w.idempotencyKey,
      requestHash: w.requestHash,
      now: w.now,
      items: [putAuditDraft(this.tables.auditTable, w.draft)],
      response: w.response,
    });
  }

  async get(referralId: string): Promise<ReferralRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.tables.recordsTable,
        Key: recordKeys.referral(referralId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? referralFromItem(out.Item) : undefined;
  }

  /** Whether the consent has been withdrawn (a strongly consistent read of one attribute). */
  async consentWithdrawn(consentId: string): Promise<boolean> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.tables.recordsTable,
        Key: recordKeys.consent(consentId),
        ConsistentRead: true,
        ProjectionExpression: 'withdrawnAt',
      }),
    );
    return out.Item?.withdrawnAt !== undefined;
  }

  /** Referrals of a subject (gsi1), newest first. */
  async bySubject(subjectId: string): Promise<ReferralRecord[]> {
    const out: ReferralRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: this.tables.recordsTable,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `SUBJECT#${subjectId}`, ':prefix': 'REFERRAL#' },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      out.push(...(page.Items ?? []).map(referralFromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  /**
   * Moves a referral from one status to another in one transaction with its side
   * effects. The condition on status and version makes concurrent transitions safe: the
   * loser gets `StaleReferral` and re-reads.
   */
  transition(w: {
    from: ReferralRecord;
    to: ReferralStatus;
    /** Appended to the referral's history; omitted for changes that are not status changes. */
    history?: HistoryEntry;
    due: Deadline | undefined;
    set?: Record<string, unknown>;
    remove?: readonly string[];
    releaseOpenGuard: boolean;
    outbox?: { event: string; queueName: string };
    draft?: AuditEntryDraft;
    extra?: readonly TransactItem[];
  }): Promise<void> {
    return commit(this.transitionItems(w), (failure) =>
      failure.index === 0 ? new StaleReferral() : undefined,
    );
  }

  transitionItems(w: Parameters<ReferralStore['transition']>[0]): TransactItem[] {
    const r = w.from;
    const next = { ...r, status: w.to };
    const index = referralIndexAttributes(next, w.due);
    const set: Record<string, unknown> = { ...index, ...w.set, status: w.to, version: r.version + 1 };
    const names: Record<string, string> = {
      '#history': 'history',
      '#version': 'version',
      '#status': 'status',
    };
    const values: Record<string, unknown> = {
      ':history': [w.history],
      ':expected': r.version,
      ':from': r.status,
    };
    const assignments = ['#history = list_append(#history, :history)'];
    for (const [i, [k, v]] of Object.entries(set).entries()) {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      assignments.push(`#s${i} = :s${i}`);
    }
    const removals = [...(w.remove ?? []), ...(w.due ? [] : ['gsi3pk', 'gsi3sk', 'dueKind', 'dueStep'])];
    removals.forEach((k, i) => {
      names[`#r${i}`] = k;
    });
    const update =
      `SET ${assignments.join(', ')}` +
      (removals.length > 0 ? ` REMOVE ${removals.map((_, i) => `#r${i}`).join(', ')}` : '');
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.referral(r.referralId),
          UpdateExpression: update,
          ConditionExpression: '#version = :expected AND #status = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    ];
    if (w.releaseOpenGuard) {
      items.push(
        {
          Delete: {
            TableName: this.tables.recordsTable,
            Key: recordKeys.openReferral(r.subjectId),
            ConditionExpression: 'attribute_not_exists(pk) OR referralId = :id',
            ExpressionAttributeValues: { ':id': r.referralId },
          },
        },
        {
          Update: {
            TableName: this.tables.recordsTable,
            Key: recordKeys.officeState(r.serviceOfficeId),
            UpdateExpression: 'ADD openReferrals :minusOne',
            ExpressionAttributeValues: { ':minusOne': -1 },
          },
        },
      );
    }
    if (w.outbox) {
      items.push({
        Put: {
          TableName: this.tables.recordsTable,
          Item: {
            ...recordKeys.outbox(r.referralId, w.outbox.event),
            referralId: r.referralId,
            event: w.outbox.event,
            queueName: w.outbox.queueName,
            createdAt: w.history?.at ?? new Date().toISOString(),
          },
        },
      });
    }
    if (w.draft) items.push(putAuditDraft(this.tables.auditTable, w.draft));
    items.push(...(w.extra ?? []));
    return items;
  }

  /** Deletes a consumed outbox item. */
  outboxDone(referralId: string, event: string): TransactItem {
    return { Delete: { TableName: this.tables.recordsTable, Key: recordKeys.outbox(referralId, event) } };
  }

  /** Removes a consumed outbox item (idempotent). */
  async removeOutbox(referralId: string, event: string): Promise<void> {
    await documentClient().send(
      new DeleteCommand({ TableName: this.tables.recordsTable, Key: recordKeys.outbox(referralId, event) }),
    );
  }

  /** Referrals whose next deadline falls on one UTC day, due up to `until`. */
  async dueOn(day: string, until: Date): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: this.tables.recordsTable,
          IndexName: 'gsi3',
          KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk <= :until',
          ExpressionAttributeValues: { ':pk': `DUE#${day}`, ':until': `${until.toISOString()}#~` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.pk === 'string' && item.pk.startsWith('REFERRAL#'))
          ids.push(item.pk.slice('REFERRAL#'.length));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }
}

/** Another request opened a referral for the same subject between read and write. */
export class OpenReferralRace extends Error {
  constructor(readonly existingReferralId: string) {
    super('open referral exists');
    this.name = 'OpenReferralRace';
  }
}
/** The consent was withdrawn between read and write. */
export class ConsentWithdrawnRace extends Error {
  override name = 'ConsentWithdrawnRace';
}
/** The subject's open-referral guard no longer names the referral being forwarded. */
export class OpenReferralGuardMoved extends Conflict {
  override readonly code = 'open-referral-moved';
  constructor() {
    super("The person's open referral is no longer this one; read the referral again.");
  }
}
/** The referral changed since it was read. */
export class StaleReferral extends Conflict {
  override readonly code = 'stale-referral';
  constructor() {
    super('The referral changed meanwhile; read it again.');
  }
}

export type { TransactWriteCommandInput };
