import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one place where observability is set up, so every handler logs alike: created once per cold
 * start and imported everywhere. Log lines carry ids and codes, never personal data:
 * request bodies, names and free text are not logged anywhere.
 *
 * Tracing: functions run with X-Ray active tracing at the platform level; the
 * Powertools Tracer (and the X-Ray SDK it pulls in) is left out to keep bundles and
 * cold starts small.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'referral-exchange' });

const NAMESPACE = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ReferralExchange';

/** The counters the functions publish. */
export type CountMetric = 'ApiSuccess' | 'ApiFault' | 'ApiClientError';

/**
 * Counts one `name` in CloudWatch: a log line in the Embedded Metric Format, written
 * through the logger above (its `service` key is the metric's dimension), which
 * CloudWatch Logs turns into a metric. One line per count, written when it happens,
 * so nothing is lost when an invocation fails; no metrics library in the bundle.
 * The line is at level INFO (the functions' level): a level above it silences metrics too.
 */
export function countMetric(name: CountMetric): void {
  logger.info('metric', {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
    [name]: 1,
  });
}
