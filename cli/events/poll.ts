/**
 * The event loop of an authority: receive a message from the authority's own event
 * queue, check it against the event schema, hand it to the sink (a line on stdout, or
 * a line appended to a file) and delete it. An event handled before (same event id) is
 * deleted without being written again; a message that cannot be read is left in the
 * queue and moves to the dead-letter queue after the queue's maxReceiveCount.
 *
 * Ports (queue, sink, seen-store) as in `rex inbox poll`, so that it is tested without
 * network; `cli/commands/events.ts` wires in SQS and the file system.
 */
import type { InboxMessage, InboxQueue } from '#cli/inbox/poll.ts';
import { type AuthorityEventMessage, parseAuthorityEvent } from '#shared/sdk/events.ts';

/** Where handled events go. */
export interface EventSink {
  write(event: AuthorityEventMessage): Promise<{ readonly location: string }>;
}

/** Which events this authority has handled, kept across runs (dedupe by event id). */
export interface EventSeenStore {
  has(eventId: string): boolean;
  mark(eventId: string): void;
}

export type EventPollEvent =
  | { readonly kind: 'event'; readonly event: AuthorityEventMessage; readonly location: string }
  | { readonly kind: 'duplicate'; readonly eventId: string; readonly referralId: string }
  | {
      readonly kind: 'failed';
      readonly messageId: string;
      readonly reason: string;
      readonly receiveCount?: number | undefined;
    }
  | { readonly kind: 'halted'; readonly reason: string };

export interface EventPollSummary {
  events: number;
  duplicates: number;
  failed: number;
  halted?: string;
}

export interface EventPollOptions {
  /** The authority this client acts for; events about another authority are refused. */
  readonly authorityId: string;
  readonly once: boolean;
  readonly waitSeconds?: number;
  readonly visibilityTimeout?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly abortWait?: AbortSignal | undefined;
  readonly onEvent?: (event: EventPollEvent) => void;
}

export interface EventPollDependencies {
  readonly queue: InboxQueue;
  readonly sink: EventSink;
  readonly seen: EventSeenStore;
}

class Halt extends Error {}

const why = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

export async function pollEvents(
  deps: EventPollDependencies,
  options: EventPollOptions,
): Promise<EventPollSummary> {
  const summary: EventPollSummary = { events: 0, duplicates: 0, failed: 0 };
  const emit = options.onEvent ?? (() => {});
  const waitSeconds = options.waitSeconds ?? (options.once ? 1 : 20);
  const stopped = () => options.signal?.aborted === true;
  const handledThisRun = new Set<string>();

  const remove = async (m: InboxMessage) => {
    try {
      await deps.queue.delete(m);
    } catch (error) {
      throw new Halt(`stopped: the queue refused to delete a message (${why(error)})`);
    }
  };
  const fail = (m: InboxMessage, reason: string) => {
    summary.failed++;
    emit({ kind: 'failed', messageId: m.messageId, reason, receiveCount: m.receiveCount });
  };

  async function handle(m: InboxMessage): Promise<void> {
    const parsed = parseAuthorityEvent(m.body);
    if (!parsed.ok) return fail(m, parsed.reason);
    const event = parsed.event;
    if (event.authorityId !== options.authorityId) {
      return fail(m, `an event of authority ${event.authorityId}, not ${options.authorityId}`);
    }
    if (deps.seen.has(event.eventId)) {
      await remove(m);
      summary.duplicates++;
      return emit({ kind: 'duplicate', eventId: event.eventId, referralId: event.referralId });
    }
    let location: string;
    try {
      ({ location } = await deps.sink.write(event));
    } catch (error) {
      fail(m, `cannot write: ${why(error)}`);
      throw new Halt('stopped: cannot write events');
    }
    deps.seen.mark(event.eventId);
    await remove(m);
    summary.events++;
    emit({ kind: 'event', event, location });
  }

  try {
    while (!stopped()) {
      let batch: InboxMessage[];
      try {
        batch = await deps.queue.receive({
          waitSeconds,
          maxMessages: 10,
          visibilityTimeout: options.visibilityTimeout,
          signal: options.abortWait,
        });
      } catch (error) {
        if (stopped() || options.abortWait?.aborted) break;
        throw new Halt(`stopped: cannot receive from the queue (${why(error)})`);
      }
      const fresh = options.once ? batch.filter((m) => !handledThisRun.has(m.messageId)) : batch;
      if (options.once && fresh.length === 0) break;
      for (const [i, m] of fresh.entries()) {
        if (stopped()) {
          for (const rest of fresh.slice(i)) await deps.queue.release(rest).catch(() => {});
          break;
        }
        if (options.once) handledThisRun.add(m.messageId);
        try {
          await handle(m);
        } catch (error) {
          if (error instanceof Halt)
            for (const rest of fresh.slice(i)) await deps.queue.release(rest).catch(() => {});
          throw error;
        }
      }
    }
  } catch (error) {
    if (!(error instanceof Halt)) throw error;
    summary.halted = error.message;
    emit({ kind: 'halted', reason: error.message });
  }
  return summary;
}
