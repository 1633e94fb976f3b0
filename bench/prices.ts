/**
 * On-demand list prices used to turn counted requests into dollars, region eu-central-1
 * (Frankfurt), USD, as published by AWS on its pricing pages; recorded 2026-11. They
 * change: check the pages and update this file (the date travels into the results).
 */
export const PRICES = {
  region: 'eu-central-1',
  recorded: '2026-11',
  /** DynamoDB on-demand, per million write / read request units (Standard table class). */
  dynamodbWriteRequestUnitPerMillion: 0.7625,
  dynamodbReadRequestUnitPerMillion: 0.1525,
  /** SQS per million requests (64 KB each), FIFO queues (the office queues are FIFO). */
  sqsFifoRequestPerMillion: 0.5,
  /** Lambda arm64, per GB-second and per million requests. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequestPerMillion: 0.2,
  /** API Gateway REST API, per million calls (first 333 million a month). */
  apiGatewayRestPerMillion: 3.7,
} as const;

/**
 * Latency anchors for the Lambda duration estimate (alexdebrie/dynamodb-performance-testing):
 * a single-item DynamoDB call p50 7.6 ms, TransactWriteItems p50 25 ms; SQS SendMessage
 * is taken as a single-item call.
 */
export const LATENCY_ANCHORS_MS = { singleItem: 7.6, transactWrite: 25 } as const;
