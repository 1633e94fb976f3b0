import { BatchGetCommand, DeleteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys, recordKeys } from '#shared/adapters/records/keys.ts';
import type {
  FeedPage,
  FeedQuery,
  IdempotentRequest,
  IntakeSnapshot,
  ReferralRepository,
} from '#shared/application/referral-repository.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { ConsentRecord } from '#shared/domain/consent/record.ts';
import { type OfficeKeySet, OfficeKeySetSchema } from '#shared/domain/crypto/key-set.ts';
import { DependencyUnavailable } from '#shared/domain/errors.ts';
import type { IdempotencyRecord, StoredAnswer } from '#shared/domain/idempotency.ts';
import type { OfficeState } from '#shared/domain/referral/admission.ts';
import type { ReferralChange, ReferralCreation } from '#shared/domain/referral/change.ts';
import { type Deadline, dueBucket } from '#shared/domain/referral/deadlines.ts';
import { erasurePending } from '#shared/domain/referral/erasure.ts';
import {
  ConsentWithdrawnRace,
  type OpenReferral,
  OpenReferralGuardMoved,
  OpenReferralRace,
  type Refusal,
  StaleReferral,
} from '#shared/domain/referral/errors.ts';
import type { AuthorityEvent } from '#shared/domain/referral/events.ts';
import { isOpen } from '#shared/domain/referral/lifecycle.ts';
import type { OfficeNotification } from '#shared/domain/referral/notification.ts';
import { type ReferralRecord, updatedAtOf } from '#shared/domain/referral/referral.ts';
import {
  outboxExpiry,
  type RetentionPolicy,
  referralExpiry,
  retentionFromEnvironment,
} from '#shared/domain/retention.ts';
import { putAuditDraft } from './audit-drafts.ts';
import { documentClient } from './aws-clients.ts';
import { queryAll, queryPages } from './paged-query.ts';
import { commit, commitCreating, type TransactItem } from './transactions.ts';

/** The outbox item key of a notification: one per change (the referral's version). */
export function notificationEvent(n: Pick<OfficeNotification, 'notificationId'>): string {
  return `mail-${n.notificationId.slice(n.notificationId.lastIndexOf('_') + 1)}`;
}

