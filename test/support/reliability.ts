import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { expect } from 'vitest';
import {
  type InboxMessage,
  type InboxQueue,
  type PollEvent,
  type PollSummary,
  pollInbox,
  type ReceiptApi,
  type ReferralSink,
  type SeenStatus,
  type SeenStore,
} from '#cli/inbox/poll.ts';
import { SqsInbox } from '#cli/inbox/sqs-queue.ts';
import { lambdaContext } from '#local/lambda-context.ts';
import { scheduledEvent } from '#local/scheduler.ts';
import { getLatestAuditCheckpoint, listAuditCheckpoints, listAuditEntries } from '#shared/api/audit.ts';
import { recordConsent } from '#shared/api/consents.ts';
import { acknowledgeReceipt } from '#shared/api/referrals.ts';
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import type { DecryptionKey } from '#shared/domain/crypto/jwe.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import type { ReferralPayloadV1 } from '#shared/schemas/referral.ts';
import { RexApiError } from '#shared/sdk/client.ts';
import { apiEvent, invoke, type ProxyHandler } from './api-events.ts';
import { ACCOUNT_ID, REGION } from './emulators.ts';
import { AUTHORITY, type Person } from './referral-fixture.ts';
import { consentRequest } from './sample-requests.ts';

/**
 * Helpers of the reliability tier (docs/reliability.md): sizes that are small in the
 * normal test run and full under `npm run battery` (REX_BATTERY=1), the figures each
 * promise reports, the office's real inbox loop wired to the emulators and the service
 * handler, a delivery history checker, and the audit log's export and verification.
 */

export const BATTERY = process.env.REX_BATTERY === '1';

/** A size: the CI value, the battery value, or the environment variable when set. */
export function sized(name: string, ci: number, battery: number): number {
  const fromEnv = process.env[name];
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv);
  return BATTERY ? battery : ci;
}

