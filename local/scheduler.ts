import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { type Clock, systemClock } from '#shared/domain/clock.ts';

export interface ScheduledJob {
  /** Unique among the jobs; the EventBridge rule's name is a good choice. */
  readonly name: string;
  /** The rate, like an EventBridge `rate(...)` expression; the first run comes one interval after start. */
  readonly everyMs: number;
  /** Gets the time the run started, for the event's `time`. */
  readonly run: (firedAt: Date) => Promise<void>;
}

export interface SchedulerOptions {
  readonly jobs: readonly ScheduledJob[];
  /** The time handed to runs. Default: the system clock. */
  readonly clock?: Clock;
  /** Where the one-line log messages go. Default console.error. */
  readonly log?: (line: string) => void;
}

export interface Scheduler {
  /**
   * Runs the job now, after a run of it that is under way, and resolves or rejects with
   * this run's outcome. For tests and the command line.
   */
  runNow(name: string): Promise<void>;
  /** Ends the schedule; resolves once every started or queued run has finished. */
  stop(): Promise<void>;
}

interface JobState {
  readonly job: ScheduledJob;
  readonly timer: ReturnType<typeof setInterval>;
  /** Runs started or queued; a tick while this is above zero is skipped. */
  active: number;
  /** Settles when the last queued run has; runs are chained so that they never overlap. */
  tail: Promise<void>;
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'unknown');

/**
 * The local stand-in for EventBridge rate schedules: each job runs on its interval, never
 * overlapping itself (a tick that finds the previous run still going is skipped), and a
 * failed run is logged and does not end the schedule.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => console.error(line));
  const names = new Set<string>();
  for (const job of options.jobs) {
    if (names.has(job.name)) throw new Error(`scheduler: the job name ${job.name} is used twice`);
    if (!Number.isSafeInteger(job.everyMs) || job.everyMs <= 0) {
      throw new Error(`scheduler: job ${job.name}: everyMs must be a positive whole number`);
    }
    names.add(job.name);
  }

  let stopped = false;
  const states = new Map<string, JobState>();

  const enqueue = (state: JobState): Promise<void> => {
    state.active++;
    const run = state.tail.then(async () => {
      try {
        await state.job.run(clock.now());
      } catch (error) {
        // The name only: messages may carry data from the records a job touched.
        log(`scheduler: job ${state.job.name} failed (${errorName(error)})`);
        throw error;
      } finally {
        state.active--;
      }
    });
    state.tail = run.catch(() => undefined);
    return run;
  };

  for (const job of options.jobs) {
    const state: JobState = {
      job,
      active: 0,
      tail: Promise.resolve(),
      timer: setInterval(() => {
        if (stopped) return;
        if (state.active > 0) {
          log(`scheduler: job ${job.name} skipped, its previous run is still going`);
          return;
        }
        // Already logged; a failed run must not end the schedule.
        enqueue(state).catch(() => undefined);
      }, job.everyMs),
    };
    states.set(job.name, state);
  }

  let stopping: Promise<void> | undefined;
  return {
    runNow(name) {
      const state = states.get(name);
      if (!state) return Promise.reject(new Error(`scheduler: no job named ${name}`));
      if (stopped) return Promise.reject(new Error('scheduler: stopped'));
      return enqueue(state);
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const state of states.values()) clearInterval(state.timer);
        await Promise.all([...states.values()].map((s) => s.tail));
      })();
      return stopping;
    },
  };
}

/**
 * The event Lambda receives from an EventBridge schedule rule. `time` is the scheduled
 * time in whole seconds, as EventBridge writes it.
 */
export function scheduledEvent(
  ruleName: string,
  region: string,
  account: string,
  time: Date,
): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/${ruleName}`],
    detail: {},
  };
}
