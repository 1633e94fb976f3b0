/**
 * Where `rex inbox poll` puts decrypted referrals: one file per referral in a
 * directory (`<referral-id>.json`, mode 0600, in a 0700 directory, never
 * overwritten), or one JSON document per line on stdout.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReferralPayloadV1 } from '#shared/schemas/referral.ts';
import type { ReferralSink } from './poll.ts';

export const referralFile = (dir: string, referralId: string): string => join(dir, `${referralId}.json`);

export class DirectorySink implements ReferralSink {
  constructor(readonly dir: string) {}

  async write(referral: ReferralPayloadV1): Promise<{ written: boolean; location: string }> {
    const file = referralFile(this.dir, referral.referralId);
    if (existsSync(file)) return { written: false, location: file };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Written under a temporary name and linked into place: a crash never leaves a
    // half-written referral under its final name, and an existing file is never replaced.
    const temporary = join(this.dir, `.${referral.referralId}.${process.pid}.tmp`);
    try {
      writeFileSync(temporary, `${JSON.stringify(referral, null, 2)}\n`, { mode: 0o600 });
      chmodSync(temporary, 0o600);
      try {
        linkSync(temporary, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { written: false, location: file };
        throw error;
      }
      return { written: true, location: file };
    } finally {
      try {
        unlinkSync(temporary);
      } catch {
        // already gone
      }
    }
  }

  /** An erasure request: the referral's file goes; nothing there is no error. */
  async erase(referralId: string): Promise<void> {
    try {
      unlinkSync(referralFile(this.dir, referralId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

export class StreamSink implements ReferralSink {
  constructor(private readonly out: { write(text: string): unknown }) {}

  async write(referral: ReferralPayloadV1): Promise<{ written: boolean; location: string }> {
    this.out.write(`${JSON.stringify(referral)}\n`);
    return { written: true, location: 'stdout' };
  }
}
