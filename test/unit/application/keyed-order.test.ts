import { describe, expect, it } from 'vitest';
import { KeyedOrder } from '#shared/application/keyed-order.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('KeyedOrder', () => {
  it('keeps submission order within a key and runs different keys concurrently', async () => {
    const order = new KeyedOrder();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const work = (name: string, ms: number) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      running--;
    };
    await Promise.all([
      order.run('a', work('a1', 20)),
      order.run('b', work('b1', 5)),
      order.run('a', work('a2', 1)),
      order.run('b', work('b2', 1)),
    ]);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('start b2'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    expect(maxRunning).toBe(2);
    expect(order.pendingKeys).toBe(0);
  });

  it('goes on with a key after a failure and reports the failure to its caller only', async () => {
    const order = new KeyedOrder();
    const done: string[] = [];
    const failing = order.run('k', async () => {
      await tick();
      throw new Error('boom');
    });
    const next = order.run('k', async () => {
      done.push('second');
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBeUndefined();
    expect(done).toEqual(['second']);
  });
});
