import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { viaService } from './data.ts';

export interface AlarmNotificationsProps {
  readonly stage: string;
  /** Who is told: the directory's `deployment.alarmEmails` (each confirms the subscription once). */
  readonly emails: readonly string[];
  /**
   * The key the topic is encrypted with: the platform key, so that the topic costs no
   * key of its own. CloudWatch may use it for this topic only (the key policy statement
   * below admits CloudWatch through SNS, for alarms of this account).
   */
  readonly key: kms.IKey;
}

/**
 * The alarm topic: SSE-KMS under the platform key, TLS-only publishing, one e-mail
 * subscription per address of the directory's deployment section. Alarm texts name a
 * concern and a function or queue, never a person.
 */
export class AlarmNotifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `referral-exchange ${props.stage}: Alarme / alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.emails) {
      const subscription = this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An e-mail subscription: SNS retries delivery itself; an alarm that is not delivered stays visible in ALARM state and on the dashboard, a dead-letter queue of alarm texts would reach no one.',
      });
    }
    // CloudWatch publishes to an encrypted topic only when it may use the key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // The topic's ARN would make key and topic depend on each other: SNS and this account
        // fence the use instead.
        conditions: {
          StringEquals: {
            'kms:ViaService': viaService('sns', Stack.of(this)),
            'aws:SourceAccount': Stack.of(this).account,
          },
        },
      }),
    );
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS3',
      reason: 'enforceSSL: the topic policy denies publishing without TLS.',
    });
  }
}
