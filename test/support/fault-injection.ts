import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Faults for the SDK clients the handlers use, added as middleware (no code path of the
 * product changes). Three kinds, each with its own rate:
 * - `retryable`: a throttling or 5xx answer before the request reaches the emulator, in
 *   the finalizeRequest step below the SDK's retry middleware, so the SDK retries it;
 * - `lostResponse`: the request reaches the emulator and takes effect, but the answer is
 *   lost (a 5xx after the fact), also below the retry middleware — the SDK sends again;
 * - `surfaced`: a 5xx in the initialize step, above the retry middleware, so it reaches
 *   the handler (which answers 5xx, and the caller retries).
 */
export interface FaultRates {
  retryable: number;
  lostResponse: number;
  surfaced: number;
}

export interface FaultInjector {
  readonly rates: FaultRates;
  readonly injected: { retryable: number; lostResponse: number; surfaced: number };
  /** Commands that were failed, by name and kind. */
  readonly byCommand: Map<string, number>;
  set(rates: Partial<FaultRates>): void;
  off(): void;
}

function serviceError(kind: 'throttling' | 'server'): Error {
  const error = new Error(kind === 'throttling' ? 'Rate exceeded (injected)' : 'Internal error (injected)');
  Object.assign(error, {
    name: kind === 'throttling' ? 'ThrottlingException' : 'InternalServerError',
    $fault: kind === 'throttling' ? 'client' : 'server',
    $metadata: { httpStatusCode: kind === 'throttling' ? 400 : 500, attempts: 1, totalRetryDelay: 0 },
  });
  return error;
}

export function injectFaults(
  clients: readonly (DynamoDBClient | SQSClient)[],
  random = Math.random,
): FaultInjector {
  const injector: FaultInjector = {
    rates: { retryable: 0, lostResponse: 0, surfaced: 0 },
    injected: { retryable: 0, lostResponse: 0, surfaced: 0 },
    byCommand: new Map(),
    set(rates) {
      Object.assign(injector.rates, rates);
    },
    off() {
      Object.assign(injector.rates, { retryable: 0, lostResponse: 0, surfaced: 0 });
    },
  };
  const count = (kind: keyof FaultRates, command: unknown) => {
    injector.injected[kind]++;
    const key = `${String(command)}:${kind}`;
    injector.byCommand.set(key, (injector.byCommand.get(key) ?? 0) + 1);
  };
  for (const client of clients) {
    const stack = (client as DynamoDBClient).middlewareStack;
    stack.add(
      (next, context) => async (args) => {
        if (random() < injector.rates.surfaced) {
          count('surfaced', context.commandName);
          throw serviceError('server');
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectSurfacedFaults', priority: 'high' },
    );
    stack.add(
      (next, context) => async (args) => {
        if (random() < injector.rates.retryable) {
          count('retryable', context.commandName);
          throw serviceError(random() < 0.5 ? 'throttling' : 'server');
        }
        const result = await next(args);
        if (random() < injector.rates.lostResponse) {
          count('lostResponse', context.commandName);
          throw serviceError('server');
        }
        return result;
      },
      { step: 'finalizeRequest', name: 'injectRetryableFaults', priority: 'low' },
    );
  }
  return injector;
}
