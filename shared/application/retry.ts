import { StaleReferral } from '#shared/domain/referral/errors.ts';

/** How often a change is re-read and tried again after losing a race to another change. */
export const MAX_CONFLICT_ATTEMPTS = 8;

/**
 * Optimistic concurrency: runs `attempt` (which reads, decides and writes) again while
 * it fails because the object changed meanwhile, up to MAX_CONFLICT_ATTEMPTS times, with
 * a short random pause that grows, so that writers racing for one item spread out; then
 * the last conflict is thrown (409). Any other error is thrown at once.
 */
export async function retryOnConflict<T>(
  attempt: () => Promise<T>,
  isConflict: (error: unknown) => boolean = (error) => error instanceof StaleReferral,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error) || n >= MAX_CONFLICT_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** Math.min(n, 6)));
    }
  }
}
