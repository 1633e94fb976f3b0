/**
 * Runs work concurrently across keys and in submission order within a key: each piece
 * of work for a key starts when the one before it for that key has settled (succeeded or
 * failed). The outbox relay uses it to handle a stream batch in parallel while records
 * about the same referral or consent keep their stream order.
 */
export class KeyedOrder {
  readonly #tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Promise<void>): Promise<void> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    this.#tails.set(key, mine);
    const forget = () => {
      if (this.#tails.get(key) === mine) this.#tails.delete(key);
    };
    mine.then(forget, forget);
    return mine;
  }

  /** Keys with work still pending (for tests and diagnostics). */
  get pendingKeys(): number {
    return this.#tails.size;
  }
}
