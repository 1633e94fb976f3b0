import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one place where observability is set up (STYLE.md §5): created once per cold
 * start and imported everywhere. Log lines carry ids and codes, never personal data:
 * request bodies, names and free text are not logged anywhere.
 *
 * Tracing: functions run with X-Ray active tracing at the platform level; the
 * Powertools Tracer (and the X-Ray SDK it pulls in) is left out to keep bundles and
 * cold starts small.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'referral-exchange' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ReferralExchange',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'referral-exchange',
});
