import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeEvent, describeSummary } from '#cli/commands/inbox.ts';
import { run } from '#cli/rex.ts';
import { captureIo } from './support.ts';

const ID = 'ref_0123456789abcdefghijklmnop';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('rex referral …: refusals before any request', () => {
  it('needs the referral file to forward, without calling the API', async () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    const io = captureIo('/tmp');
    const code = await run(
      ['referral', 'decline', ID, '--reason', 'not-responsible', '--forward-to', 'mbe-x'],
      io,
    );
    expect(code).toBe(2);
    expect(io.err()).toContain('--forward-to needs --data');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('needs a known reason code to decline, and a referral id', async () => {
    const io = captureIo('/tmp');
    expect(await run(['referral', 'decline', ID], io)).toBe(2);
    expect(io.err()).toContain('--reason is required');
    const bad = captureIo('/tmp');
    expect(await run(['referral', 'decline', ID, '--reason', 'busy'], bad)).toBe(2);
    expect(bad.err()).toContain('not-responsible');
    const noId = captureIo('/tmp');
    expect(await run(['referral', 'contacted', 'Max Mustermann'], noId)).toBe(2);
    expect(noId.err()).toContain('is not a referral id');
    expect(await run(['referral', 'close', ID, '--reason', 'bored'], captureIo('/tmp'))).toBe(2);
  });

  it('lists the inbox and referral commands in the usage', async () => {
    const io = captureIo('/tmp');
    expect(await run(['--help'], io)).toBe(0);
    for (const name of [
      'inbox poll',
      'referral show',
      'referral contacted',
      'referral close',
      'referral decline',
    ]) {
      expect(io.out()).toContain(name);
    }
  });
});

describe('rex inbox poll: what it says', () => {
  it('says where a referral went, why a message failed and what happens to it', () => {
    expect(describeEvent({ kind: 'received', referralId: ID, location: '/in/x.json', kid: 'k' })).toBe(
      `received   ${ID} → /in/x.json`,
    );
    const failed = describeEvent({
      kind: 'failed',
      messageId: 'm-1',
      referralId: ID,
      stage: 'decrypt',
      reason: 'unknown-kid (kid k9)',
      receiveCount: 2,
    });
    expect(failed).toContain('cannot decrypt: unknown-kid (kid k9)');
    expect(failed).toContain('dead-letter queue');
    expect(
      describeEvent({ kind: 'revoked', referralId: ID, via: 'receipt-gone', alreadyWritten: false }),
    ).toContain('deleted unread');
    expect(
      describeEvent({ kind: 'revoked', referralId: ID, via: 'revocation', alreadyWritten: true }),
    ).toContain('WARNING');
    expect(describeSummary({ received: 2, duplicates: 1, revoked: 1, failed: 0 })).toBe(
      'Inbox: 2 received, 1 duplicate(s), 1 revoked, 0 failed.',
    );
  });
});
