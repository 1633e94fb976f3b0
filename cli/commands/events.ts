import { resolve } from 'node:path';
import type { Command, CommandContext } from '#cli/command.ts';
import { interruptSignals, seconds } from '#cli/commands/inbox.ts';
import { type EventPollEvent, type EventPollSummary, pollEvents } from '#cli/events/poll.ts';
import { eventsSeenPath, FileEventSeenStore, FileEventSink, StreamEventSink } from '#cli/events/store.ts';
import { SqsInbox } from '#cli/inbox/sqs-queue.ts';
import { UsageError } from '#cli/io.ts';

/** One progress line per event on stderr: human, or JSON lines with --json. */
export function describeEventPoll(e: EventPollEvent): string {
  switch (e.kind) {
    case 'event': {
      const { event } = e;
      const extra = [
        event.reason ? `reason ${event.reason}` : '',
        event.reminder ? `reminder ${event.reminder}` : '',
        event.forwardedTo ? `forwarded to ${event.forwardedTo}` : '',
        event.forwardedFrom ? `forwarded from ${event.forwardedFrom}` : '',
      ].filter(Boolean);
      return `${event.type.padEnd(25)} ${event.referralId}  ${event.at}  ${event.serviceOfficeId}${extra.length ? `  (${extra.join(', ')})` : ''}`;
    }
    case 'duplicate':
      return `duplicate                 ${e.referralId}: event ${e.eventId} handled before; message deleted, nothing written`;
    case 'failed': {
      const count = e.receiveCount === undefined ? '' : ` (received ${e.receiveCount} time(s))`;
      return `FAILED                    message ${e.messageId}: ${e.reason}. Left in the queue${count}; it moves to the dead-letter queue after 5 receives.`;
    }
    case 'halted':
      return `HALTED                    ${e.reason}`;
  }
}

export function describeEventSummary(s: EventPollSummary): string {
  return `Events: ${s.events} new, ${s.duplicates} duplicate(s), ${s.failed} failed.${s.halted ? ` ${s.halted}.` : ''}`;
}

async function poll(ctx: CommandContext): Promise<number> {
  const profile = ctx.profile();
  const once = ctx.values.once === true;
  const visibilityTimeout = seconds(ctx.values['visibility-timeout'], 'visibility-timeout', 43_200);
  const waitSeconds = seconds(ctx.values.wait, 'wait', 20);
  const authorityId = await ctx.authorityId();
  const stateDir = resolve(
    ctx.io.cwd,
    (ctx.values['state-dir'] as string | undefined) ?? `.local/events/${profile.name}`,
  );
  const out = ctx.values.out as string | undefined;
  if (out === '') throw new UsageError('--out needs a file name.');
  const sink = out ? new FileEventSink(resolve(ctx.io.cwd, out)) : new StreamEventSink(ctx.io.stdout);
  const seen = new FileEventSeenStore(eventsSeenPath(stateDir));
  const queue = new SqsInbox(profile);
  const line = (e: EventPollEvent) =>
    ctx.io.stderr.write(ctx.json ? `${JSON.stringify({ event: e })}\n` : `${describeEventPoll(e)}\n`);
  if (!ctx.json) {
    ctx.io.stderr.write(
      once
        ? `Polling the events of ${authorityId} once…\n`
        : `Polling the events of ${authorityId}; Ctrl-C to stop.\n`,
    );
  }
  const interrupt = interruptSignals(ctx.io);
  try {
    const summary = await pollEvents(
      { queue, sink, seen },
      {
        authorityId,
        once,
        visibilityTimeout,
        ...(waitSeconds !== undefined ? { waitSeconds } : {}),
        signal: interrupt.stop,
        abortWait: interrupt.abortWait,
        onEvent: line,
      },
    );
    ctx.io.stderr.write(ctx.json ? `${JSON.stringify({ summary })}\n` : `${describeEventSummary(summary)}\n`);
    return summary.failed > 0 || summary.halted ? 1 : 0;
  } finally {
    interrupt.dispose();
    queue.destroy();
  }
}

export const eventsPollCommand: Command = {
  name: 'events poll',
  summary: "Receive the status events of the authority's referrals and write them out",
  help: `Usage: rex events poll [--once] [--out <file>] [--profile <name>] [--state-dir <dir>]

For each message of the authority's event queue: check it against the event schema
(docs/referrals.md, events), write it out as one JSON line and delete the message.
Events carry ids, status codes and times, never personal data. An event handled
before (same eventId) is deleted without being written again (state file
.rex-events-seen.json in the state directory). A message that cannot be read is
reported and left in the queue: after 5 receives it moves to the dead-letter queue.

Progress and a summary go to stderr; the exit code is 1 if any message failed.

  --once                   empty the queue once, then exit (default: long-poll until Ctrl-C)
  --out <file>             append the events to this file, one JSON line each (mode 0600)
                           (default: stdout)
  --wait <s>               how long one receive waits for messages, 0–20
                           (default: 20, or 1 with --once)
  --visibility-timeout <s> how long a received message stays hidden from other readers
  --state-dir <dir>        where the state file lives (default .local/events/<profile>/)
  --profile <name>         an authority profile with queueUrl (default: REX_PROFILE)
  --profiles <file>        profile file (default: REX_PROFILES, else .local/credentials.json)
  --json                   progress and summary on stderr as JSON lines`,
  options: {
    once: { type: 'boolean' },
    out: { type: 'string' },
    'visibility-timeout': { type: 'string' },
    wait: { type: 'string' },
    'state-dir': { type: 'string' },
  },
  needsProfile: true,
  run: (ctx) => poll(ctx),
};
