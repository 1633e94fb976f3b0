import { describe, expect, it } from 'vitest';
import { TokenBucket } from '#local/throttle.ts';

describe('TokenBucket', () => {
  it('grants a burst, then throttles until tokens refill at the rate', () => {
    let t = 0;
    const bucket = new TokenBucket(10, 5, () => t);
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
    t += 100; // one token at 10/s
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
    t += 10_000; // refills to the burst, not beyond
    for (let i = 0; i < 5; i++) expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBeGreaterThan(0);
  });

  it('tells how long to wait in whole seconds', () => {
    let t = 0;
    const bucket = new TokenBucket(0.5, 1, () => t);
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(2);
    t += 2000;
    expect(bucket.take()).toBe(0);
  });
});
