import type { Context, ScheduledEvent } from 'aws-lambda';
import { runSequencer } from '#shared/application/audit/sequencer.ts';
import { logger } from '#shared/observability.ts';
import { sequencerDependencies } from './composition.ts';

/**
 * The audit sequencer and checkpointer, on a schedule: chains every pending draft into
 * the log, then signs a checkpoint when the head moved. One function for both, because
 * a checkpoint must describe a head this function has just written or read, and one
 * writer (reserved concurrency 1) keeps head and checkpoints in step; the conditional
 * head write keeps the chain safe even if two runs ever overlap (docs/audit-format.md §9).
 */

/** Time kept back for the checkpoint and the response. */
const SAFETY_MARGIN_MS = 5_000;

export async function handler(_event: ScheduledEvent, context: Context) {
  const run = await runSequencer(sequencerDependencies(), {
    hasTime: () => context.getRemainingTimeInMillis() > SAFETY_MARGIN_MS,
  });
  logger.info('audit sequencer run', {
    sequenced: run.sequenced,
    batches: run.batches,
    conflicts: run.conflicts,
    treeSize: run.head.sequence,
    checkpointTreeSize: run.checkpoint?.treeSize,
  });
  return {
    sequenced: run.sequenced,
    treeSize: run.head.sequence,
    checkpoint: run.checkpoint?.treeSize ?? null,
  };
}
