/**
 * The inbox loop of a service office: receive a message from the office's queue,
 * acknowledge the receipt to the API FIRST, only then decrypt, check the referral
 * against the versioned schema and the envelope, write it out, and delete the message.
 *
 * The loop works over small ports (queue, API, sink, seen-store) so that it is tested
 * without network; `cli/commands/inbox.ts` wires in SQS, the SDK and the file system.
 * A message that cannot be read is never deleted: it stays in the queue and, after the
 * queue's maxReceiveCount, moves to the dead-letter queue (`rex dlq list`).
 */
import {
  type DecryptionKey,
  decryptReferral,
  REFERRAL_CONTENT_TYPE,
  ReferralDecryptionFailed,
} from '#shared/domain/crypto/jwe.ts';
import { QueueEnvelope, ReferralIdParams, ReferralPayloadV1 } from '#shared/schemas/referral.ts';
import { RexApiError, RexConnectionError } from '#shared/sdk/client.ts';

export interface InboxMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** How often SQS has handed the message out, this time included (when known). */
  readonly receiveCount?: number | undefined;
}

export interface ReceiveRequest {
  readonly waitSeconds: number;
  readonly maxMessages: number;
  /** Overrides the queue's visibility timeout for the messages received. */
  readonly visibilityTimeout?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The office's own queue. */
export interface InboxQueue {
  receive(request: ReceiveRequest): Promise<InboxMessage[]>;
  delete(message: InboxMessage): Promise<void>;
  /** Makes a received but unhandled message visible again at once (on Ctrl-C). */
  release(message: InboxMessage): Promise<void>;
}

/** The one API call the loop needs (RexClient has it). */
export interface ReceiptApi {
  acknowledgeReceipt(referralId: string): Promise<unknown>;
  /** Confirms an erasure after the files were deleted (absent: erasure requests are left on the queue). */
  confirmErasure?(referralId: string): Promise<unknown>;
}

/** Where decrypted referrals go. `written: false` means it was there already (not overwritten). */
export interface ReferralSink {
  write(referral: ReferralPayloadV1): Promise<{ readonly written: boolean; readonly location: string }>;
  /** Deletes what was written for a referral (an erasure request); absent when nothing is kept (stdout). */
  erase?(referralId: string): Promise<void>;
}

export type SeenStatus = 'written' | 'revoked';

/** Which referrals this office has already handled, kept across runs (dedupe by referral id). */
export interface SeenStore {
  status(referralId: string): SeenStatus | undefined;
  mark(referralId: string, status: SeenStatus): void;
}

export type FailureStage = 'envelope' | 'receipt' | 'decrypt' | 'validate' | 'write';

export type PollEvent =
  | {
      readonly kind: 'received';
      readonly referralId: string;
      readonly location: string;
      readonly kid: string;
    }
  | { readonly kind: 'duplicate'; readonly referralId: string; readonly location?: string }
  | {
      readonly kind: 'revoked';
      readonly referralId: string;
      /** `receipt-gone`: the API answered 410 to the receipt; `revocation`: a revocation message. */
      readonly via: 'receipt-gone' | 'revocation';
      /** Set when the referral had been written before the revocation arrived (the file is kept). */
      readonly alreadyWritten: boolean;
    }
  | {
      readonly kind: 'failed';
      readonly messageId: string;
      readonly referralId?: string | undefined;
      readonly stage: FailureStage;
      readonly reason: string;
      readonly receiveCount?: number | undefined;
    }
  | { readonly kind: 'erased'; readonly referralId: string }
  | { readonly kind: 'halted'; readonly reason: string };

export interface PollSummary {
  /** Referrals decrypted and written in this run. */
  received: number;
  /** Messages of referrals handled before (deleted without writing again). */
  duplicates: number;
  /** Referrals found revoked (each counted once). */
  revoked: number;
  /** Messages left in the queue because they could not be handled. */
  failed: number;
  /** Set when the loop stopped early because going on would fail every message. */
  halted?: string;
}

export interface PollOptions {
  /** The office this client acts for; envelopes addressed elsewhere are refused. */
  readonly officeId: string;
  /** The office's private keys by kid. */
  readonly privateKeys: ReadonlyMap<string, DecryptionKey>;
  /** One round until the queue is empty, then return; otherwise long-poll until `signal`. */
  readonly once: boolean;
  /** Seconds a receive waits for messages: default 1 with `once`, 20 without. */
  readonly waitSeconds?: number;
  readonly visibilityTimeout?: number | undefined;
  /**
   * Waits before retrying a receipt the API answered 429 or 5xx, or that did not reach
   * it. Default 0.25 s, 1 s, 3 s: a short outage must not halt the loop, because every
   * halt releases the batch, and each release counts towards the queue's redrive limit.
   */
  readonly retryDelaysMs?: readonly number[];
  /**
   * Stops the loop after the current message (Ctrl-C). A receive under way is allowed to
   * end and what it brings is released unread: SQS may hand messages to a receive whose
   * connection was dropped, and they would stay hidden for the visibility timeout.
   */
  readonly signal?: AbortSignal | undefined;
  /** Aborts a receive under way at once (a second Ctrl-C). */
  readonly abortWait?: AbortSignal | undefined;
  readonly onEvent?: (event: PollEvent) => void;
}

export interface PollDependencies {
  readonly queue: InboxQueue;
  readonly api: ReceiptApi;
  readonly sink: ReferralSink;
  readonly seen: SeenStore;
}

/** The loop cannot usefully go on (API or queue unreachable, credential refused, disk failing). */
class Halt extends Error {}

/** A queue call that fails fails for every message: stop. */
async function onQueue<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Halt(`stopped: the queue refused to ${what} (${why})`);
  }
}

