import type { CliIo } from '#cli/io.ts';

export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

/** An io that records everything written, with a chosen environment and directory. */
export function captureIo(
  cwd: string,
  env: Record<string, string | undefined> = {},
  options: { tty?: boolean } = {},
): CapturedIo {
  let out = '';
  let err = '';
  return {
    cwd,
    env,
    stdout: {
      write: (t: string) => {
        out += t;
        return true;
      },
    },
    stderr: {
      isTTY: options.tty ?? false,
      write: (t: string) => {
        err += t;
        return true;
      },
    },
    out: () => out,
    err: () => err,
  };
}
