import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** What a run of the `rex` command printed, and how it ended. */
export interface RexRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const REX = resolve('bin/rex.mjs');

/** Runs the real bin/rex.mjs as a user would: in `cwd`, with the platform's credentials file as profiles. */
export function runRex(
  args: readonly string[],
  options: { cwd: string; profiles: string; env?: Record<string, string> },
): Promise<RexRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [REX, ...args], {
      cwd: options.cwd,
      env: { ...process.env, REX_PROFILES: options.profiles, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}
