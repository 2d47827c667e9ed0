/**
 * The send ledger on disk: one JSON line per message handed to a provider, read back into a
 * Map. Survives worker restarts, which is the point: the retry of an activity whose worker
 * crashed after the provider accepted the message finds the key here and does not send again.
 */
import { z } from 'zod';
import { openAppendOnlyLog } from './append-only-log';
import type { SendLedger } from './types';

const ledgerLine = z.object({
  key: z.string().min(1),
  providerId: z.string().min(1),
  at: z.string(),
});
type LedgerLine = z.infer<typeof ledgerLine>;

/**
 * A {@link SendLedger} over the JSON-lines file at `path` (created on first record, directory
 * included). Several instances, in one process or several, may share the file: a lookup that
 * misses re-reads what the others appended, and when two record the same key the first line in
 * the file wins for everyone. `record` of a key already present is a no-op.
 */
export function createFileLedger(path: string): SendLedger {
  const log = openAppendOnlyLog(path, (value): LedgerLine | null => {
    const parsed = ledgerLine.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  const sent = new Map<string, string>();

  const catchUp = async (): Promise<void> => {
    const { records, restarted } = await log.readNew();
    if (restarted) sent.clear();
    for (const line of records) {
      if (!sent.has(line.key)) sent.set(line.key, line.providerId);
    }
  };

  return {
    async lookup(key) {
      const known = sent.get(key);
      if (known !== undefined) return known;
      await log.exclusive(catchUp);
      return sent.get(key) ?? null;
    },
    async record(key, providerId) {
      if (key === '' || providerId === '') throw new Error('send ledger: key and providerId must not be empty');
      await log.exclusive(async () => {
        await catchUp();
        if (sent.has(key)) return;
        await log.append({ key, providerId, at: new Date().toISOString() });
        // Read the line back: if another process recorded the key a moment earlier, its line
        // comes first in the file and is the one every instance reports.
        await catchUp();
      });
    },
  };
}
