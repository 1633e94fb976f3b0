/**
 * The fixed monthly cost of a deployment while nothing happens, read from a synthesised
 * template: what AWS bills per resource and month regardless of traffic. Per-request
 * costs are bench/prices.ts's. Prices: eu-central-1, list prices, USD.
 */

export const idlePrices = {
  /** A customer-managed KMS key (rotation included in the first two rotations). */
  kmsKeyMonth: 1.0,
  /** A Secrets Manager secret. */
  secretMonth: 0.4,
  /** A standard-resolution alarm, per metric it evaluates (metric math and Metrics Insights alike). */
  alarmMetricMonth: 0.1,
  /** A dashboard beyond the account's three free ones. */
  dashboardMonth: 3.0,
} as const;

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface IdleCostLine {
  readonly what: string;
  readonly count: number;
  readonly monthly: number;
  /** What the cost buys, where it buys security or a person's attention. */
  readonly buys: string;
}

/** Metrics an alarm evaluates: one for a plain alarm, the metric queries of a math alarm, `queues` for a Metrics Insights query over queues. */
function alarmMetrics(resource: Resource, insightsSeries: number): number {
  const metrics = resource.Properties?.Metrics as { Expression?: string; MetricStat?: unknown }[] | undefined;
  if (!metrics) return 1;
  const stats = metrics.filter((m) => m.MetricStat).length;
  const insights = metrics.filter((m) => m.Expression?.startsWith('SELECT')).length;
  return stats + insights * insightsSeries;
}

/**
 * The idle monthly cost lines of a template. A Metrics Insights alarm is billed per
 * series it reads: the template's queues stand for them.
 */
export function idleCost(template: { Resources: Record<string, Resource> }): IdleCostLine[] {
  const resources = Object.values(template.Resources);
  const of = (type: string) => resources.filter((r) => r.Type === type);
  const queues = of('AWS::SQS::Queue').length;
  const alarmMetricCount = of('AWS::CloudWatch::Alarm').reduce((n, r) => n + alarmMetrics(r, queues), 0);
  const lines: IdleCostLine[] = [
    {
      what: 'KMS keys',
      count: of('AWS::KMS::Key').length,
      monthly: of('AWS::KMS::Key').length * idlePrices.kmsKeyMonth,
      buys: 'the platform key (tables, queues, logs, topic: data at rest under the deployment’s own key, every use fenced by kms:ViaService) and the checkpoint signing key (only the sequencer signs)',
    },
    {
      what: 'secrets',
      count: of('AWS::SecretsManager::Secret').length,
      monthly: of('AWS::SecretsManager::Secret').length * idlePrices.secretMonth,
      buys: 'the pseudonym secret behind subject ids, readable by the functions that derive them only',
    },
    {
      what: 'alarm metrics',
      count: alarmMetricCount,
      monthly: Math.round(alarmMetricCount * idlePrices.alarmMetricMonth * 100) / 100,
      buys: 'a person is told of a failure, a stuck queue or a stopped audit log',
    },
    {
      what: 'dashboards (if beyond the 3 free)',
      count: of('AWS::CloudWatch::Dashboard').length,
      monthly: of('AWS::CloudWatch::Dashboard').length * idlePrices.dashboardMonth,
      buys: 'one view per district; free for the first three of an account',
    },
  ];
  return lines;
}

export const totalOf = (lines: readonly IdleCostLine[]) =>
  Math.round(lines.reduce((sum, l) => sum + l.monthly, 0) * 100) / 100;

export function formatIdleCost(lines: readonly IdleCostLine[]): string {
  const rows = lines.map(
    (l) => `${l.what.padEnd(36)} ${String(l.count).padStart(4)}  $${l.monthly.toFixed(2).padStart(6)}`,
  );
  return [
    ...rows,
    `${'total (user pool, tables, API, functions, topic, logs: $0 idle)'.padEnd(42)}$${totalOf(lines).toFixed(2).padStart(6)}`,
  ].join('\n');
}
