import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Courier } from '#shared/application/delivery.ts';
import { sqsClient } from './aws-clients.ts';

/**
 * FIFO delivery: the referral id is the message group (its messages stay in order) and
 * the deduplication id is deterministic (referral id + event), so a send repeated within
 * SQS's five-minute window is dropped by SQS; the office client also deduplicates.
 */
export const sqsCourier: Courier = {
  async send(queueUrl, envelope, deduplicationId) {
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(envelope),
        MessageGroupId: envelope.referralId,
        MessageDeduplicationId: deduplicationId,
        MessageAttributes: {
          type: { DataType: 'String', StringValue: envelope.type },
          referralId: { DataType: 'String', StringValue: envelope.referralId },
        },
      }),
    );
  },
};
