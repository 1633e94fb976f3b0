import { runDeadlines } from '#shared/application/deadlines.ts';
import { logger } from '#shared/observability.ts';
import { deadlineDependencies } from './composition.ts';

/** Scheduled: re-announcements, expiry and ciphertext deletion of referrals whose deadline passed. */
export const handler = async (): Promise<void> => {
  const run = await runDeadlines(deadlineDependencies());
  logger.info('deadlines run', { ...run });
};
