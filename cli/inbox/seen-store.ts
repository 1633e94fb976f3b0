/**
 * The office's record of referrals already handled (`.rex-seen.json` in the key
 * directory): referral ids and what became of them, nothing else. A redelivered
 * notification or a re-announcement of a referral in it is deleted without being
 * decrypted or written again. The file is rewritten atomically (temporary file and
 * rename), mode 0600; entries older than RETAIN_DAYS are dropped, long after any
 * redelivery could arrive.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { CliError } from '#cli/io.ts';
import type { SeenStatus, SeenStore } from './poll.ts';

export const SEEN_FILE = '.rex-seen.json';
export const RETAIN_DAYS = 90;

const SeenFileSchema = z.strictObject({
  version: z.literal(1),
  referrals: z.record(z.string(), z.strictObject({ status: z.enum(['written', 'revoked']), at: z.string() })),
});
type SeenFile = z.infer<typeof SeenFileSchema>;

export const seenFilePath = (keyDir: string): string => join(keyDir, SEEN_FILE);

export class FileSeenStore implements SeenStore {
  readonly #file: string;
  readonly #now: () => Date;
  readonly #state: SeenFile;

  constructor(file: string, now: () => Date = () => new Date()) {
    this.#file = file;
    this.#now = now;
    this.#state = FileSeenStore.#load(file);
  }

  static #load(file: string): SeenFile {
    if (!existsSync(file)) return { version: 1, referrals: {} };
    try {
      return SeenFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // Never start over silently: that would write referrals a second time.
      throw new CliError(`The state file ${file} is damaged; repair or remove it (see docs/rex.md).`);
    }
  }

  status(referralId: string): SeenStatus | undefined {
    return Object.hasOwn(this.#state.referrals, referralId)
      ? this.#state.referrals[referralId]?.status
      : undefined;
  }

  mark(referralId: string, status: SeenStatus): void {
    const now = this.#now();
    const oldest = now.getTime() - RETAIN_DAYS * 86_400_000;
    for (const [id, entry] of Object.entries(this.#state.referrals)) {
      if (Date.parse(entry.at) < oldest) delete this.#state.referrals[id];
    }
    this.#state.referrals[referralId] = { status, at: now.toISOString() };
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.#state, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.#file);
  }
}
