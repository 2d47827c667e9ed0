import type { Claim, SendLedger } from './types';

interface Entry {
  claimedAt: Date;
  providerId: string | null;
  inDoubtResends: number;
}

/**
 * A {@link SendLedger} that lives as long as the process: for tests, and for callers that
 * accept a resend after a restart. The first `record` of a key wins; later ones are no-ops.
 * `entries()` shows the recorded keys and their provider ids.
 */
export function createMemoryLedger(): SendLedger & { entries(): ReadonlyMap<string, string> } {
  const byKey = new Map<string, Entry>();
  const sent = new Map<string, string>();
  return {
    lookup(key) {
      return Promise.resolve(sent.get(key) ?? null);
    },
    claim(key): Promise<Claim> {
      if (key === '') return Promise.reject(new Error('send ledger: key must not be empty'));
      const entry = byKey.get(key);
      if (!entry) {
        byKey.set(key, { claimedAt: new Date(), providerId: null, inDoubtResends: 0 });
        return Promise.resolve({ state: 'new' });
      }
      if (entry.providerId !== null) return Promise.resolve({ state: 'sent', providerId: entry.providerId });
      return Promise.resolve({ state: 'in-doubt', claimedAt: entry.claimedAt });
    },
    record(key, providerId) {
      if (key === '' || providerId === '')
        return Promise.reject(new Error('send ledger: key and providerId must not be empty'));
      const entry = byKey.get(key);
      if (entry?.providerId == null) {
        byKey.set(key, {
          claimedAt: entry?.claimedAt ?? new Date(),
          providerId,
          inDoubtResends: entry?.inDoubtResends ?? 0,
        });
        sent.set(key, providerId);
      }
      return Promise.resolve();
    },
    release(key) {
      const entry = byKey.get(key);
      if (entry && entry.providerId === null && entry.inDoubtResends === 0) byKey.delete(key);
      return Promise.resolve();
    },
    noteInDoubtResend(key) {
      const entry = byKey.get(key) ?? { claimedAt: new Date(), providerId: null, inDoubtResends: 0 };
      entry.inDoubtResends += 1;
      byKey.set(key, entry);
      return Promise.resolve(entry.inDoubtResends);
    },
    cancelInDoubtResend(key) {
      const entry = byKey.get(key);
      if (entry && entry.inDoubtResends > 0) entry.inDoubtResends -= 1;
      return Promise.resolve();
    },
    inDoubtResends(keyPrefix = '') {
      const counts = new Map<string, number>();
      for (const [key, entry] of byKey)
        if (entry.inDoubtResends > 0 && key.startsWith(keyPrefix)) counts.set(key, entry.inDoubtResends);
      return Promise.resolve(counts);
    },
    entries: () => sent,
  };
}
