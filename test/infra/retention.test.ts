/**
 * Every table that holds an item kind that expires (by TTL, or by the retention run of
 * the deadline job, which sets the TTL) has TTL enabled on `expiresAt` in the synthesised template — and
 * every item kind of the retention table is placed in a table, so a new kind cannot be
 * left out.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retentionItems } from '#shared/domain/record-of-processing.ts';
import { defaultDeadlines } from '#shared/domain/referral/deadlines.ts';
import { defaultRetention } from '#shared/domain/retention.ts';
import { ITEM_TABLES, TTL_ATTRIBUTE, tableName, tables } from '#shared/resources.ts';
import { resourcesOfType, STAGE, type Synthesised, synthesise } from './synth.ts';

let s: Synthesised;
beforeAll(() => {
  s = synthesise();
});
afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

const items = retentionItems(defaultRetention, defaultDeadlines);
const expiring = items.filter((i) => i.enforcement === 'ttl' || i.enforcement === 'job-then-ttl');

describe('retention in the template', () => {
  it('places every item kind of the retention table in a table', () => {
    expect(Object.keys(ITEM_TABLES).sort()).toEqual(items.map((i) => i.item).sort());
    expect(expiring.length).toBeGreaterThan(0);
  });

  it.each(
    tables.filter((t) => expiring.some((i) => ITEM_TABLES[i.item] === t.id)).map((t) => [t.id, t] as const),
  )('%s, which holds expiring items, has TTL enabled on expiresAt', (_id, def) => {
    const name = tableName(STAGE, def);
    const found = resourcesOfType(s.json, 'AWS::DynamoDB::Table').find(
      ([, r]) => r.Properties?.TableName === name,
    );
    expect(found, name).toBeDefined();
    expect(found![1].Properties?.TimeToLiveSpecification).toEqual({
      AttributeName: TTL_ATTRIBUTE,
      Enabled: true,
    });
  });

  it('runs the retention of office states with the deadline job: on its schedule, no retries, the failure destination', () => {
    const rules = resourcesOfType(s.json, 'AWS::Events::Rule').filter(([id]) =>
      id.startsWith('ReferralDeadlinesFunction'),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties?.ScheduleExpression).toBe('rate(15 minutes)');
    const configs = resourcesOfType(s.json, 'AWS::Lambda::EventInvokeConfig').filter(([id]) =>
      id.startsWith('ReferralDeadlinesFunction'),
    );
    expect(configs).toHaveLength(1);
    const config = configs[0]![1].Properties as Record<string, unknown>;
    expect(config.MaximumRetryAttempts).toBe(0);
    expect(config.DestinationConfig).toMatchObject({ OnFailure: { Destination: expect.anything() } });
  });
});
