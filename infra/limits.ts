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

/** Defaults of every function unless its definition says otherwise. */
export const functionDefaults = {
  memorySizeMb: 512,
  timeoutSeconds: 10,
} as const;

/** Settings of one function that differ from functionDefaults. */
export interface FunctionSettings {
  readonly timeoutSeconds?: number;
  readonly memorySizeMb?: number;
  /** Reserved concurrency: also the most instances that may ever run at once. */
  readonly reservedConcurrency?: number;
  /**
   * A folder of the repository copied into the bundle, and the environment variable
   * that tells the function where it lies (`/var/task/<target>`); `buildCommand`, run
   * in the project root before the copy, produces the folder.
   */
  readonly bundledFolder?: {
    readonly source: string;
    readonly target: string;
    readonly envVar: string;
    readonly buildCommand?: string;
  };
}

/**
 * Per-function settings, by function id (functions/manifest.ts).
 *
 * - The audit sequencer runs every minute and must be the only writer of the chain
 *   head: one instance at most, and done (5 s before its timeout, see
 *   functions/audit-sequencer.ts) before the next run is due.
 * - The outbox relay handles up to a batch of stream records in order, each a few
 *   DynamoDB calls and one SQS send.
 * - The deadline job walks up to 31 days of deadline buckets every 15 minutes.
 * - The DPO page serves the built files of web/dpo (web/build.ts) from its bundle.
 */
export const functionSettings: Readonly<Record<string, FunctionSettings>> = {
  AuditSequencerFunction: { timeoutSeconds: 55, reservedConcurrency: 1 },
  OutboxRelayFunction: { timeoutSeconds: 60 },
  ReferralDeadlinesFunction: { timeoutSeconds: 300 },
  DpoPageFunction: {
    bundledFolder: {
      source: '.build/web/dpo',
      target: 'web',
      envVar: 'REX_WEB_DIR',
      buildCommand: 'node --import tsx web/build.ts',
    },
  },
};
