import type { SendLedger } from './types';

/**
 * A {@link SendLedger} that lives as long as the process: for tests, and for callers that
 * accept a resend after a restart. The first `record` of a key wins; later ones are no-ops.
 */
export function createMemoryLedger(): SendLedger & { entries(): ReadonlyMap<string, string> } {
  const sent = new Map<string, string>();
  return {
    lookup(key) {
      return Promise.resolve(sent.get(key) ?? null);
    },
    record(key, providerId) {
      if (!sent.has(key)) sent.set(key, providerId);
      return Promise.resolve();
    },
    entries: () => sent,
  };
}
