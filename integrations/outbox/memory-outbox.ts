import { dedupeKey, filterEntries, newEntry } from './entries';
import type { Outbox, OutboxEntry } from './types';

/**
 * An {@link Outbox} in memory, for tests. Same contract as the file outbox: `append` is
 * idempotent per (channel, idempotencyKey) and returns the entry stored first.
 */
export function createMemoryOutbox(): Outbox {
  const entries: OutboxEntry[] = [];
  const byKey = new Map<string, OutboxEntry>();
  return {
    append(input) {
      const key = dedupeKey(input.channel, input.idempotencyKey);
      const existing = byKey.get(key);
      if (existing) return Promise.resolve(existing);
      const entry = newEntry(input, new Date());
      entries.push(entry);
      byKey.set(key, entry);
      return Promise.resolve(entry);
    },
    list(filter) {
      return Promise.resolve(filterEntries(entries, filter));
    },
  };
}