const referralIdOk = (id: string) => ReferralIdParams.shape.id.safeParse(id).success;

/** An API answer that would be the same for every message: stop instead of failing them all. */
function haltsTheLoop(error: unknown): boolean {
  if (error instanceof RexConnectionError) return true;
  return (
    error instanceof RexApiError &&
    (error.status === 401 || error.status === 403 || error.status === 429 || error.status >= 500)
  );
}

const RECEIPT_RETRY_DELAYS_MS = [250, 1_000, 3_000] as const;

/** An answer that may well be different a moment later: throttled, a server fault, no connection. */
function isTransient(error: unknown): boolean {
  if (error instanceof RexConnectionError) return true;
  return error instanceof RexApiError && (error.status === 429 || error.status >= 500);
}

async function retryingTransient<T>(call: () => Promise<T>, delaysMs: readonly number[]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined || !isTransient(error)) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function describeApiError(error: unknown): string {
  if (error instanceof RexApiError) return `the API answered ${error.status} (${error.code})`;
  if (error instanceof RexConnectionError) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export async function pollInbox(deps: PollDependencies, options: PollOptions): Promise<PollSummary> {
  const summary: PollSummary = { received: 0, duplicates: 0, revoked: 0, failed: 0 };
  const emit = options.onEvent ?? (() => {});
  const revokedThisRun = new Set<string>();
  const handledThisRun = new Set<string>();
  const waitSeconds = options.waitSeconds ?? (options.once ? 1 : 20);
  const stopped = () => options.signal?.aborted === true;

  const fail = (m: InboxMessage, stage: FailureStage, reason: string, referralId?: string) => {
    summary.failed++;
    emit({ kind: 'failed', messageId: m.messageId, referralId, stage, reason, receiveCount: m.receiveCount });
  };
  const revoked = (referralId: string, via: 'receipt-gone' | 'revocation', alreadyWritten: boolean) => {
    if (!revokedThisRun.has(referralId)) summary.revoked++;
    revokedThisRun.add(referralId);
    emit({ kind: 'revoked', referralId, via, alreadyWritten });
  };

  // Interrupted or halted: what was received but not handled becomes visible again at once.
  const release = async (messages: readonly InboxMessage[]) => {
    for (const m of messages) await deps.queue.release(m).catch(() => {});
  };

  async function handle(m: InboxMessage): Promise<void> {
    let envelope: QueueEnvelope;
    try {
      const parsed = QueueEnvelope.safeParse(JSON.parse(m.body));
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => i.path.join('.') || '(envelope)').join(', ');
        return fail(m, 'envelope', `not a queue envelope of version 1 (${fields})`);
      }
      envelope = parsed.data;
    } catch {
      return fail(m, 'envelope', 'the message body is not JSON');
    }
    const id = envelope.referralId;
    if (!referralIdOk(id)) return fail(m, 'envelope', 'the envelope names no valid referral id');
    if (envelope.serviceOfficeId !== options.officeId) {
      return fail(
        m,
        'envelope',
        `addressed to office ${envelope.serviceOfficeId}, not ${options.officeId}`,
        id,
      );
    }
    const seen = deps.seen.status(id);

    if (envelope.type === 'referral.erasure-request') {
      // Ids only: delete the files written for the referral, then confirm to the API.
      if (!deps.api.confirmErasure) return fail(m, 'envelope', 'erasure requests are not handled here', id);
      await deps.sink.erase?.(id);
      await deps.api.confirmErasure(id);
      await onQueue('delete a message', () => deps.queue.delete(m));
      return emit({ kind: 'erased', referralId: id });
    }
    if (envelope.type === 'referral.revocation') {
      // Revocation follows the notification in the referral's FIFO group, so the
      // notification was handled (410, deleted unread) before this arrives.
      if (seen !== 'written') deps.seen.mark(id, 'revoked');
      await onQueue('delete a message', () => deps.queue.delete(m));
      return revoked(id, 'revocation', seen === 'written');
    }

    // A notification or re-announcement.
    if (seen !== undefined) {
      await onQueue('delete a message', () => deps.queue.delete(m));
      summary.duplicates++;
      return emit({ kind: 'duplicate', referralId: id });
    }
    if (envelope.jwe === undefined) return fail(m, 'envelope', 'the notification carries no JWE', id);

    // Receipt before decryption (docs/jwe-format.md §5): nothing is decrypted unless the API says so.
    try {
      await retryingTransient(
        () => deps.api.acknowledgeReceipt(id),
        options.retryDelaysMs ?? RECEIPT_RETRY_DELAYS_MS,
      );
    } catch (error) {
      if (error instanceof RexApiError && error.status === 410) {
        deps.seen.mark(id, 'revoked');
        await onQueue('delete a message', () => deps.queue.delete(m));
        return revoked(id, 'receipt-gone', false);
      }
      fail(m, 'receipt', describeApiError(error), id);
      if (haltsTheLoop(error)) throw new Halt(`stopped: ${describeApiError(error)}`);
      return;
    }

    let payload: unknown;
    let kid: string;
    try {
      const decrypted = await decryptReferral(envelope.jwe, options.privateKeys, {
        expectedCty: REFERRAL_CONTENT_TYPE,
      });
      payload = decrypted.payload;
      kid = decrypted.header.kid;
    } catch (error) {
      if (!(error instanceof ReferralDecryptionFailed)) throw error;
      const kidNote = typeof error.details?.kid === 'string' ? ` (kid ${error.details.kid})` : '';
      return fail(m, 'decrypt', `${error.reason}${kidNote}`, id);
    }

    const referral = ReferralPayloadV1.safeParse(payload);
    if (!referral.success) {
      const fields = [...new Set(referral.error.issues.map((i) => i.path.join('.') || '(payload)'))];
      return fail(m, 'validate', `not a referral of schema v1 (${fields.slice(0, 5).join(', ')})`, id);
    }
    // The platform must not be able to swap ciphertexts between referrals or offices.
    if (referral.data.referralId !== id) {
      return fail(m, 'validate', "the payload's referralId differs from the envelope's", id);
    }
    if (referral.data.serviceOfficeId !== options.officeId) {
      return fail(m, 'validate', "the payload's serviceOfficeId is not this office", id);
    }

    let outcome: { written: boolean; location: string };
    try {
      outcome = await deps.sink.write(referral.data);
    } catch (error) {
      fail(m, 'write', error instanceof Error ? error.message : String(error), id);
      throw new Halt('stopped: cannot write referrals');
    }
    deps.seen.mark(id, 'written');
    await onQueue('delete a message', () => deps.queue.delete(m));
    if (!outcome.written) {
      summary.duplicates++;
      return emit({ kind: 'duplicate', referralId: id, location: outcome.location });
    }
    summary.received++;
    emit({ kind: 'received', referralId: id, location: outcome.location, kid });
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
        if (stopped() || options.abortWait?.aborted) break; // a second Ctrl-C aborted the wait
        const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new Halt(`stopped: cannot receive from the queue (${why})`);
      }
      // In one round, a message seen again (its visibility ran out) ends the round.
      const fresh = options.once ? batch.filter((m) => !handledThisRun.has(m.messageId)) : batch;
      if (options.once && fresh.length === 0) break;
      for (const [i, m] of fresh.entries()) {
        if (stopped()) {
          await release(fresh.slice(i));
          break;
        }
        if (options.once) handledThisRun.add(m.messageId);
        try {
          await handle(m);
        } catch (error) {
          if (error instanceof Halt) await release(fresh.slice(i));
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
