import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AuthorityQueue, OfficeQueue } from './queues.ts';

export interface MonitoringProps {
  readonly stage: string;
  /** The functions to watch, by construct id. */
  readonly functions: readonly { readonly id: string; readonly function: lambda.IFunction }[];
  /** The office queues to watch. */
  readonly queues: readonly OfficeQueue[];
  /** The authorities' event queues: an event moved to a dead-letter queue reaches a person. */
  readonly authorityQueues?: readonly AuthorityQueue[];
  /** Where failed stream batches and scheduled invocations go (PlatformFailures). */
  readonly failureQueue?: sqs.IQueue;
  /**
   * The audit sequencer, runs every minute. A run that ends only because its time is
   * up (it stops 5 s before its timeout) left drafts behind; several in a row mean the
   * log is falling behind.
   */
  readonly sequencer?: { readonly function: lambda.IFunction; readonly timeout: Duration };
  /**
   * Age of the oldest message in an office queue above which the office is not
   * collecting its referrals. Messages are kept 14 days; 3 days leaves time to act.
   * @default 3 days
   */
  readonly maxQueueAge?: Duration;
  /**
   * Where alarms notify: the stack's alarm topic (AlarmNotifications), whose e-mail
   * subscriptions come from the directory's `deployment.alarmEmails`.
   * @default no alarm action
   */
  readonly alarmTopic?: sns.ITopic;
  /** The functions fed by a table's stream: their IteratorAge is watched. */
  readonly streamConsumers?: readonly { readonly id: string; readonly function: lambda.IFunction }[];
  /** The REST API: server errors and latency are watched. */
  readonly api?: apigateway.RestApi;
}

/**
 * Alarms and a dashboard: a message in any dead-letter queue or in the platform
 * failure queue, an office not collecting its queue, errors or throttles of any
 * function, and an audit sequencer that falls behind or stopped running.
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const maxAge = props.maxQueueAge ?? Duration.days(3);
    const period = Duration.minutes(5);
    const alarm = (alarmId: string, p: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, p);
      if (props.alarmTopic) {
        created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        created.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
      this.alarms.push(created);
      return created;
    };

    // One alarm per concern over every queue of the stage (a CloudWatch Metrics Insights
    // query), not two per office: an office costs no alarm resource, and the alarm covers
    // an office added later without a change here. The dashboard names the queue.
    const queueQuery = (fn: string, metric: string, like: string) =>
      `SELECT ${fn}(${metric}) FROM SCHEMA("AWS/SQS", QueueName) WHERE QueueName LIKE '${like}'`;
    const insights = (expression: string, label: string) =>
      new cloudwatch.MathExpression({ expression, usingMetrics: {}, period, label });
    if (props.queues.length + (props.authorityQueues?.length ?? 0) > 0) {
      alarm('DeadLetters', {
        alarmDescription:
          'A notification for a service office or an event for an authority was moved to its dead-letter queue (dashboard: which queue).',
        metric: insights(
          queueQuery('MAX', 'ApproximateNumberOfMessagesVisible', `rex-${props.stage}%-dlq.fifo`),
          'messages in dead-letter queues',
        ),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm('QueueAge', {
        alarmDescription: `A service office or an authority has not collected a message for ${maxAge.toHumanString()} (dashboard: which queue).`,
        metric: insights(
          queueQuery('MAX', 'ApproximateAgeOfOldestMessage', `rex-${props.stage}%`),
          'oldest message (s)',
        ),
        threshold: maxAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    if (props.failureQueue) {
      alarm('PlatformFailures', {
        alarmDescription:
          'A stream batch or a scheduled run failed for good and was moved to the platform failure queue.',
        metric: props.failureQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    if (props.sequencer) {
      const minute = Duration.minutes(1);
      const busy = props.sequencer.timeout.toSeconds() - 15;
      alarm('AuditSequencerLag', {
        alarmDescription: `The audit sequencer used its whole time in 5 runs in a row: drafts arrive faster than they are chained, checkpoints fall behind.`,
        metric: props.sequencer.function.metricDuration({ period: minute, statistic: 'Maximum' }),
        threshold: busy * 1000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm('AuditSequencerStopped', {
        alarmDescription:
          'The audit sequencer has not run for 5 minutes: no entry is chained, no checkpoint signed.',
        metric: props.sequencer.function.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    }

    for (const fn of props.functions) {
      alarm(`Failures-${fn.id}`, {
        alarmDescription: `${fn.id} failed (uncaught errors or timeouts) or was throttled.`,
        metric: new cloudwatch.MathExpression({
          expression: 'errors + throttles',
          usingMetrics: {
            errors: fn.function.metricErrors({ period, statistic: 'Sum' }),
            throttles: fn.function.metricThrottles({ period, statistic: 'Sum' }),
          },
          period,
          label: `${fn.id} errors and throttles`,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    for (const fn of props.streamConsumers ?? []) {
      alarm(`IteratorAge-${fn.id}`, {
        alarmDescription: `${fn.id} is more than an hour behind its table's stream, which keeps records for 24 hours.`,
        metric: fn.function.metric('IteratorAge', { period, statistic: 'Maximum' }),
        threshold: Duration.hours(1).toMilliseconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    if (props.api) {
      alarm('Api5XX', {
        alarmDescription: 'The API answered requests with a server error (5XX).',
        metric: props.api.metricServerError({ period, statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm('ApiLatency', {
        alarmDescription:
          'The API took longer than 3 s for the slowest 1 % of requests, three periods in a row.',
        metric: props.api.metricLatency({ period, statistic: 'p99' }),
        threshold: 3000,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `referral-exchange-${props.stage}`,
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: props.functions.map((f) => f.function.metricErrors({ period, label: f.id })),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles',
            left: props.functions.map((f) => f.function.metricThrottles({ period, label: f.id })),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Dead-letter messages per office',
            left: props.queues.map((q) =>
              q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, label: q.officeId }),
            ),
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Oldest uncollected notification per office (s)',
            left: props.queues.map((q) =>
              q.queue.metricApproximateAgeOfOldestMessage({
                period,
                statistic: 'Maximum',
                label: q.officeId,
              }),
            ),
            width: 12,
          }),
        ],
        ...(props.sequencer
          ? [
              [
                new cloudwatch.GraphWidget({
                  title: 'Audit sequencer run time (ms, maximum per minute)',
                  left: [
                    props.sequencer.function.metricDuration({
                      period: Duration.minutes(1),
                      statistic: 'Maximum',
                    }),
                  ],
                  width: 24,
                }),
              ],
            ]
          : []),
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
