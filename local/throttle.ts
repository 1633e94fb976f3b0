/**
 * A token bucket with API Gateway's semantics: `burst` tokens at most, refilled at
 * `ratePerSecond`; a request without a token is throttled (429). The local gateway
 * enforces the limits the stack deploys (infra/limits.ts).
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes a token; returns 0 when granted, else the seconds until one is available. */
  take(): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.ratePerSecond);
    this.#last = t;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.ratePerSecond));
  }
}
