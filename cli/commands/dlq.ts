import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Command, CommandContext } from '#cli/command.ts';
import { CliError, emit, table, UsageError } from '#cli/io.ts';

/** How long a listed or moved message stays hidden from other readers meanwhile. */
const HOLD_SECONDS = 60;

interface Queues {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
}

function queuesOf(ctx: CommandContext): Queues {
  const profile = ctx.profile();
  if (!profile.queueUrl || !profile.deadLetterUrl) {
    throw new CliError(
      `The profile "${profile.name}" names no queueUrl and deadLetterUrl; add them to the profile file (docs/rex.md).`,
    );
  }
  const client = new SQSClient({
    region: profile.region,
    credentials: profile.credentials,
    // Emulators answer with queue URLs on hosts that may not resolve; their endpoint is authoritative.
    ...(profile.sqsEndpoint ? { endpoint: profile.sqsEndpoint, useQueueUrlAsEndpoint: false } : {}),
  });
  return { client, queueUrl: profile.queueUrl, deadLetterUrl: profile.deadLetterUrl };
}

function maxOf(ctx: CommandContext, fallback: number): number {
  if (ctx.values.max === undefined) return fallback;
  const max = Number(ctx.values.max);
  if (!Number.isSafeInteger(max) || max < 1) throw new UsageError('--max must be a whole number ≥ 1.');
  return max;
}

async function receive(q: Queues, count: number): Promise<Message[]> {
  const out = await q.client.send(
    new ReceiveMessageCommand({
      QueueUrl: q.deadLetterUrl,
      MaxNumberOfMessages: Math.min(10, count),
      VisibilityTimeout: HOLD_SECONDS,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}

/** What may be shown about a message: ids, times, counts and size, never the body. */
function summary(m: Message) {
  const a = m.Attributes ?? {};
  const sent = a.SentTimestamp ? new Date(Number(a.SentTimestamp)).toISOString() : null;
  return {
    messageId: m.MessageId ?? '',
    sentAt: sent,
    receiveCount: a.ApproximateReceiveCount ? Number(a.ApproximateReceiveCount) : null,
    sizeBytes: Buffer.byteLength(m.Body ?? '', 'utf8'),
    messageGroupId: a.MessageGroupId ?? null,
  };
}

async function list(ctx: CommandContext): Promise<number> {
  const max = maxOf(ctx, 100);
  const q = queuesOf(ctx);
  try {
    const attrs = await q.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: q.deadLetterUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    const seen = new Map<string, Message>();
    while (seen.size < max) {
      const batch = await receive(q, max - seen.size);
      const fresh = batch.filter((m) => !seen.has(m.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const m of fresh) seen.set(m.MessageId ?? '', m);
    }
    // Listing must not delay a redrive: make every message visible again at once.
    const held = [...seen.values()].filter((m) => m.ReceiptHandle);
    for (let i = 0; i < held.length; i += 10) {
      await q.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: q.deadLetterUrl,
          Entries: held.slice(i, i + 10).map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
    const messages = [...seen.values()].map(summary);
    const approximate = Number(attrs.Attributes?.ApproximateNumberOfMessages ?? messages.length);
    emit(ctx.io, ctx.json, { deadLetterUrl: q.deadLetterUrl, approximateCount: approximate, messages }, () =>
      messages.length === 0
        ? 'The dead-letter queue is empty.'
        : [
            table([
              ['MESSAGE ID', 'SENT', 'RECEIVES', 'BYTES'],
              ...messages.map((m) => [
                m.messageId,
                m.sentAt ?? '-',
                String(m.receiveCount ?? '-'),
                String(m.sizeBytes),
              ]),
            ]),
            `${messages.length} message(s) listed${approximate > messages.length ? ` of about ${approximate}` : ''}.`,
          ].join('\n'),
    );
    return 0;
  } finally {
    q.client.destroy();
  }
}

async function redrive(ctx: CommandContext): Promise<number> {
  const max = maxOf(ctx, Number.MAX_SAFE_INTEGER);
  const q = queuesOf(ctx);
  const fifo = q.queueUrl.endsWith('.fifo');
  const moved: string[] = [];
  try {
    while (moved.length < max) {
      const batch = await receive(q, max - moved.length);
      if (batch.length === 0) break;
      // One at a time, in the order received, so FIFO groups keep their order.
      for (const m of batch) {
        const a = m.Attributes ?? {};
        if (fifo && !a.MessageGroupId)
          throw new CliError(`Message ${m.MessageId} has no message group; stopped.`);
        await q.client.send(
          new SendMessageCommand({
            QueueUrl: q.queueUrl,
            MessageBody: m.Body ?? '',
            ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
              ? { MessageAttributes: m.MessageAttributes }
              : {}),
            ...(fifo
              ? {
                  MessageGroupId: a.MessageGroupId,
                  ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
                }
              : {}),
          }),
        );
        // Deleted only after the send succeeded: a crash in between duplicates, never loses.
        await q.client.send(
          new DeleteMessageCommand({ QueueUrl: q.deadLetterUrl, ReceiptHandle: m.ReceiptHandle! }),
        );
        moved.push(m.MessageId ?? '');
      }
    }
    emit(ctx.io, ctx.json, { moved: moved.length, messageIds: moved, queueUrl: q.queueUrl }, () =>
      moved.length === 0
        ? 'The dead-letter queue is empty; nothing moved.'
        : `Moved ${moved.length} message(s) back to the queue.`,
    );
    return 0;
  } finally {
    q.client.destroy();
  }
}

const PROFILE_HELP = `  --profile <name>     profile with queueUrl and deadLetterUrl (default: REX_PROFILE)
  --profiles <file>    profile file (default: REX_PROFILES, else .local/credentials.json)
  --json               machine-readable output`;

export const dlqListCommand: Command = {
  name: 'dlq list',
  summary: "List the office's dead-letter queue (ids, times, counts; never contents)",
  help: `Usage: rex dlq list [--max <n>] [--profile <name>] [--json]

Lists the messages in the office's dead-letter queue: message id, when it was sent,
how often it was received, and its size. Message bodies are never shown.

  --max <n>            list at most n messages (default 100)
${PROFILE_HELP}`,
  options: { max: { type: 'string' } },
  needsProfile: true,
  run: list,
};

export const dlqRedriveCommand: Command = {
  name: 'dlq redrive',
  summary: "Move messages from the office's dead-letter queue back to its queue",
  help: `Usage: rex dlq redrive [--max <n>] [--profile <name>] [--json]

Moves messages back to the office's queue: each is sent again with the same body,
attributes, message group and deduplication id, then deleted from the dead-letter
queue. Fix what made them fail first.

  --max <n>            move at most n messages (default: all)
${PROFILE_HELP}`,
  options: { max: { type: 'string' } },
  needsProfile: true,
  run: redrive,
};
