import { ReferralStore } from '#shared/adapters/referral-store.ts';
import { runDeadlines } from '#shared/application/deadlines.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { officeById } from '#shared/domain/directory/index.ts';
import { logger } from '#shared/observability.ts';
import { officeQueue } from '#shared/resources.ts';
import { runtimeConfig, runtimeDirectory } from '#shared/runtime.ts';

/** Scheduled: re-announcements, expiry and ciphertext deletion of referrals whose deadline passed. */
export const handler = async (): Promise<void> => {
  const config = runtimeConfig();
  const directory = runtimeDirectory();
  const run = await runDeadlines({
    store: new ReferralStore(config),
    clock: systemClock,
    queueNameFor: (officeId) => officeQueue(config.stage, officeById(directory, officeId)!).name,
  });
  logger.info('deadlines run', { ...run });
};
