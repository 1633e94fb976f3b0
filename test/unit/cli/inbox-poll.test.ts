import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type InboxMessage,
  type InboxQueue,
  type PollEvent,
  type PollOptions,
  pollInbox,
  type ReceiptApi,
  type ReferralSink,
} from '#cli/inbox/poll.ts';
import { FileSeenStore } from '#cli/inbox/seen-store.ts';
import { DirectorySink, StreamSink } from '#cli/inbox/writers.ts';
import { type DecryptionKey, encryptReferral, REFERRAL_CONTENT_TYPE } from '#shared/domain/crypto/jwe.ts';
import { toRecipientKey } from '#shared/domain/crypto/jwks.ts';
import { generateRecipientKeyPair, type RecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { type QueueEnvelope, ReferralPayloadV1 } from '#shared/schemas/referral.ts';
import { RexApiError, RexConnectionError } from '#shared/sdk/client.ts';

const OFFICE = 'mbe-caritas-bruchsal';
const id = (n: number) => `ref_${String(n).padStart(26, '0')}`;

/** Everything the fakes saw, in order: receive, receipt:<id>, decrypt:<kid>, delete:<id>, release:<id>. */
let log: string[];

class FakeQueue implements InboxQueue {
  readonly messages: { message: InboxMessage; visible: boolean; referralId: string }[] = [];
  #next = 1;

  send(body: string, referralId = 'unknown'): string {
    const messageId = `m-${this.#next++}`;
    this.messages.push({
      message: { messageId, receiptHandle: `rh-${messageId}`, body },
      visible: true,
      referralId,
    });
    return messageId;
  }
  async receive(request: { maxMessages: number; visibilityTimeout?: number | undefined }) {
    log.push('receive');
    const out = this.messages.filter((m) => m.visible).slice(0, request.maxMessages);
    for (const m of out) {
      m.message = { ...m.message, receiveCount: (m.message.receiveCount ?? 0) + 1 };
      m.visible = request.visibilityTimeout === 0;
    }
    return out.map((m) => m.message);
  }
  async delete(message: InboxMessage) {
    const i = this.messages.findIndex((m) => m.message.messageId === message.messageId);
    log.push(`delete:${this.messages[i]?.referralId}`);
    if (i >= 0) this.messages.splice(i, 1);
  }
  async release(message: InboxMessage) {
    const m = this.messages.find((x) => x.message.messageId === message.messageId);
    log.push(`release:${m?.referralId}`);
    if (m) m.visible = true;
  }
}

class FakeApi implements ReceiptApi {
  readonly answers = new Map<string, () => Error>();
  async acknowledgeReceipt(referralId: string) {
    log.push(`receipt:${referralId}`);
    const answer = this.answers.get(referralId);
    if (answer) throw answer();
    return {};
  }
  async confirmErasure(referralId: string) {
    log.push(`erasure-confirmed:${referralId}`);
    return {};
  }
}

const problem = (status: number) =>
  new RexApiError('acknowledgeReceipt', {
    type: `tag:referral-exchange,2026:problem:${status === 410 ? 'gone' : 'x'}`,
    title: 't',
    status,
  });

/** Logs each key lookup: decryptReferral looks the key up only to decrypt. */
class LoggingKeys extends Map<string, DecryptionKey> {
  override get(kid: string) {
    log.push(`decrypt:${kid.slice(0, 6)}`);
    return super.get(kid);
  }
}

let pair: RecipientKeyPair;
let other: RecipientKeyPair;
let keys: LoggingKeys;
let dir: string;

function payload(referralId: string, overrides: Record<string, unknown> = {}): ReferralPayloadV1 {
  return ReferralPayloadV1.parse({
    schema: 'referral-exchange.referral.v1',
    referralId,
    consentId: 'con_01',
    createdAt: '2026-11-02T08:00:00.000Z',
    authority: { id: 'abh-lk-karlsruhe', name: 'Ausländerbehörde' },
    serviceOfficeId: OFFICE,
    caseReference: 'ABH-1',
    dataCategories: ['identity', 'address'],
    person: {
      familyName: 'Canaryfam',
      givenNames: 'Canarygiv',
      dateOfBirth: '1981-03-02',
      address: { municipality: '08215009' },
    },
    ...overrides,
  });
}

async function envelope(
  referralId: string,
  options: { type?: QueueEnvelope['type']; body?: unknown; to?: RecipientKeyPair; jwe?: string } = {},
): Promise<string> {
  const type = options.type ?? 'referral.notification';
  const jwe =
    type === 'referral.revocation' || type === 'referral.erasure-request'
      ? undefined
      : (options.jwe ??
        (await encryptReferral(
          (options.body ?? payload(referralId)) as object,
          toRecipientKey((options.to ?? pair).publicJwk),
          { cty: REFERRAL_CONTENT_TYPE },
        )));
  return JSON.stringify({
    type,
    schemaVersion: 1,
    referralId,
    serviceOfficeId: OFFICE,
    createdAt: '2026-11-02T08:00:00.000Z',
    ...(jwe ? { jwe } : {}),
  });
}

function setup() {
  const queue = new FakeQueue();
  const api = new FakeApi();
  const sink = new DirectorySink(join(dir, 'out'));
  const seen = new FileSeenStore(join(dir, 'keys', '.rex-seen.json'));
  const events: PollEvent[] = [];
  const poll = (options: Partial<PollOptions> = {}, overrides: { sink?: ReferralSink } = {}) =>
    pollInbox(
      {
        queue,
        api,
        sink: overrides.sink ?? sink,
        seen: new FileSeenStore(join(dir, 'keys', '.rex-seen.json')),
      },
      {
        officeId: OFFICE,
        privateKeys: keys,
        once: true,
        waitSeconds: 0,
        retryDelaysMs: [0, 0, 0],
        onEvent: (e) => events.push(e),
        ...options,
      },
    );
  return { queue, api, sink, seen, events, poll };
}

beforeAll(async () => {
  pair = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
  other = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
});

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function fresh() {
  log = [];
  dir = mkdtempSync(join(tmpdir(), 'rex-inbox-'));
  dirs.push(dir);
  keys = new LoggingKeys([[pair.kid, pair.privateJwk as DecryptionKey]]);
}

describe('rex inbox poll: the loop', () => {
  it('acknowledges the receipt before decrypting, writes the referral 0600 and deletes the message last', async () => {
    fresh();
    const { queue, poll, events } = setup();
    queue.send(await envelope(id(1)), id(1));

    const summary = await poll();

    expect(log).toEqual([
      'receive',
      `receipt:${id(1)}`,
      `decrypt:${pair.kid.slice(0, 6)}`,
      `delete:${id(1)}`,
      'receive',
    ]);
    const file = join(dir, 'out', `${id(1)}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(payload(id(1)));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys', '.rex-seen.json')).mode & 0o777).toBe(0o600);
    expect(summary).toEqual({ received: 1, duplicates: 0, revoked: 0, failed: 0 });
    expect(events).toEqual([{ kind: 'received', referralId: id(1), location: file, kid: pair.kid }]);
    expect(queue.messages).toEqual([]);
  });

  it('on 410 deletes the message unread and writes nothing', async () => {
    fresh();
    const { queue, api, poll, events } = setup();
    queue.send(await envelope(id(2)), id(2));
    queue.send(await envelope(id(2), { type: 'referral.revocation' }), id(2));
    api.answers.set(id(2), () => problem(410));

    const summary = await poll();

    expect(log.some((l) => l.startsWith('decrypt:'))).toBe(false);
    expect(log).toEqual(['receive', `receipt:${id(2)}`, `delete:${id(2)}`, `delete:${id(2)}`, 'receive']);
    expect(() => statSync(join(dir, 'out', `${id(2)}.json`))).toThrow();
    expect(summary).toEqual({ received: 0, duplicates: 0, revoked: 1, failed: 0 });
    expect(events.map((e) => e.kind === 'revoked' && e.via)).toEqual(['receipt-gone', 'revocation']);
    expect(queue.messages).toEqual([]);
  });

  it('on an erasure request deletes the file written for the referral, then confirms, then deletes the message', async () => {
    fresh();
    const { queue, poll, events } = setup();
    queue.send(await envelope(id(3)), id(3));
    await poll();
    const file = join(dir, 'out', `${id(3)}.json`);
    expect(statSync(file).isFile()).toBe(true);
    log.length = 0;
    queue.send(await envelope(id(3), { type: 'referral.erasure-request' }), id(3));
    await poll();
    expect(() => statSync(file)).toThrow();
    expect(log).toEqual(['receive', `erasure-confirmed:${id(3)}`, `delete:${id(3)}`, 'receive']);
    expect(events.at(-1)).toEqual({ kind: 'erased', referralId: id(3) });
    expect(queue.messages).toEqual([]);
  });

  it('deletes a redelivered notification of a referral already written without decrypting or writing again', async () => {
    fresh();
    const { queue, poll, events } = setup();
    queue.send(await envelope(id(3)), id(3));
    await poll();
    const file = join(dir, 'out', `${id(3)}.json`);
    const before = statSync(file).mtimeMs;

    log = [];
    events.length = 0;
    queue.send(await envelope(id(3), { type: 'referral.re-announcement' }), id(3));
    const again = await poll();

    expect(log).toEqual(['receive', `delete:${id(3)}`, 'receive']);
    expect(again).toEqual({ received: 0, duplicates: 1, revoked: 0, failed: 0 });
    expect(events).toEqual([{ kind: 'duplicate', referralId: id(3) }]);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('never overwrites an existing file, even when the state file does not know the referral', async () => {
    fresh();
    const { queue, poll } = setup();
    queue.send(await envelope(id(4)), id(4));
    await poll();
    rmSync(join(dir, 'keys', '.rex-seen.json'));
    queue.send(await envelope(id(4), { body: payload(id(4), { caseReference: 'OTHER' }) }), id(4));

    const summary = await poll();

    expect(summary).toMatchObject({ received: 0, duplicates: 1, failed: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'out', `${id(4)}.json`), 'utf8')).caseReference).toBe('ABH-1');
    expect(queue.messages).toEqual([]);
  });

  it('leaves an undecryptable message in the queue, reports it, and goes on with the next', async () => {
    fresh();
    const { queue, poll, events } = setup();
    const bad = queue.send(await envelope(id(5), { to: other }), id(5));
    queue.send(await envelope(id(6)), id(6));

    const summary = await poll();

    expect(summary).toEqual({ received: 1, duplicates: 0, revoked: 0, failed: 1 });
    expect(queue.messages.map((m) => m.message.messageId)).toEqual([bad]);
    expect(log).not.toContain(`delete:${id(5)}`);
    expect(events[0]).toMatchObject({
      kind: 'failed',
      referralId: id(5),
      stage: 'decrypt',
      messageId: bad,
      receiveCount: 1,
    });
    expect((events[0] as { reason: string }).reason).toContain('unknown-kid');
    expect(() => statSync(join(dir, 'out', `${id(5)}.json`))).toThrow();
  });

  it('refuses a corrupted JWE and a body that is no envelope, without deleting either', async () => {
    fresh();
    const { queue, poll, events } = setup();
    const jwe = (await envelope(id(7))).match(/"jwe":"([^"]+)"/)![1]!;
    const parts = jwe.split('.');
    parts[3] = `${parts[3]!.slice(0, -4)}AAAA`;
    queue.send(await envelope(id(7), { jwe: parts.join('.') }), id(7));
    queue.send('not json', 'garbage');

    const summary = await poll();

    expect(summary).toMatchObject({ failed: 2, received: 0 });
    expect(events.map((e) => e.kind === 'failed' && e.stage)).toEqual(['decrypt', 'envelope']);
    expect(queue.messages).toHaveLength(2);
  });

  it('refuses a payload whose referral id differs from the envelope (a swapped ciphertext)', async () => {
    fresh();
    const { queue, poll, events } = setup();
    queue.send(await envelope(id(8), { body: payload(id(9)) }), id(8));

    const summary = await poll();

    expect(summary).toMatchObject({ failed: 1, received: 0 });
    expect(events[0]).toMatchObject({ kind: 'failed', stage: 'validate', referralId: id(8) });
    expect(queue.messages).toHaveLength(1);
    expect(() => statSync(join(dir, 'out', `${id(8)}.json`))).toThrow();
    expect(() => statSync(join(dir, 'out', `${id(9)}.json`))).toThrow();
  });

  it('refuses a payload that is not a referral of schema v1, and one addressed to another office', async () => {
    fresh();
    const { queue, poll, events } = setup();
    const { person: _, ...withoutPerson } = payload(id(10));
    queue.send(await envelope(id(10), { body: withoutPerson }), id(10));
    queue.send(
      await envelope(id(11), { body: payload(id(11), { serviceOfficeId: 'mbe-diakonie-bruchsal' }) }),
      id(11),
    );

    const summary = await poll();

    expect(summary).toMatchObject({ failed: 2 });
    expect(events.map((e) => e.kind === 'failed' && e.stage)).toEqual(['validate', 'validate']);
    expect((events[0] as { reason: string }).reason).toContain('person');
  });

  it('counts each referral once in the summary and receives each message once per round', async () => {
    fresh();
    const { queue, api, poll } = setup();
    queue.send(await envelope(id(12)), id(12));
    queue.send(await envelope(id(13), { to: other }), id(13));
    queue.send(await envelope(id(14)), id(14));
    queue.send(await envelope(id(14), { type: 'referral.revocation' }), id(14));
    api.answers.set(id(14), () => problem(410));

    // Visibility 0: the failing message is visible again at once; the round still ends.
    const summary = await poll({ visibilityTimeout: 0 });

    expect(summary).toEqual({ received: 1, duplicates: 0, revoked: 1, failed: 1 });
    expect(log.filter((l) => l === `receipt:${id(13)}`)).toHaveLength(1);
  });

  it('stops instead of failing every message when the API is unreachable or refuses the credential', async () => {
    for (const error of [() => new RexConnectionError('http://api', new Error('x')), () => problem(403)]) {
      fresh();
      const { queue, api, poll, events } = setup();
      queue.send(await envelope(id(15)), id(15));
      queue.send(await envelope(id(16)), id(16));
      api.answers.set(id(15), error);

      const summary = await poll();

      expect(summary.failed).toBe(1);
      expect(summary.halted).toMatch(/^stopped: /);
      expect(log).not.toContain(`receipt:${id(16)}`);
      expect(log.filter((l) => l.startsWith('release:'))).toEqual([`release:${id(15)}`, `release:${id(16)}`]);
      expect(events.at(-1)).toMatchObject({ kind: 'halted' });
    }
  });

  it('retries a receipt answered 503 or 429 and goes on without halting or releasing anything', async () => {
    fresh();
    const { queue, api, poll } = setup();
    queue.send(await envelope(id(19)), id(19));
    queue.send(await envelope(id(20)), id(20));
    let calls = 0;
    api.acknowledgeReceipt = async (referralId: string) => {
      log.push(`receipt:${referralId}`);
      if (referralId === id(19) && calls++ < 2) throw problem(calls === 1 ? 503 : 429);
      return {};
    };

    const summary = await poll();

    expect(summary).toEqual({ received: 2, duplicates: 0, revoked: 0, failed: 0 });
    expect(summary.halted).toBeUndefined();
    expect(log.filter((l) => l === `receipt:${id(19)}`)).toHaveLength(3);
    expect(log.filter((l) => l.startsWith('release:'))).toEqual([]);
  });

  it('leaves a message of an unknown referral (404) for the dead-letter queue and goes on', async () => {
    fresh();
    const { queue, api, poll } = setup();
    queue.send(await envelope(id(17)), id(17));
    queue.send(await envelope(id(18)), id(18));
    api.answers.set(id(17), () => problem(404));

    const summary = await poll();

    expect(summary).toEqual({ received: 1, duplicates: 0, revoked: 0, failed: 1 });
    expect(queue.messages).toHaveLength(1);
  });

  it('finishes the current message on interrupt and makes the rest visible again', async () => {
    fresh();
    const { queue, poll } = setup();
    queue.send(await envelope(id(19)), id(19));
    queue.send(await envelope(id(20)), id(20));
    const controller = new AbortController();
    const sink = new DirectorySink(join(dir, 'out'));
    const interrupting: ReferralSink = {
      async write(referral) {
        controller.abort();
        return sink.write(referral);
      },
    };

    const summary = await poll({ once: false, signal: controller.signal }, { sink: interrupting });

    expect(summary).toEqual({ received: 1, duplicates: 0, revoked: 0, failed: 0 });
    expect(log).toContain(`delete:${id(19)}`);
    expect(log).toContain(`release:${id(20)}`);
    expect(queue.messages.map((m) => m.referralId)).toEqual([id(20)]);
    expect(queue.messages[0]!.visible).toBe(true);
  });

  it('on interrupt during a receive, releases what that receive brought without handling it', async () => {
    fresh();
    const { queue, poll } = setup();
    queue.send(await envelope(id(24)), id(24));
    const controller = new AbortController();
    const receive = queue.receive.bind(queue);
    queue.receive = async (request) => {
      const batch = await receive(request);
      controller.abort(); // Ctrl-C while the receive was under way
      return batch;
    };

    const summary = await poll({ once: false, signal: controller.signal });

    expect(summary).toEqual({ received: 0, duplicates: 0, revoked: 0, failed: 0 });
    expect(log).toEqual(['receive', `release:${id(24)}`]);
    expect(queue.messages[0]!.visible).toBe(true);
  });

  it('reports a revocation of a referral already written, and keeps the file', async () => {
    fresh();
    const { queue, poll, events } = setup();
    queue.send(await envelope(id(21)), id(21));
    queue.send(await envelope(id(21), { type: 'referral.revocation' }), id(21));

    const summary = await poll();

    expect(summary).toEqual({ received: 1, duplicates: 0, revoked: 1, failed: 0 });
    expect(events[1]).toEqual({
      kind: 'revoked',
      referralId: id(21),
      via: 'revocation',
      alreadyWritten: true,
    });
    expect(statSync(join(dir, 'out', `${id(21)}.json`)).isFile()).toBe(true);
  });

  it('writes one JSON document per line to a stream', async () => {
    let out = '';
    const sink = new StreamSink({ write: (t: string) => (out += t) });
    await sink.write(payload(id(22)));
    await sink.write(payload(id(23)));
    expect(
      out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).referralId),
    ).toEqual([id(22), id(23)]);
  });
});
