import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { importJWK, type JWK } from 'jose';
import type { Command, CommandContext } from '#cli/command.ts';
import { type PollEvent, type PollSummary, pollInbox } from '#cli/inbox/poll.ts';
import { FileSeenStore, seenFilePath } from '#cli/inbox/seen-store.ts';
import { SqsInbox } from '#cli/inbox/sqs-queue.ts';
import { DirectorySink, StreamSink } from '#cli/inbox/writers.ts';
import { CliError, type CliIo, UsageError } from '#cli/io.ts';
import { keyDirectory, listLocalKeys } from '#cli/key-store.ts';
import type { DecryptionKey } from '#shared/domain/crypto/jwe.ts';

/** The private keys of the key directory by kid, each imported once. Never prints key material. */
export async function loadPrivateKeys(dir: string): Promise<Map<string, DecryptionKey>> {
  const keys = new Map<string, DecryptionKey>();
  for (const key of listLocalKeys(dir)) {
    if (!key.hasPrivateKey) continue;
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(key.privateKeyFile, 'utf8')) as JWK;
    } catch {
      throw new CliError(`Cannot read the private key file ${key.privateKeyFile}.`);
    }
    try {
      keys.set(key.kid, (await importJWK(jwk, key.alg)) as DecryptionKey);
    } catch {
      throw new CliError(`${key.privateKeyFile} is not a usable ${key.alg} private key.`);
    }
  }
  return keys;
}

const STAGE_TEXT = {
  envelope: 'unreadable envelope',
  receipt: 'receipt failed',
  decrypt: 'cannot decrypt',
  validate: 'invalid referral',
  write: 'cannot write',
} as const;

/** One progress line per event on stderr: human, or JSON lines with --json. */
export function describeEvent(event: PollEvent): string {
  switch (event.kind) {
    case 'received':
      return `received   ${event.referralId} → ${event.location}`;
    case 'duplicate':
      return `duplicate  ${event.referralId}: handled before; message deleted, nothing written`;
    case 'revoked':
      if (event.alreadyWritten) {
        return `revoked    ${event.referralId}: WARNING: revoked after it was written here. The file is kept; stop working with it and delete it under your own procedure.`;
      }
      return event.via === 'receipt-gone'
        ? `revoked    ${event.referralId}: revoked or expired before receipt (410); message deleted unread`
        : `revoked    ${event.referralId}: revocation notice; nothing was decrypted or written`;
    case 'failed': {
      const what = event.referralId ?? `message ${event.messageId}`;
      const count = event.receiveCount === undefined ? '' : ` (received ${event.receiveCount} time(s))`;
      return `FAILED     ${what}: ${STAGE_TEXT[event.stage]}: ${event.reason}. Left in the queue${count}; it moves to the dead-letter queue after 5 receives.`;
    }
    case 'erased':
      return `erased     ${event.referralId}: erasure request; its file deleted and the erasure confirmed`;
    case 'halted':
      return `HALTED     ${event.reason}`;
  }
}

export function describeSummary(s: PollSummary): string {
  return `Inbox: ${s.received} received, ${s.duplicates} duplicate(s), ${s.revoked} revoked, ${s.failed} failed.${s.halted ? ` ${s.halted}.` : ''}`;
}

export function seconds(value: unknown, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new UsageError(`--${name} must be a whole number of seconds from 0 to ${max}.`);
  }
  return n;
}

/**
 * Ctrl-C: finish the current message and the receive under way (up to --wait seconds),
 * then stop. A second Ctrl-C aborts the wait at once; a third is left to the default.
 */
export function interruptSignals(io: CliIo): {
  stop: AbortSignal;
  abortWait: AbortSignal;
  dispose: () => void;
} {
  const stop = new AbortController();
  const abortWait = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      io.stderr.write('Interrupted: finishing the current message and wait; Ctrl-C again to stop at once.\n');
      stop.abort();
      return;
    }
    process.off('SIGINT', onSigint);
    abortWait.abort();
  };
  process.on('SIGINT', onSigint);
  return { stop: stop.signal, abortWait: abortWait.signal, dispose: () => process.off('SIGINT', onSigint) };
}

