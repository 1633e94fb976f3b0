import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { DependencyState } from '#shared/schemas/system.ts';
import { dynamoClient, sqsClient } from './aws-clients.ts';

const PROBE_TIMEOUT_MS = 2_000;

async function timed(probe: (signal: AbortSignal) => Promise<unknown>): Promise<DependencyState> {
  const started = performance.now();
  try {
    await probe(AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      detail: error instanceof Error ? error.name : 'unknown error',
    };
  }
}

/** DynamoDB is up when every table answers DescribeTable as ACTIVE. */
export function probeTables(tableNames: readonly string[]): Promise<DependencyState> {
  return timed(async (abortSignal) => {
    for (const TableName of tableNames) {
      const out = await dynamoClient().send(new DescribeTableCommand({ TableName }), { abortSignal });
      if (out.Table?.TableStatus !== 'ACTIVE') throw new Error(`TableNotActive`);
    }
  });
}

/** SQS is up when a queue of the deployment answers GetQueueAttributes. */
export function probeQueue(queueUrl: string): Promise<DependencyState> {
  return timed((abortSignal) =>
    sqsClient().send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }), {
      abortSignal,
    }),
  );
}
