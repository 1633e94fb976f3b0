import type { ScheduledEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Scheduler, scheduledEvent, startScheduler } from '#local/scheduler.ts';
import { FixedClock } from '#shared/domain/clock.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let scheduler: Scheduler | undefined;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-02T08:00:00.000Z'));
});
afterEach(async () => {
  const stopping = scheduler?.stop();
  await vi.runAllTimersAsync();
  await stopping;
  scheduler = undefined;
  vi.useRealTimers();
});

/** A job that records when each run started and ended, and how many ran at once. */
function recordingJob(name: string, everyMs: number, runMs: number) {
  const runs: { firedAt: Date; startedAt: number; endedAt?: number }[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    runs,
    maxRunning: () => maxRunning,
    job: {
      name,
      everyMs,
      run: async (firedAt: Date) => {
        const run: (typeof runs)[number] = { firedAt, startedAt: Date.now() };
        runs.push(run);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(runMs);
        running--;
        run.endedAt = Date.now();
      },
    },
  };
}

describe('startScheduler', () => {
  it('runs each job on its own interval, the first run one interval after start', async () => {
    const fast = recordingJob('fast', 1_000, 10);
    const slow = recordingJob('slow', 5_000, 10);
    scheduler = startScheduler({ jobs: [fast.job, slow.job], log: () => undefined });

    await vi.advanceTimersByTimeAsync(999);
    expect(fast.runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(9_001);
    expect(fast.runs).toHaveLength(10);
    expect(slow.runs).toHaveLength(2);
    expect(fast.runs.map((r) => r.startedAt - Date.parse('2026-03-02T08:00:00.000Z')).slice(0, 3)).toEqual([
      1_000, 2_000, 3_000,
    ]);
  });

  it('hands each run the time from the clock', async () => {
    const clock = new FixedClock('2026-01-01T00:00:00Z');
    const seen: Date[] = [];
    scheduler = startScheduler({
      clock,
      jobs: [{ name: 'j', everyMs: 100, run: async (at) => void seen.push(at) }],
    });
    await vi.advanceTimersByTimeAsync(100);
    clock.advance(60_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(seen.map((d) => d.toISOString())).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
  });

  it('never overlaps runs of the same job: a tick during a run is skipped and logged', async () => {
    const lines: string[] = [];
    const long = recordingJob('long', 1_000, 2_500);
    scheduler = startScheduler({ jobs: [long.job], log: (line) => lines.push(line) });

    await vi.advanceTimersByTimeAsync(10_000);
    expect(long.maxRunning()).toBe(1);
    // Starts at 1 s (ends 3.5 s), 4 s (ends 6.5 s), 7 s (ends 9.5 s), 10 s.
    expect(long.runs.map((r) => r.startedAt - Date.parse('2026-03-02T08:00:00.000Z'))).toEqual([
      1_000, 4_000, 7_000, 10_000,
    ]);
    expect(lines.filter((l) => l.includes('job long skipped'))).toHaveLength(6);
  });

  it('runNow runs at once, and after a run under way rather than beside it', async () => {
    const job = recordingJob('relay', 60_000, 500);
    scheduler = startScheduler({ jobs: [job.job], log: () => undefined });

    const first = scheduler.runNow('relay');
    const second = scheduler.runNow('relay');
    await vi.advanceTimersByTimeAsync(0);
    expect(job.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([first, second]);
    expect(job.runs).toHaveLength(2);
    expect(job.maxRunning()).toBe(1);
    expect(job.runs[1]?.startedAt).toBe(job.runs[0]?.endedAt);
  });

  it('logs a failed run by error name only, rejects runNow with it, and keeps the schedule', async () => {
    const lines: string[] = [];
    let calls = 0;
    scheduler = startScheduler({
      log: (line) => lines.push(line),
      jobs: [
        {
          name: 'chain',
          everyMs: 1_000,
          run: async () => {
            calls++;
            if (calls <= 2) throw new RangeError('entry for Erika Mustermann');
          },
        },
      ],
    });

    await expect(scheduler.runNow('chain')).rejects.toThrow(RangeError);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls).toBe(4);
    expect(lines).toEqual([
      'scheduler: job chain failed (RangeError)',
      'scheduler: job chain failed (RangeError)',
    ]);
  });

  it('stop() waits for a running job and no run starts after it', async () => {
    const job = recordingJob('sweep', 1_000, 800);
    scheduler = startScheduler({ jobs: [job.job], log: () => undefined });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(job.runs).toHaveLength(1);

    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(700);
    await stopping;
    expect(stopped).toBe(true);
    expect(job.runs[0]?.endedAt).toBeDefined();

    await vi.advanceTimersByTimeAsync(10_000);
    expect(job.runs).toHaveLength(1);
    await expect(scheduler.runNow('sweep')).rejects.toThrow(/stopped/);
  });

  it('refuses an unknown job, a name used twice and a rate that is not a positive whole number', async () => {
    const run = async () => undefined;
    scheduler = startScheduler({ jobs: [{ name: 'a', everyMs: 10, run }] });
    await expect(scheduler.runNow('b')).rejects.toThrow(/no job named b/);
    expect(() =>
      startScheduler({
        jobs: [
          { name: 'a', everyMs: 10, run },
          { name: 'a', everyMs: 20, run },
        ],
      }),
    ).toThrow(/used twice/);
    for (const everyMs of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => startScheduler({ jobs: [{ name: 'x', everyMs, run }] })).toThrow(/positive whole number/);
    }
  });
});

describe('scheduledEvent', () => {
  it('builds the event an EventBridge schedule rule sends to Lambda', () => {
    const event: ScheduledEvent = scheduledEvent(
      'rex-dev-audit-chainer',
      'eu-central-1',
      '123456789012',
      new Date('2026-03-02T08:15:00.123Z'),
    );
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-03-02T08:15:00Z',
      region: 'eu-central-1',
      resources: ['arn:aws:events:eu-central-1:123456789012:rule/rex-dev-audit-chainer'],
      detail: {},
    });
    const other = scheduledEvent('r', 'eu-central-1', '1', new Date());
    expect(other.id).not.toBe(event.id);
  });
});
