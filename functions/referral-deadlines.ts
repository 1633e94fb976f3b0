import { runDeadlines } from '#shared/application/deadlines.ts';
import { runRetention } from '#shared/application/retention.ts';
import { logger } from '#shared/observability.ts';
import { deadlineDependencies, retentionDependencies } from './composition.ts';

/**
 * Scheduled: re-announcements, expiry and ciphertext deletion of referrals whose deadline
 * passed; then the retention TTL cannot decide alone (the states of offices that left the
 * directory, shared/application/retention.ts). One function for both keeps the stack's
 * resources per district where they are.
 */
export const handler = async (): Promise<void> => {
  const run = await runDeadlines(deadlineDependencies());
  logger.info('deadlines run', { ...run });
  const retention = await runRetention(retentionDependencies());
  logger.info('retention run', { ...retention });
};
