/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, and
 * returns that value; after `timeoutMs` it throws, naming `what` it waited for.
 */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what = 'the outcome',
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
