import { mkdirSync } from 'node:fs';
import { startFauxqs } from 'fauxqs';
import { assertPortFree } from './process-tools.ts';

export interface SqsLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * fauxqs in-process. With a data folder its state (queues and messages) is kept in
 * SQLite across restarts, like DynamoDB Local's, so a referral marked queued still has
 * its message after a restart.
 */
export async function startSqsLocal(options: {
  port: number;
  dataDir?: string;
  region: string;
}): Promise<SqsLocal> {
  await assertPortFree(options.port, '0.0.0.0', 'the SQS emulator');
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = await startFauxqs({
    port: options.port,
    logger: false,
    defaultRegion: options.region,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    stop: () => server.stop(),
  };
}
