/** Small statistics helpers for the bench. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[at]!;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** A figure that must be finite and positive, or the bench fails: nonsense, not slowness. */
export function sane(name: string, value: number, range: { min?: number; max?: number } = {}): number {
  const min = range.min ?? 0;
  if (!Number.isFinite(value) || value <= min || (range.max !== undefined && value > range.max)) {
    throw new Error(
      `bench sanity check failed: ${name} = ${value} (expected > ${min}${range.max !== undefined ? ` and ≤ ${range.max}` : ''})`,
    );
  }
  return value;
}

/** Runs `task` with `concurrency` workers until `until()` is false; bounded by `maxTasks`. */
export async function pool(
  concurrency: number,
  maxTasks: number,
  until: () => boolean,
  task: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (until() && next < maxTasks) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next;
}