/** Writes a promise's figures where `npm run battery` collects them (REX_FIGURES_DIR); otherwise nothing. */
export function recordFigures(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.REX_FIGURES_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ name, ...figures }, null, 2)}\n`);
}

/** Runs `work` over `items` with at most `limit` in flight, results in input order. */
export async function withConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Every item of a table (paged: a scan answers at most 1 MB). */
export async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, never> | undefined;
  do {
    const out = await client.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
      }),
    );
    items.push(...(out.Items ?? []).map((i) => unmarshall(i)));
    ExclusiveStartKey = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (ExclusiveStartKey);
  return items;
}

/** A sink that keeps what the client wrote, counting writes per referral id. */
export class CountingSink implements ReferralSink {
  readonly writes = new Map<string, number>();
  readonly payloads = new Map<string, ReferralPayloadV1>();
  async write(referral: ReferralPayloadV1) {
    const before = this.writes.get(referral.referralId) ?? 0;
    this.writes.set(referral.referralId, before + 1);
    this.payloads.set(referral.referralId, referral);
    return { written: before === 0, location: `memory:${referral.referralId}` };
  }
  /** Referral ids written more than once. */
  duplicates(): string[] {
    return [...this.writes].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

export class MemorySeenStore implements SeenStore {
  readonly seen = new Map<string, SeenStatus>();
  status(referralId: string) {
    return this.seen.get(referralId);
  }
  mark(referralId: string, status: SeenStatus) {
    this.seen.set(referralId, status);
  }
}

/** The receipt call of the office's client, answered in-process by the service handler. */
export function handlerReceiptApi(
  service: () => ProxyHandler,
  stage: string,
  officeId: string,
  onAnswer?: (status: number) => void,
): ReceiptApi {
  return {
    async acknowledgeReceipt(referralId) {
      const res = await invoke(
        service(),
        apiEvent(acknowledgeReceipt, { principal: `service:${officeId}`, stage, params: { id: referralId } }),
      );
      onAnswer?.(res.status);
      if (res.status >= 400) throw new RexApiError('acknowledgeReceipt', res.body);
      return res.body;
    },
  };
}

/** The office's queue through the CLI's own SQS adapter, pointed at the emulator. */
export function sqsInbox(sqsEndpoint: string, queueUrl: string, officeId: string): SqsInbox {
  return new SqsInbox({
    name: officeId,
    principal: `service:${officeId}`,
    endpoint: 'http://127.0.0.1:1',
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    queueUrl,
    deadLetterUrl: undefined,
    sqsEndpoint,
  });
}

/** One office's client: the real loop, its queue, the handler for receipts, memory for sink and seen-store. */
export interface OfficeClient {
  readonly officeId: string;
  readonly queue: InboxQueue & { destroy?: () => void };
  readonly api: ReceiptApi;
  readonly sink: CountingSink;
  readonly seen: MemorySeenStore;
  readonly events: PollEvent[];
  readonly summaries: PollSummary[];
}

/**
 * Runs every office's inbox loop, one round at least, then until `done()` says so or the
 * deadline passes. A round that halts (a 5xx, a queue refusal) is simply followed by
 * the next, as the `rex inbox poll` service unit restarts.
 */
export async function pollUntil(
  clients: readonly OfficeClient[],
  privateKeys: ReadonlyMap<string, Record<string, unknown>>,
  done: () => boolean,
  options: { timeoutMs: number; visibilityTimeout?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  // At least one round, so that a final call finds anything that came late.
  for (let round = 0; round === 0 || !done(); round++) {
    if (round > 0 && Date.now() > deadline)
      throw new Error('timed out: the inboxes did not deliver everything');
    await Promise.all(
      clients.map(async (c) => {
        const summary = await pollInbox(c, {
          officeId: c.officeId,
          privateKeys: privateKeys as ReadonlyMap<string, DecryptionKey>,
          once: true,
          waitSeconds: 0,
          visibilityTimeout: options.visibilityTimeout,
          onEvent: (e) => c.events.push(e),
        });
        c.summaries.push(summary);
      }),
    );
    if (!done()) await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * An InboxQueue whose delete fails once for the referrals `affects` picks (a crash
 * between receipt and delete).
 */
export function deleteFailsOnce(
  queue: InboxQueue,
  affects: (referralId: string) => boolean = () => true,
): InboxQueue & { failed: Set<string> } {
  const failed = new Set<string>();
  return {
    failed,
    receive: (r) => queue.receive(r),
    release: (m) => queue.release(m),
    async delete(m: InboxMessage) {
      const id = referralIdOf(m.body);
      if (id && affects(id) && !failed.has(id)) {
        failed.add(id);
        throw new Error('connection reset before the delete');
      }
      await queue.delete(m);
    },
  };
}

function referralIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { referralId?: unknown }).referralId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A history in the manner of Jepsen's total-queue checker: every referral the API
 * accepted (202) must end in exactly one delivery to the office's client, or in a
 * documented terminal state (revoked, expired); nothing may be delivered that was not
 * accepted.
 */
export class DeliveryHistory {
  /** Idempotency key → referral ids answered with 202. */
  readonly accepted = new Map<string, Set<string>>();
  /** Answers other than 202, by status. */
  readonly otherAnswers = new Map<number, number>();

  answer(key: string, res: { status: number; body: { referralId?: unknown } }): void {
    if (res.status !== 202) {
      this.otherAnswers.set(res.status, (this.otherAnswers.get(res.status) ?? 0) + 1);
      return;
    }
    const ids = this.accepted.get(key) ?? new Set<string>();
    ids.add(String(res.body.referralId));
    this.accepted.set(key, ids);
  }

  acceptedIds(): Set<string> {
    return new Set([...this.accepted.values()].flatMap((s) => [...s]));
  }

  /** Keys whose 202 answers named more than one referral. */
  splitKeys(): string[] {
    return [...this.accepted].filter(([, ids]) => ids.size > 1).map(([k]) => k);
  }

  check(
    deliveries: ReadonlyMap<string, number>,
    terminal: ReadonlyMap<string, string>,
  ): {
    accepted: number;
    delivered: number;
    lost: string[];
    unexpected: string[];
    duplicated: string[];
    terminal: number;
  } {
    const accepted = this.acceptedIds();
    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const id of accepted) {
      const n = deliveries.get(id) ?? 0;
      if (n > 1) duplicated.push(id);
      if (n === 0 && !['revoked', 'expired'].includes(terminal.get(id) ?? '')) lost.push(id);
    }
    const unexpected = [...deliveries.keys()].filter((id) => !accepted.has(id));
    return {
      accepted: accepted.size,
      delivered: [...deliveries.values()].filter((n) => n > 0).length,
      lost,
      unexpected,
      duplicated,
      terminal: [...accepted].filter((id) => !deliveries.has(id) && terminal.has(id)).length,
    };
  }
}

/**
 * Sequences every pending audit draft (the scheduled sequencer, run until nothing is
 * left), exports the log through the DPO API page by page and verifies it against every
 * signed checkpoint. Returns the entries and the verification result.
 */
export async function sequenceAndVerify(stage: string): Promise<{
  entries: AuditEntry[];
  byEvent: Record<string, number>;
  result: Awaited<ReturnType<typeof verifyLog>>;
  sequencerRuns: number;
}> {
  const sequencer = (await import('#functions/audit-sequencer.ts')).handler as unknown as (
    event: ScheduledEvent,
    context: Context,
  ) => Promise<{ sequenced: number }>;
  const api = (await import('#functions/audit-api.ts')).handler as unknown as ProxyHandler;
  let runs = 0;
  for (;;) {
    runs++;
    const run = await sequencer(
      scheduledEvent('AuditSequencerFunction', REGION, ACCOUNT_ID, new Date()),
      lambdaContext('AuditSequencerFunction', REGION, ACCOUNT_ID),
    );
    if (run.sequenced === 0) break;
    if (runs > 10_000) throw new Error('the sequencer does not come to an end');
  }
  const call = (operation: OperationSpec, query: Record<string, string> = {}) =>
    invoke(api, apiEvent(operation, { principal: 'dpo:lk-karlsruhe', stage, query }));
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const res = await call(listAuditEntries, { limit: '500', ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    entries.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  const notes: string[] = [];
  cursor = undefined;
  for (;;) {
    const res = await call(listAuditCheckpoints, { limit: '500', ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    notes.push(...res.body.items.map((c: { note: string }) => c.note));
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  const latest = await call(getLatestAuditCheckpoint);
  expect(latest.status).toBe(200);
  expect(latest.body.treeSize).toBe(entries.length);
  const result = await verifyLog(entries, { checkpoints: notes, verifierKey: latest.body.verifierKey });
  const byEvent: Record<string, number> = {};
  for (const e of entries) byEvent[e.event] = (byEvent[e.event] ?? 0) + 1;
  return { entries, byEvent, result, sequencerRuns: runs };
}

/**
 * A caller that retries with the same Idempotency-Key — and the same body — after a 5xx,
 * a 429 or a call that did not come back (the handler's time ran out), as the SDK does.
 */
export async function retrying<T extends { status: number }>(
  call: () => Promise<T>,
  attempts = 40,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let res: T | undefined;
    try {
      res = await call();
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    if (res && ((res.status < 500 && res.status !== 429) || attempt >= attempts)) return res;
    await new Promise((r) => setTimeout(r, Math.min(1_000, 20 * 2 ** attempt)));
  }
}

/**
 * Records the person's consent as the authority under `idempotencyKey` through the
 * consents handler, retrying a 5xx or 429 with the same key and the same body (a retry
 * with another body would be refused with 422). Returns the consent id.
 */
export async function recordConsentRetrying(
  consents: ProxyHandler,
  stage: string,
  person: Person,
  idempotencyKey: string,
): Promise<string> {
  const body = consentRequest(person);
  const res = await retrying(() =>
    invoke(consents, apiEvent(recordConsent, { principal: AUTHORITY, stage, idempotencyKey, body })),
  );
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Percentiles of a list of milliseconds. */
export function percentiles(values: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
