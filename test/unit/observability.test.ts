import { afterEach, describe, expect, it, vi } from 'vitest';
import { countMetric, logger } from '#shared/observability.ts';

describe('metrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('are Embedded Metric Format lines written through the structured logger', () => {
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);
    countMetric('ApiFault');
    expect(info).toHaveBeenCalledTimes(1);
    const [message, fields] = info.mock.calls[0] as unknown as [string, Record<string, unknown>];
    expect(message).toBe('metric');
    expect(fields.ApiFault).toBe(1);
    expect(fields._aws).toEqual({
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        {
          Namespace: 'ReferralExchange',
          Dimensions: [['service']],
          Metrics: [{ Name: 'ApiFault', Unit: 'Count' }],
        },
      ],
    });
  });
});
