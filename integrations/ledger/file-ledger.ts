/**
 * The send ledger on disk (the embedded default): one JSON line per event, read back into a
 * Map. Survives worker restarts, which is the point: the retry of an activity whose worker
 * crashed after the provider accepted the message finds the key here and does not send again.
 *
 * It is one machine's disk: processes on that machine share it, a worker on another host does
 * not. Production uses the PostgreSQL ledger (postgres-ledger.ts) for that reason.
 *
 * Lines, in the order they were appended (the order is the truth for every reader):
 * - `{ key, providerId, at }` (optionally `type: "sent"`): recorded; the first one for a key wins;
 * - `{ type: "claim", key, token, at }`: a claim before sending; the first one since the key was
 *   last released wins, and its writer is the one that gets `new`;
 * - `{ type: "release", key, at }`: the provider refused; the key may be claimed afresh;
 * - `{ type: "resend", key, delta: 1 | -1, at }`: an in-doubt resend counted or taken back.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { openAppendOnlyLog } from './append-only-log';
import type { Claim, SendLedger } from './types';

const sentLine = z.object({
  type: z.literal('sent').optional(),
  key: z.string().min(1),
  providerId: z.string().min(1),
  at: z.string(),
});
const claimLine = z.object({
  type: z.literal('claim'),
  key: z.string().min(1),
  token: z.string().min(1),
  at: z.string(),
});
const releaseLine = z.object({ type: z.literal('release'), key: z.string().min(1), at: z.string() });
const resendLine = z.object({
  type: z.literal('resend'),
  key: z.string().min(1),
  delta: z.union([z.literal(1), z.literal(-1)]),
  at: z.string(),
});
const ledgerLine = z.union([claimLine, releaseLine, resendLine, sentLine]);
type LedgerLine = z.infer<typeof ledgerLine>;

interface KeyState {
  claim: { token: string; at: Date } | null;
  providerId: string | null;
  resends: number;
}

/**
 * A {@link SendLedger} over the JSON-lines file at `path` (created on first write, directory
 * included). Several instances, in one process or several, may share the file: every read
 * catches up on what the others appended, and when two write the same key the first line in the
 * file wins for everyone (so of two racing claims exactly one is `new`). `record` of a key
 * already recorded is a no-op.
 */
export function createFileLedger(path: string): SendLedger {
  const log = openAppendOnlyLog(path, (value): LedgerLine | null => {
    const parsed = ledgerLine.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  // Built only from lines read back from the file, never set directly: the file's order decides.
  const keys = new Map<string, KeyState>();

  const stateOf = (key: string): KeyState => {
    let state = keys.get(key);
    if (!state) {
      state = { claim: null, providerId: null, resends: 0 };
      keys.set(key, state);
    }
    return state;
  };

  const apply = (line: LedgerLine): void => {
    const state = stateOf(line.key);
    const at = new Date(line.at);
    switch (line.type) {
      case 'claim':
        if (state.claim === null && state.providerId === null) state.claim = { token: line.token, at };
        break;
      case 'release':
        if (state.providerId === null && state.resends === 0) state.claim = null;
        break;
      case 'resend':
        if (line.delta === 1) {
          state.resends += 1;
          state.claim ??= { token: '', at };
        } else if (state.resends > 0) state.resends -= 1;
        break;
      default:
        if (state.providerId === null) state.providerId = line.providerId;
        state.claim ??= { token: '', at };
    }
  };

  const catchUp = async (): Promise<void> => {
    const { records, restarted } = await log.readNew();
    if (restarted) keys.clear();
    for (const line of records) apply(line);
  };

  const answer = (key: string): Claim | null => {
    const state = keys.get(key);
    if (state?.providerId != null) return { state: 'sent', providerId: state.providerId };
    if (state?.claim) return { state: 'in-doubt', claimedAt: state.claim.at };
    return null;
  };

  const now = (): string => new Date().toISOString();

  return {
    async lookup(key) {
      const known = keys.get(key)?.providerId;
      if (known != null) return known;
      await log.exclusive(catchUp);
      return keys.get(key)?.providerId ?? null;
    },
    async claim(key) {
      if (key === '') throw new Error('send ledger: key must not be empty');
      return log.exclusive(async () => {
        await catchUp();
        const existing = answer(key);
        if (existing) return existing;
        const token = randomUUID();
        await log.append({ type: 'claim', key, token, at: now() });
        // Read our line back: a claim another process appended a moment earlier comes first.
        await catchUp();
        if (keys.get(key)?.claim?.token === token) return { state: 'new' };
        return answer(key) ?? { state: 'new' };
      });
    },
    async record(key, providerId) {
      if (key === '' || providerId === '') throw new Error('send ledger: key and providerId must not be empty');
      await log.exclusive(async () => {
        await catchUp();
        if (keys.get(key)?.providerId != null) return;
        await log.append({ type: 'sent', key, providerId, at: now() });
        // Read the line back: if another process recorded the key a moment earlier, its line
        // comes first in the file and is the one every instance reports.
        await catchUp();
      });
    },
    async release(key) {
      await log.exclusive(async () => {
        await catchUp();
        const state = keys.get(key);
        if (!state?.claim || state.providerId !== null || state.resends > 0) return;
        await log.append({ type: 'release', key, at: now() });
        await catchUp();
      });
    },
    async noteInDoubtResend(key) {
      return log.exclusive(async () => {
        await log.append({ type: 'resend', key, delta: 1, at: now() });
        await catchUp();
        return keys.get(key)?.resends ?? 1;
      });
    },
    async cancelInDoubtResend(key) {
      await log.exclusive(async () => {
        await catchUp();
        if ((keys.get(key)?.resends ?? 0) === 0) return;
        await log.append({ type: 'resend', key, delta: -1, at: now() });
        await catchUp();
      });
    },
    async inDoubtResends(keyPrefix = '') {
      await log.exclusive(catchUp);
      const counts = new Map<string, number>();
      for (const [key, state] of keys)
        if (state.resends > 0 && key.startsWith(keyPrefix)) counts.set(key, state.resends);
      return counts;
    },
  };
}
