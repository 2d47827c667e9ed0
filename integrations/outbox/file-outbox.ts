/**
 * The embedded outbox on disk: every email and SMS the journeys "sent" without a mail server or
 * SMS provider, as JSON lines, so the portal can show them and they survive a restart.
 */
import { openAppendOnlyLog } from '../ledger/append-only-log';
import { dedupeKey, filterEntries, newEntry, outboxEntrySchema } from './entries';
import type { Outbox, OutboxEntry } from './types';

export { createMemoryOutbox } from './memory-outbox';

/**
 * An {@link Outbox} over the append-only JSON-lines file at `path` (created, with its directory,
 * on the first append). `append` is idempotent per (channel, idempotencyKey): it returns the
 * entry already stored. The worker and the API may open the same file: each re-reads what the
 * other appended before answering, and if both append the same key at the same instant the
 * first line in the file is the one everybody lists.
 */
export function createFileOutbox(path: string): Outbox {
  const log = openAppendOnlyLog(path, (value): OutboxEntry | null => {
    const parsed = outboxEntrySchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  let entries: OutboxEntry[] = [];
  const byKey = new Map<string, OutboxEntry>();

  const catchUp = async (): Promise<void> => {
    const { records, restarted } = await log.readNew();
    if (restarted) {
      entries = [];
      byKey.clear();
    }
    for (const entry of records) {
      const key = dedupeKey(entry.channel, entry.idempotencyKey);
      if (byKey.has(key)) continue;
      byKey.set(key, entry);
      entries.push(entry);
    }
  };

  return {
    append(input) {
      return log.exclusive(async () => {
        await catchUp();
        const existing = byKey.get(dedupeKey(input.channel, input.idempotencyKey));
        if (existing) return existing;
        const entry = newEntry(input, new Date());
        await log.append(entry);
        // Read our own line back rather than assuming it is ours: another process may have
        // appended the same key a moment earlier, and then its line is the stored one.
        await catchUp();
        return byKey.get(dedupeKey(entry.channel, entry.idempotencyKey)) ?? entry;
      });
    },
    list(filter) {
      return log.exclusive(async () => {
        await catchUp();
        return filterEntries(entries, filter);
      });
    },
  };
}
