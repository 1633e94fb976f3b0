import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventPollEvent, pollEvents } from '#cli/events/poll.ts';
import { eventsSeenPath, FileEventSeenStore, FileEventSink } from '#cli/events/store.ts';
import type { InboxMessage, InboxQueue, ReceiveRequest } from '#cli/inbox/poll.ts';
import type { AuthorityEventMessage } from '#shared/sdk/events.ts';

/** `rex events poll` over in-memory ports: write, dedupe by event id, delete, leave the unreadable. */

class FakeQueue implements InboxQueue {
  readonly deleted: string[] = [];
  readonly released: string[] = [];
  constructor(private messages: InboxMessage[]) {}
  async receive(_r: ReceiveRequest) {
    const batch = this.messages.filter((m) => !this.deleted.includes(m.messageId));
    this.messages = [];
    return batch;
  }
  async delete(m: InboxMessage) {
    this.deleted.push(m.messageId);
  }
  async release(m: InboxMessage) {
    this.released.push(m.messageId);
  }
}

const event = (version: number, overrides: Partial<AuthorityEventMessage> = {}): AuthorityEventMessage => ({
  type: 'referral.contacted',
  schemaVersion: 1,
  eventId: `evt_${'0'.repeat(26)}_${version}`,
  referralId: `ref_${'0'.repeat(26)}`,
  authorityId: 'abh-lk-karlsruhe',
  serviceOfficeId: 'mbe-caritas-bruchsal',
  status: 'contacted',
  at: '2026-03-02T12:00:00.000Z',
  ...overrides,
});
const message = (id: string, body: unknown): InboxMessage => ({
  messageId: id,
  receiptHandle: `h-${id}`,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  receiveCount: 1,
});

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('pollEvents', () => {
  it('writes each new event once, deletes it, and deletes a redelivery without writing it again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rex-events-'));
    const out = join(dir, 'events.ndjson');
    const seen = new FileEventSeenStore(eventsSeenPath(join(dir, 'state')));
    const queue = new FakeQueue([
      message('m1', event(3)),
      message('m2', event(4, { type: 'referral.closed', status: 'closed', reason: 'person-moved' })),
      message('m3', event(3)),
    ]);
    const progress: EventPollEvent[] = [];
    const summary = await pollEvents(
      { queue, sink: new FileEventSink(out), seen },
      { authorityId: 'abh-lk-karlsruhe', once: true, onEvent: (e) => progress.push(e) },
    );
    expect(summary).toEqual({ events: 2, duplicates: 1, failed: 0 });
    expect(queue.deleted).toEqual(['m1', 'm2', 'm3']);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['referral.contacted', 'referral.closed']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(progress.map((p) => p.kind)).toEqual(['event', 'event', 'duplicate']);
    // A later run remembers what was handled.
    const again = new FileEventSeenStore(eventsSeenPath(join(dir, 'state')));
    expect(again.has(event(3).eventId)).toBe(true);
  });

  it("leaves unreadable messages and another authority's events in the queue, and fails the run", async () => {
    const written: AuthorityEventMessage[] = [];
    const queue = new FakeQueue([
      message('bad-json', '{'),
      message('bad-shape', { ...event(2), schemaVersion: 2 }),
      message('foreign', event(5, { authorityId: 'abh-bruchsal' })),
      message('good', event(6)),
    ]);
    const summary = await pollEvents(
      {
        queue,
        sink: {
          write: async (e) => {
            written.push(e);
            return { location: 'memory' };
          },
        },
        seen: { has: () => false, mark: () => {} },
      },
      { authorityId: 'abh-lk-karlsruhe', once: true },
    );
    expect(summary).toEqual({ events: 1, duplicates: 0, failed: 3 });
    expect(queue.deleted).toEqual(['good']);
    expect(written.map((e) => e.eventId)).toEqual([event(6).eventId]);
  });

  it('halts when it cannot write, releasing what it has not handled', async () => {
    const queue = new FakeQueue([message('m1', event(1)), message('m2', event(2))]);
    const summary = await pollEvents(
      {
        queue,
        sink: {
          write: async () => {
            throw new Error('disk full');
          },
        },
        seen: { has: () => false, mark: () => {} },
      },
      { authorityId: 'abh-lk-karlsruhe', once: true },
    );
    expect(summary.halted).toMatch(/cannot write/);
    expect(queue.deleted).toEqual([]);
    expect(queue.released).toEqual(['m1', 'm2']);
  });
});
