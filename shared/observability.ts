import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

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

const EMPTY_METRICS_WARNING = 'No application metrics to publish';

/**
 * Metrics' own warnings go through the logger above, as structured lines — except the
 * one Powertools prints on every invocation that added no metric, which for most reads
 * is the normal case here: a line per request in CloudWatch Logs, paid for and read by
 * nobody.
 */
const text = (content: unknown[]) => content.map(String).join(' ');
const metricsLogger = {
  debug: (...content: unknown[]) => logger.debug(text(content)),
  info: (...content: unknown[]) => logger.info(text(content)),
  warn: (...content: unknown[]) => {
    if (!text(content).startsWith(EMPTY_METRICS_WARNING)) logger.warn(text(content));
  },
  error: (...content: unknown[]) => logger.error(text(content)),
};

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ReferralExchange',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'referral-exchange',
  logger: metricsLogger,
});
