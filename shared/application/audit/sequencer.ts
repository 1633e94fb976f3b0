/**
 * The sequencer: chains pending drafts into the log and signs a checkpoint when the
 * head moved (docs/audit-format.md §9), and one at the end of every retention epoch
 * (§8). The chaining rules are pure (shared/domain/audit/chain.ts, epochs.ts); this
 * module runs them over the storage ports.
 */
import {
  type ChainHead,
  compareDrafts,
  type MerkleFrontierJson,
  sequenceDrafts,
} from '#shared/domain/audit/chain.ts';
import {
  type CheckpointSigner,
  checkpointOfHead,
  signCheckpoint,
  verifierKeyOf,
} from '#shared/domain/audit/checkpoint.ts';
import { nextEpochBatch } from '#shared/domain/audit/epochs.ts';
import { type Clock, systemClock } from '#shared/domain/clock.ts';
import {
  auditEpochExpiry,
  type RetentionPolicy,
  retentionFromEnvironment,
} from '#shared/domain/retention.ts';
import type { ChainStore, CheckpointStore, StoredCheckpoint } from './ports.ts';

/** The largest batch: TransactWriteItems takes 100 items, one of which is the head. */
export const MAX_BATCH = 99;

export interface SequencerOptions {
  /** Entries per transaction, 1–99 (default 99). */
  readonly batchSize?: number;
  /** Whether another batch fits in the time left (Lambda: remaining time above a margin). */
  readonly hasTime: () => boolean;
  /** Failed batch writes tolerated in one run before it gives up (default 5). */
  readonly maxConflicts?: number;
  /**
   * Signs and stores a checkpoint of exactly this head: the last entry of a retention
   * epoch, before the first batch of the next one. Without it, a run stops before it
   * would open a new epoch (runSequencer always gives it).
   */
  readonly sealEpoch?: (head: ChainHead) => Promise<void>;
  /** Retention of the entries (default: from the environment, retentionFromEnvironment). */
  readonly retention?: RetentionPolicy;
}

export interface SequencingResult {
  readonly sequenced: number;
  readonly batches: number;
  readonly conflicts: number;
  readonly head: ChainHead;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Chains every pending draft after the head, batch by batch, until none is left or
 * the time is used. Each batch is one conditional transaction (entries + head), so a
 * crash or a second instance can never fork the chain; a failed batch is redone from
 * the stored head. Index rows that turn out to be sequenced or expired already (the
 * pending index is eventually consistent) are skipped for the rest of the run.
 *
 * A batch holds the drafts of one retention epoch (epochs.ts); before the first batch
 * of a later epoch the head is sealed by a checkpoint, so that retention, which
 * deletes whole epochs, always leaves a log that starts right after a signed
 * checkpoint. The drafts of a later epoch wait for the next batch.
 */
export async function sequencePending(
  store: ChainStore,
  options: SequencerOptions,
): Promise<SequencingResult> {
  const batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? MAX_BATCH));
  const maxConflicts = options.maxConflicts ?? 5;
  let head = await store.readHead();
  let retention: RetentionPolicy | undefined = options.retention;
  const done = new Set<string>();
  let sequenced = 0;
  let batches = 0;
  let conflicts = 0;
  while (options.hasTime()) {
    const ids = await store.pendingDraftIds(batchSize, done);
    if (ids.length === 0) break;
    const drafts = await store.loadPendingDrafts(ids);
    const pending = new Set(drafts.map((d) => d.entryId));
    for (const id of ids) if (!pending.has(id)) done.add(id);
    if (drafts.length === 0) continue;
    const batch = nextEpochBatch(head.epoch, [...drafts].sort(compareDrafts));
    if (batch.opensEpoch && head.sequence > 0) {
      // The head is the last entry of its epoch: sign a checkpoint of it first.
      if (!options.sealEpoch) break;
      await options.sealEpoch(head);
    }
    retention ??= retentionFromEnvironment();
    const expiresAt =
      batch.opensEpoch || head.expiresAt === undefined
        ? auditEpochExpiry(batch.epoch, retention, head.expiresAt)
        : head.expiresAt;
    const {
      entries,
      head: next,
      merkleNodes,
    } = sequenceDrafts(head, batch.drafts, {
      epoch: batch.epoch,
      expiresAt,
    });
    const outcome = await store.appendBatch(head, entries, next, merkleNodes);
    if (outcome.ok) {
      head = next;
      for (const entry of entries) done.add(entry.entryId);
      sequenced += entries.length;
      batches++;
      continue;
    }
    conflicts++;
    if (conflicts > maxConflicts) break;
    if (outcome.reason === 'head-moved') head = await store.readHead();
    else if (outcome.reason === 'drafts-gone') for (const id of outcome.entryIds) done.add(id);
    else await sleep(20 * 2 ** conflicts * Math.random());
  }
  return { sequenced, batches, conflicts, head };
}

