/**
 * Request limits of the HTTP API. API Gateway enforces them in AWS; they are exported
 * so that the local gateway can enforce the very same numbers.
 */
export const apiThrottle = {
  /** Steady-state requests per second, per stage (all callers together). */
  rateLimitPerSecond: 50,
  /** Requests allowed in a burst above the steady rate. */
  burstLimit: 100,
} as const;

/** API Gateway's own ceiling on a request payload (REST APIs); larger requests get 413. */
export const API_GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Defaults of every function unless its definition (functions/definitions.ts) says otherwise. */
export const functionDefaults = {
  memorySizeMb: 512,
  timeoutSeconds: 10,
} as const;

/** The limits of one function that differ from functionDefaults. */
export interface FunctionLimits {
  /** @default functionDefaults.timeoutSeconds */
  readonly timeoutSeconds?: number;
  /** @default functionDefaults.memorySizeMb */
  readonly memorySizeMb?: number;
  /**
   * Reserved concurrency: also the most instances that may ever run at once.
   * @default none — the function scales with the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
}

/** The most a Lambda function may run. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