export interface StoreTables {
  readonly recordsTable: string;
  readonly auditTable: string;
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
  'dueAt',
  'changedKey',
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
  r: Pick<
    ReferralRecord,
    'subjectId' | 'createdAt' | 'referralId' | 'serviceOfficeId' | 'status' | 'updatedAt' | 'history'
  >,
  due: Deadline | undefined,
) {
  return {
    ...indexKeys.subject(r.subjectId, `REFERRAL#${r.createdAt}#${r.referralId}`),
    ...indexKeys.feed(updatedAtOf(r), r.referralId),
    ...(due
      ? {
          ...indexKeys.due(dueBucket(due.at), `${due.at.toISOString()}#${r.referralId}`),
          dueKind: due.kind,
          dueStep: due.step ?? 0,
          dueAt: due.at.toISOString(),
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

const send = (command: QueryCommand) => documentClient().send(command);

/** How many queries one feed page may take when a status filter leaves few items. */
const FEED_READS = 10;

/** A feed index item as the application sees it: the referral's projected metadata and its next deadline. */
function feedItemOf(item: Record<string, unknown>): FeedPage['items'][number] {
  const { dueKind, dueAt } = item;
  const referral = {
    ...withoutKeys(item),
    history: Array.isArray(item.history) ? item.history : [],
  } as unknown as FeedPage['items'][number]['referral'];
  return {
    referral,
    ...(typeof dueKind === 'string' && typeof dueAt === 'string'
      ? { due: { kind: dueKind as Deadline['kind'], at: dueAt } }
      : {}),
  };
}

function openReferralOf(item: Record<string, unknown>): OpenReferral {
  return {
    referralId: String(item.referralId ?? ''),
    ...(typeof item.authorityId === 'string' ? { authorityId: item.authorityId } : {}),
  };
}

function officeStateOf(officeId: string, item: Record<string, unknown> | undefined): OfficeState {
  return {
    ...(item?.keySet !== undefined ? { keySet: parsedKeySet(officeId, item.version, item.keySet) } : {}),
    openReferrals: typeof item?.openReferrals === 'number' ? item.openReferrals : 0,
  };
}

/** Attributes the history does not cover: what a change sets and what it drops. */
const UNTRACKED = new Set(['history']);

function differences(from: ReferralRecord, to: ReferralRecord) {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
  for (const key of keys) {
    if (UNTRACKED.has(key)) continue;
    const before = (from as unknown as Record<string, unknown>)[key];
    const after = (to as unknown as Record<string, unknown>)[key];
    if (after === undefined) {
      if (before !== undefined) remove.push(key);
    } else if (after !== before) set[key] = after;
  }
  return { set, remove };
}

/**
 * The referral repository on the records table. Each method is one request to DynamoDB,
 * so the intake path is exactly two: `intakeSnapshot` (one BatchGetItem) and `create` /
 * `refuse` (one TransactWriteItems). The office queue an outbox item names comes from
 * `queueNameFor`, an authority's event queue from `authorityQueueNameFor`, so the
 * application never deals with queue names.
 */
export class DynamoReferralRepository implements ReferralRepository {
  constructor(
    private readonly tables: StoreTables,
    private readonly queueNameFor: (officeId: string) => string,
    /** The physical name of an authority's event queue (`authorityQueue` in shared/resources.ts). */
    private readonly authorityQueueNameFor: (authorityId: string) => string,
    /** Expiry of ended referrals and of outbox items (shared/domain/retention.ts). */
    private readonly retention: RetentionPolicy = retentionFromEnvironment(),
  ) {}

  private async batchGet(keys: readonly { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let request: Record<string, { Keys: { pk: string; sk: string }[]; ConsistentRead: boolean }> | undefined =
      { [this.tables.recordsTable]: { Keys: [...keys], ConsistentRead: true } };
    // UnprocessedKeys only under throttling: retried, so the usual path stays one call.
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt >= 5) throw new DependencyUnavailable('The data store is busy; retry the request.');
      const out = await documentClient().send(new BatchGetCommand({ RequestItems: request }));
      items.push(...(out.Responses?.[this.tables.recordsTable] ?? []));
      request = out.UnprocessedKeys as typeof request;
      if (request && Object.keys(request).length > 0)
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
    }
    return items;
  }

  async intakeSnapshot(q: Parameters<ReferralRepository['intakeSnapshot']>[0]): Promise<IntakeSnapshot> {
    const items = await this.batchGet([
      recordKeys.consent(q.consentId),
      recordKeys.idempotency(q.principal, q.idempotencyKey),
      recordKeys.openReferral(q.subjectId),
      ...q.officeIds.map((id) => recordKeys.officeState(id)),
    ]);
    const find = (k: { pk: string; sk: string }) => items.find((i) => i.pk === k.pk && i.sk === k.sk);
    const consentItem = find(recordKeys.consent(q.consentId));
    const idem = find(recordKeys.idempotency(q.principal, q.idempotencyKey));
    const open = find(recordKeys.openReferral(q.subjectId));
    const offices = new Map<string, OfficeState>();
    for (const id of q.officeIds) offices.set(id, officeStateOf(id, find(recordKeys.officeState(id))));
    return {
      ...(consentItem ? { consent: ConsentRecord.parse(withoutKeys(consentItem)) } : {}),
      ...(idem ? { idempotency: idem as unknown as IdempotencyRecord } : {}),
      ...(open && typeof open.referralId === 'string' ? { openReferral: openReferralOf(open) } : {}),
      offices,
    };
  }

  async forwardSnapshot(q: { consentId: string; officeId: string }) {
    const consentKey = recordKeys.consent(q.consentId);
    const officeKey = recordKeys.officeState(q.officeId);
    const items = await this.batchGet([consentKey, officeKey]);
    const find = (k: { pk: string; sk: string }) => items.find((i) => i.pk === k.pk && i.sk === k.sk);
    const consentItem = find(consentKey);
    return {
      ...(consentItem ? { consent: ConsentRecord.parse(withoutKeys(consentItem)) } : {}),
      office: officeStateOf(q.officeId, find(officeKey)),
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

  private outboxPut(r: ReferralRecord, event: string, at: string): TransactItem {
    return {
      Put: {
        TableName: this.tables.recordsTable,
        Item: {
          ...recordKeys.outbox(r.referralId, event),
          referralId: r.referralId,
          event,
          queueName: this.queueNameFor(r.serviceOfficeId),
          createdAt: at,
          expiresAt: outboxExpiry(at, this.retention),
        },
      },
    };
  }

  /**
   * An event for the authority's queue, written with the change it reports: the relay
   * sends the stored event as it is (`event-<version>` is unique per change).
   */
  private eventPut(event: AuthorityEvent): TransactItem {
    const version = event.eventId.slice(event.eventId.lastIndexOf('_') + 1);
    return {
      Put: {
        TableName: this.tables.recordsTable,
        Item: {
          ...recordKeys.outbox(event.referralId, `event-${version}`),
          referralId: event.referralId,
          event: `event-${version}`,
          queueName: this.authorityQueueNameFor(event.authorityId),
          message: event,
          createdAt: event.at,
          expiresAt: outboxExpiry(event.at, this.retention),
        },
      },
    };
  }

  /**
   * A mail to the office's contact address, written with the change that calls for it
   * (`mail-<version>`, unique per change); the office notifier sends it. The item holds
   * ids and times only: the address is read from the directory when the mail is sent.
   */
  private notificationPut(n: OfficeNotification): TransactItem {
    const event = notificationEvent(n);
    return {
      Put: {
        TableName: this.tables.recordsTable,
        Item: {
          ...recordKeys.outbox(n.referralId, event),
          referralId: n.referralId,
          event,
          notification: n,
          createdAt: n.at,
          expiresAt: outboxExpiry(n.at, this.retention),
        },
      },
    };
  }

  private officeCounter(officeId: string, delta: 1 | -1): TransactItem {
    return {
      Update: {
        TableName: this.tables.recordsTable,
        Key: recordKeys.officeState(officeId),
        // Any change to an office's state keeps it (the retention job marks it again if the office is gone).
        UpdateExpression: 'SET gsi1pk = :list, gsi1sk = :entry REMOVE expiresAt ADD openReferrals :delta',
        ExpressionAttributeValues: {
          ':delta': delta,
          ':list': indexKeys.officeState(officeId).gsi1pk,
          ':entry': indexKeys.officeState(officeId).gsi1sk,
        },
      },
    };
  }

  /**
   * What every new referral is written with: its outbox item (the relay delivers it), its
   * office's open-referral counter, and the condition that its consent is still not
   * withdrawn — withdrawal stops new transfers at once, also one read a moment before.
   */
  private deliveryItems(r: ReferralRecord): TransactItem[] {
    return [
      this.outboxPut(r, 'notify', r.createdAt),
      this.officeCounter(r.serviceOfficeId, 1),
      {
        ConditionCheck: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.consent(r.consentId),
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(withdrawnAt)',
        },
      },
    ];
  }

  async create(creation: ReferralCreation, request: IdempotentRequest, answer: StoredAnswer) {
    const r = creation.referral;
    const items: TransactItem[] = [
      this.referralPut(r, creation.due),
      {
        Put: {
          TableName: this.tables.recordsTable,
          Item: {
            ...recordKeys.openReferral(r.subjectId),
            referralId: r.referralId,
            authorityId: r.authorityId,
            createdAt: r.createdAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...this.deliveryItems(r),
      putAuditDraft(this.tables.auditTable, creation.audit),
      ...(creation.authorityEvent ? [this.eventPut(creation.authorityEvent)] : []),
    ];
    const { replayed: _replayed, ...stored } = await commitCreating({
      recordsTable: this.tables.recordsTable,
      ...request,
      items,
      response: answer,
      onConditionFailed: (failure) => {
        if (failure.index === 1) return new OpenReferralRace(openReferralOf(failure.item ?? {}));
        if (failure.index === 4) return new ConsentWithdrawnRace();
        return undefined;
      },
    });
    return stored as StoredAnswer;
  }

  async refuse(audit: AuditEntryDraft, request: IdempotentRequest, refusal: Refusal) {
    const { replayed: _replayed, ...stored } = await commitCreating<StoredAnswer>({
      recordsTable: this.tables.recordsTable,
      ...request,
      items: [putAuditDraft(this.tables.auditTable, audit)],
      response: { refusal },
    });
    return stored as StoredAnswer;
  }

  recordRefusal(audit: AuditEntryDraft): Promise<void> {
    return commit([putAuditDraft(this.tables.auditTable, audit)]);
  }

  /** The conditional update of the referral item that a change makes. */
  private changeUpdate(change: ReferralChange): TransactItem {
    const r = change.from;
    const { set, remove } = differences(r, change.to);
    Object.assign(set, referralIndexAttributes(change.to, change.due));
    // Ended and nothing due any more: the metadata expires (TTL); otherwise it must not.
    const expiresAt = referralExpiry(
      {
        open: isOpen(change.to.status),
        erasurePending: erasurePending(change.to),
        updatedAt: updatedAtOf(change.to),
      },
      change.due !== undefined,
      this.retention,
    );
    if (expiresAt !== undefined) set.expiresAt = expiresAt;
    else remove.push('expiresAt');
    const names: Record<string, string> = { '#version': 'version', '#status': 'status' };
    const values: Record<string, unknown> = { ':expected': r.version, ':from': r.status };
    const assignments: string[] = [];
    if (change.history) {
      names['#history'] = 'history';
      values[':history'] = [change.history];
      assignments.push('#history = list_append(#history, :history)');
    }
    for (const [i, [k, v]] of Object.entries(set).entries()) {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      assignments.push(`#s${i} = :s${i}`);
    }
    const removals = [...remove, ...(change.due ? [] : ['gsi3pk', 'gsi3sk', 'dueKind', 'dueStep', 'dueAt'])];
    removals.forEach((k, i) => {
      names[`#r${i}`] = k;
    });
    const update =
      `SET ${assignments.join(', ')}` +
      (removals.length > 0 ? ` REMOVE ${removals.map((_, i) => `#r${i}`).join(', ')}` : '');
    return {
      Update: {
        TableName: this.tables.recordsTable,
        Key: recordKeys.referral(r.referralId),
        UpdateExpression: update,
        ConditionExpression: '#version = :expected AND #status = :from',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  private changeItems(change: ReferralChange, releaseOpenReferral: boolean): TransactItem[] {
    const r = change.from;
    const items = [this.changeUpdate(change)];
    if (releaseOpenReferral) {
      items.push(
        {
          Delete: {
            TableName: this.tables.recordsTable,
            Key: recordKeys.openReferral(r.subjectId),
            ConditionExpression: 'attribute_not_exists(pk) OR referralId = :id',
            ExpressionAttributeValues: { ':id': r.referralId },
          },
        },
        this.officeCounter(r.serviceOfficeId, -1),
      );
    }
    if (change.outbox) items.push(this.outboxPut(r, change.outbox, change.audit.time));
    if (change.authorityEvent) items.push(this.eventPut(change.authorityEvent));
    if (change.officeNotification) items.push(this.notificationPut(change.officeNotification));
    items.push(putAuditDraft(this.tables.auditTable, change.audit));
    return items;
  }

  apply(change: ReferralChange, options: { consumesOutbox?: string } = {}): Promise<void> {
    const items = this.changeItems(change, change.releasesOpenReferral);
    if (options.consumesOutbox !== undefined) {
      items.push({
        Delete: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.outbox(change.from.referralId, options.consumesOutbox),
        },
      });
    }
    return commit(items, (failure) => (failure.index === 0 ? new StaleReferral() : undefined));
  }

  /**
   * The subject's open-referral guard moves to the new referral (one conditional Update:
   * a Delete and a Put of the same key cannot share a transaction).
   */
  forward(decline: ReferralChange, creation: ReferralCreation): Promise<void> {
    const old = decline.from;
    const r = creation.referral;
    const declineItems = this.changeItems(decline, false);
    const guardIndex = declineItems.length;
    const items: TransactItem[] = [
      ...declineItems,
      {
        Update: {
          TableName: this.tables.recordsTable,
          Key: recordKeys.openReferral(old.subjectId),
          UpdateExpression: 'SET referralId = :new, authorityId = :authority, createdAt = :createdAt',
          ConditionExpression: 'referralId = :old',
          ExpressionAttributeValues: {
            ':new': r.referralId,
            ':old': old.referralId,
            ':authority': r.authorityId,
            ':createdAt': r.createdAt,
          },
        },
      },
      this.officeCounter(old.serviceOfficeId, -1),
      this.referralPut(r, creation.due),
      ...this.deliveryItems(r),
    ];
    // deliveryItems ends with the consent's condition.
    const consentIndex = items.length - 1;
    items.push(
      putAuditDraft(this.tables.auditTable, creation.audit),
      ...(creation.authorityEvent ? [this.eventPut(creation.authorityEvent)] : []),
    );
    return commit(items, (failure) => {
      if (failure.index === 0) return new StaleReferral();
      if (failure.index === guardIndex) return new OpenReferralGuardMoved();
      if (failure.index === consentIndex) return new ConsentWithdrawnRace();
      return undefined;
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

  async consent(consentId: string): Promise<ConsentRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.tables.recordsTable,
        Key: recordKeys.consent(consentId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? ConsentRecord.parse(withoutKeys(out.Item)) : undefined;
  }

  recordEvent(audit: AuditEntryDraft): Promise<void> {
    return commit([putAuditDraft(this.tables.auditTable, audit)]);
  }

  async idempotency(principal: string, idempotencyKey: string): Promise<IdempotencyRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.tables.recordsTable,
        Key: recordKeys.idempotency(principal, idempotencyKey),
        ConsistentRead: true,
      }),
    );
    return out.Item ? (out.Item as unknown as IdempotencyRecord) : undefined;
  }

  async recordEventOnce(audit: AuditEntryDraft, request: IdempotentRequest, answer: StoredAnswer) {
    const { replayed: _replayed, ...stored } = await commitCreating<StoredAnswer>({
      recordsTable: this.tables.recordsTable,
      ...request,
      items: [putAuditDraft(this.tables.auditTable, audit)],
      response: answer,
    });
    return stored as StoredAnswer;
  }

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

  async bySubject(subjectId: string): Promise<ReferralRecord[]> {
    const items = await queryAll(send, {
      TableName: this.tables.recordsTable,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `SUBJECT#${subjectId}`, ':prefix': 'REFERRAL#' },
      ScanIndexForward: false,
    });
    return items.map(referralFromItem);
  }

  async dueOn(day: string, until: Date): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of queryPages(send, {
      TableName: this.tables.recordsTable,
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk <= :until',
      ExpressionAttributeValues: { ':pk': `DUE#${day}`, ':until': `${until.toISOString()}#~` },
    })) {
      for (const item of page) {
        if (typeof item.pk === 'string' && item.pk.startsWith('REFERRAL#'))
          ids.push(item.pk.slice('REFERRAL#'.length));
      }
    }
    return ids;
  }

  /**
   * One page of a party's feed, newest change first, from its feed index. A status filter
   * is a FilterExpression, applied after DynamoDB's Limit: the query is repeated with what
   * is still missing (never overshooting, so the last evaluated key is exactly where the
   * page ends) up to FEED_READS times; a page may then be short and still have a next key.
   */
  async feed(q: FeedQuery): Promise<FeedPage> {
    const [index, keyAttribute] =
      q.party.kind === 'authority'
        ? (['authorityFeed', 'authorityId'] as const)
        : (['officeFeed', 'serviceOfficeId'] as const);
    const names: Record<string, string> = { '#party': keyAttribute };
    const values: Record<string, unknown> = { ':party': q.party.id };
    let condition = '#party = :party';
    if (q.changedSince !== undefined) {
      names['#changed'] = 'changedKey';
      values[':since'] = q.changedSince;
      condition += ' AND #changed >= :since';
    }
    let filter: string | undefined;
    if (q.statuses && q.statuses.length > 0) {
      names['#status'] = 'status';
      const placeholders = q.statuses.map((status, i) => {
        values[`:s${i}`] = status;
        return `:s${i}`;
      });
      filter = `#status IN (${placeholders.join(', ')})`;
    }
    const items: FeedPage['items'][number][] = [];
    let startKey = q.startKey;
    for (let reads = 0; reads < FEED_READS && items.length < q.limit; reads++) {
      const out = await send(
        new QueryCommand({
          TableName: this.tables.recordsTable,
          IndexName: index,
          KeyConditionExpression: condition,
          ...(filter ? { FilterExpression: filter } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: q.limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of out.Items ?? []) items.push(feedItemOf(item));
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    return { items, ...(startKey ? { lastKey: startKey } : {}) };
  }

  async outboxPending(referralId: string, event: string): Promise<boolean> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.tables.recordsTable,
        Key: recordKeys.outbox(referralId, event),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return out.Item !== undefined;
  }

  async removeOutbox(referralId: string, event: string): Promise<void> {
    await documentClient().send(
      new DeleteCommand({ TableName: this.tables.recordsTable, Key: recordKeys.outbox(referralId, event) }),
    );
  }
}