async function poll(ctx: CommandContext): Promise<number> {
  const profile = ctx.profile();
  const once = ctx.values.once === true;
  const visibilityTimeout = seconds(ctx.values['visibility-timeout'], 'visibility-timeout', 43_200);
  const waitSeconds = seconds(ctx.values.wait, 'wait', 20);
  const keyDir = keyDirectory(ctx.values['key-dir'] as string | undefined, profile.name, ctx.io.cwd);
  const privateKeys = await loadPrivateKeys(keyDir);
  if (privateKeys.size === 0) {
    throw new CliError(
      `No private keys in ${keyDir}. Generate and publish one: rex keys generate, rex keys publish.`,
    );
  }
  const officeId = await ctx.officeId();
  const out = ctx.values.out as string | undefined;
  const sink = out ? new DirectorySink(resolve(ctx.io.cwd, out)) : new StreamSink(ctx.io.stdout);
  const seen = new FileSeenStore(seenFilePath(keyDir));
  const queue = new SqsInbox(profile);
  const line = (event: PollEvent) =>
    ctx.io.stderr.write(ctx.json ? `${JSON.stringify({ event })}\n` : `${describeEvent(event)}\n`);
  if (!ctx.json) {
    ctx.io.stderr.write(
      once
        ? `Polling the inbox of ${officeId} once…\n`
        : `Polling the inbox of ${officeId}; Ctrl-C to stop.\n`,
    );
  }
  const interrupt = interruptSignals(ctx.io);
  try {
    const summary = await pollInbox(
      { queue, api: ctx.client(), sink, seen },
      {
        officeId,
        privateKeys,
        once,
        visibilityTimeout,
        ...(waitSeconds !== undefined ? { waitSeconds } : {}),
        signal: interrupt.stop,
        abortWait: interrupt.abortWait,
        onEvent: line,
      },
    );
    ctx.io.stderr.write(ctx.json ? `${JSON.stringify({ summary })}\n` : `${describeSummary(summary)}\n`);
    return summary.failed > 0 || summary.halted ? 1 : 0;
  } finally {
    interrupt.dispose();
    queue.destroy();
  }
}

export const inboxPollCommand: Command = {
  name: 'inbox poll',
  summary: "Receive, acknowledge, decrypt and write out the office's referrals",
  help: `Usage: rex inbox poll [--once] [--out <dir>] [--profile <name>] [--key-dir <dir>]

For each message of the office's queue: acknowledge the receipt to the API first
(a revoked referral answers 410 and its message is deleted unread), then decrypt
it with the private key its kid names, check it against the referral schema v1
and the envelope, write it out and delete the message. A message that cannot be
read is reported and left in the queue: after 5 receives it moves to the
dead-letter queue (rex dlq list). Referrals already handled are not written again
(state file .rex-seen.json in the key directory).

Progress and a summary go to stderr; the exit code is 1 if any message failed.

  --once                   empty the queue once, then exit (default: long-poll until Ctrl-C)
  --out <dir>              write <referral-id>.json files (mode 0600) into dir
                           (default: one JSON document per line on stdout)
  --wait <s>               how long one receive waits for messages, 0–20
                           (default: 20, or 1 with --once); Ctrl-C waits for it to end
  --visibility-timeout <s> how long a received message stays hidden from other
                           readers (default: the queue's, 120 s)
  --key-dir <dir>          where the private keys live (default .local/keys/<profile>/)
  --profile <name>         profile with queueUrl (default: REX_PROFILE)
  --profiles <file>        profile file (default: REX_PROFILES, else .local/credentials.json)
  --json                   progress and summary on stderr as JSON lines`,
  options: {
    once: { type: 'boolean' },
    out: { type: 'string' },
    'visibility-timeout': { type: 'string' },
    wait: { type: 'string' },
    'key-dir': { type: 'string' },
  },
  needsProfile: true,
  run: (ctx) => poll(ctx),
};
