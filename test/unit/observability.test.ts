import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, metrics } from '#shared/observability.ts';

describe('metrics warnings', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stay silent when an invocation added no metric', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    // Powertools writes its own warnings to a Console of its own on stdout/stderr.
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr])
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    metrics.publishStoredMetrics();
    vi.restoreAllMocks();
    expect(warn).not.toHaveBeenCalled();
    expect(written.filter((line) => line.includes('No application metrics'))).toEqual([]);
  });

  it('reach the structured logger otherwise', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    metrics.addDimension('', 'empty name');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("doesn't meet the requirements");
  });
});
