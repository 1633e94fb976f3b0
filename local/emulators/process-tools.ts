import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A failure the operator can fix, told in one sentence instead of a stack trace. */
export class PlatformError extends Error {
  override name = 'PlatformError';
}

/** Resolves when the TCP port on the host is free to listen on; rejects with a clear sentence otherwise. */
export function assertPortFree(port: number, host: string, what: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(
        new PlatformError(
          `Port ${port} on ${host} for ${what} is already in use: stop whatever uses it, or choose another port (see npm start -- --help).`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Asks the OS for a free port on the host. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Stops a child process: SIGTERM, then SIGKILL after the grace period (a JVM has
 * been seen ignoring SIGTERM). Resolves once the process has exited.
 */
export function stopProcess(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitUntil(
  check: () => Promise<boolean>,
  {
    timeoutMs,
    intervalMs = 100,
    failed,
  }: { timeoutMs: number; intervalMs?: number; failed?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = failed?.();
    if (failure) throw new PlatformError(failure);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new PlatformError(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