/** The log's name in its checkpoints, and by convention the signing key's name. */
export function checkpointOrigin(deploymentId: string, stage: string): string {
  return `referral-exchange/${deploymentId}/${stage}`;
}

/**
 * The signed checkpoint of `head` as stored. The item carries the Merkle compact
 * range, so that any checkpoint can serve as the anchor of a verification after
 * retention (docs/audit-format.md §8).
 */
async function signedCheckpointOf(
  head: ChainHead,
  signer: CheckpointSigner,
  origin: string,
  clock: Clock,
): Promise<StoredCheckpoint> {
  const checkpoint = checkpointOfHead(origin, head, clock.now());
  return {
    ...checkpoint,
    note: await signCheckpoint(checkpoint, signer),
    keyName: signer.keyName,
    verifierKey: await verifierKeyOf(signer),
    merkleFrontier: head.frontier as MerkleFrontierJson,
  };
}

/** Signs and stores a checkpoint of `head` when it moved past the latest checkpoint. */
export async function checkpointIfMoved(
  store: CheckpointStore,
  head: ChainHead,
  signer: CheckpointSigner,
  origin: string,
  clock: Clock = systemClock,
): Promise<StoredCheckpoint | undefined> {
  if (head.sequence === 0) return undefined;
  const latest = await store.latestCheckpoint();
  if (latest && latest.treeSize >= head.sequence) return undefined;
  const stored = await signedCheckpointOf(head, signer, origin, clock);
  return (await store.putCheckpoint(stored)) ? stored : undefined;
}

/**
 * Makes sure a signed checkpoint of exactly `head` exists: the seal of a retention
 * epoch that ends at the head. A checkpoint of that size stored meanwhile (by a
 * second instance) is as good as this one: the chain never forks.
 */
export async function sealEpoch(
  store: CheckpointStore,
  head: ChainHead,
  signer: CheckpointSigner,
  origin: string,
  clock: Clock = systemClock,
): Promise<void> {
  if (head.sequence === 0) return;
  const latest = await store.latestCheckpoint();
  if (latest?.treeSize === head.sequence) return;
  await store.putCheckpoint(await signedCheckpointOf(head, signer, origin, clock));
}

/** What one sequencer run works with. */
export interface SequencerDependencies {
  readonly store: ChainStore & CheckpointStore;
  /** The checkpoint signer, resolved on first use (a KMS key or a local key). */
  readonly signer: () => Promise<CheckpointSigner>;
  /** The log's name in its checkpoints (`checkpointOrigin`). */
  readonly origin: string;
  readonly clock?: Clock;
  /** Retention of the entries (default: from the environment). */
  readonly retention?: RetentionPolicy;
}

export interface SequencerRun extends SequencingResult {
  readonly checkpoint: StoredCheckpoint | undefined;
}

/** One scheduled run: sequence what is pending, then sign a checkpoint if the head moved. */
export async function runSequencer(
  deps: SequencerDependencies,
  options: SequencerOptions,
): Promise<SequencerRun> {
  const result = await sequencePending(deps.store, {
    ...options,
    ...(deps.retention ? { retention: deps.retention } : {}),
    sealEpoch: async (head) =>
      sealEpoch(deps.store, head, await deps.signer(), deps.origin, deps.clock ?? systemClock),
  });
  const checkpoint = await checkpointIfMoved(
    deps.store,
    result.head,
    await deps.signer(),
    deps.origin,
    deps.clock,
  );
  return { ...result, checkpoint };
}
