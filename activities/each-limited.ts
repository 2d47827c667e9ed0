/**
 * The one bounded-concurrency loop of the send paths: the incident's notification activities
 * and the incident benchmark's no-engine floor (scripts/bench-worker.ts) send through it, so the
 * floor is driven exactly as the activity is.
 */

/**
 * Runs `fn` over `items` in order, at most `limit` at a time (at least one). With `signal`, takes
 * no further item once it is aborted. If `fn` rejects or the signal aborts, no further item is
 * taken, and the run rejects with the first such error only after the items already started have
 * ended: nothing keeps sending after the caller has been told the run failed (an activity retried
 * meanwhile would find those sends' ledger claims in doubt).
 */
export async function eachLimited<T>(
  items: readonly T[],
  { limit, signal }: { limit: number; signal?: AbortSignal },
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const stop = (error: unknown) => {
    if (failed) return;
    failed = true;
    firstError = error;
  };
  const runner = async () => {
    while (!failed && next < items.length) {
      if (signal?.aborted) {
        stop(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
        return;
      }
      const item = items[next++]!;
      await fn(item).catch(stop);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
  if (failed) throw firstError;
}
