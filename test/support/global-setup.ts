import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '#local/emulators/dynamodb-local.ts';
import { freePort } from '#local/emulators/process-tools.ts';
import { assertPrerequisites } from '#local/preflight.ts';

/**
 * Integration tier: one real DynamoDB Local process (in memory) for the whole run;
 * each test file creates its own uniquely named tables in it. fauxqs runs in-process
 * per test file (test/support/emulators.ts).
 */
export default async function setup(project: TestProject) {
  assertPrerequisites({ java: true });
  const dynamo = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 60_000 });
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
