import { runRetention } from '#shared/application/retention.ts';
import { logger } from '#shared/observability.ts';
import { retentionDependencies } from './composition.ts';

/** Scheduled, daily: the retention DynamoDB's TTL cannot decide alone (office states of offices gone from the directory). */
export const handler = async (): Promise<void> => {
  const run = await runRetention(retentionDependencies());
  logger.info('retention run', { ...run });
};
