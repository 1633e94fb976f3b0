import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Courier } from '#shared/application/delivery.ts';
import { sqsClient } from './aws-clients.ts';

/**
 * FIFO delivery: the referral id is the message group (its messages stay in order) and
 * the deduplication id is deterministic (referral id + event for an office, the event id
 * for an authority), so a send repeated within SQS's five-minute window is dropped by
 * SQS; the clients also deduplicate.
 */
export const sqsCourier: Courier = {
  async send(queueUrl, message, deduplicationId) {
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(message),
        MessageGroupId: message.referralId,
        MessageDeduplicationId: deduplicationId,
        MessageAttributes: {
          type: { DataType: 'String', StringValue: message.type },
          referralId: { DataType: 'String', StringValue: message.referralId },
        },
      }),
    );
  },
};
