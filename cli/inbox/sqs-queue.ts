/** The office's queue through the AWS SDK, with the profile's credentials and SQS endpoint. */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { CliError } from '#cli/io.ts';
import type { Profile } from '#cli/profile.ts';
import type { InboxMessage, InboxQueue, ReceiveRequest } from './poll.ts';

export class SqsInbox implements InboxQueue {
  readonly client: SQSClient;
  readonly queueUrl: string;

  constructor(profile: Profile) {
    if (!profile.queueUrl) {
      throw new CliError(
        `The profile "${profile.name}" names no queueUrl; add it to the profile file (docs/rex.md).`,
      );
    }
    this.queueUrl = profile.queueUrl;
    this.client = new SQSClient({
      region: profile.region,
      credentials: profile.credentials,
      // Emulators answer with queue URLs on hosts that may not resolve; their endpoint is authoritative.
      ...(profile.sqsEndpoint ? { endpoint: profile.sqsEndpoint, useQueueUrlAsEndpoint: false } : {}),
    });
  }

  async receive(request: ReceiveRequest): Promise<InboxMessage[]> {
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: request.maxMessages,
        WaitTimeSeconds: request.waitSeconds,
        ...(request.visibilityTimeout !== undefined ? { VisibilityTimeout: request.visibilityTimeout } : {}),
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      request.signal ? { abortSignal: request.signal } : {},
    );
    return (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      receiveCount: m.Attributes?.ApproximateReceiveCount
        ? Number(m.Attributes.ApproximateReceiveCount)
        : undefined,
    }));
  }

  async delete(message: InboxMessage): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.receiptHandle }),
    );
  }

  async release(message: InboxMessage): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: 0,
      }),
    );
  }

  destroy(): void {
    this.client.destroy();
  }
}
