/**
 * The authority client's files for `rex events poll`: the event ids already handled
 * (`.rex-events-seen.json` in the state directory, rewritten atomically, mode 0600,
 * entries dropped after RETAIN_DAYS — long after any redelivery), and the sinks: one
 * JSON line per event on stdout, or appended to a file (mode 0600).
 */
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { CliError } from '#cli/io.ts';
import type { AuthorityEventMessage } from '#shared/sdk/events.ts';
import type { EventSeenStore, EventSink } from './poll.ts';

export const EVENTS_SEEN_FILE = '.rex-events-seen.json';
export const RETAIN_DAYS = 30;

const SeenSchema = z.strictObject({ version: z.literal(1), events: z.record(z.string(), z.string()) });
type Seen = z.infer<typeof SeenSchema>;

export const eventsSeenPath = (stateDir: string): string => join(stateDir, EVENTS_SEEN_FILE);

export class FileEventSeenStore implements EventSeenStore {
  readonly #file: string;
  readonly #now: () => Date;
  readonly #state: Seen;

  constructor(file: string, now: () => Date = () => new Date()) {
    this.#file = file;
    this.#now = now;
    if (!existsSync(file)) this.#state = { version: 1, events: {} };
    else {
      try {
        this.#state = SeenSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      } catch {
        throw new CliError(`The state file ${file} is damaged; repair or remove it (see docs/rex.md).`);
      }
    }
  }

  has(eventId: string): boolean {
    return Object.hasOwn(this.#state.events, eventId);
  }

  mark(eventId: string): void {
    const now = this.#now();
    const oldest = now.getTime() - RETAIN_DAYS * 86_400_000;
    for (const [id, at] of Object.entries(this.#state.events)) {
      if (Date.parse(at) < oldest) delete this.#state.events[id];
    }
    this.#state.events[eventId] = now.toISOString();
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.#state, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.#file);
  }
}

/** One JSON document per line, appended to a file (created with mode 0600). */
export class FileEventSink implements EventSink {
  constructor(readonly file: string) {}

  async write(event: AuthorityEventMessage): Promise<{ location: string }> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    return { location: this.file };
  }
}

export class StreamEventSink implements EventSink {
  constructor(private readonly out: { write(text: string): unknown }) {}

  async write(event: AuthorityEventMessage): Promise<{ location: string }> {
    this.out.write(`${JSON.stringify(event)}\n`);
    return { location: 'stdout' };
  }
}
