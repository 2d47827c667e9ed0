/** What the file and memory outboxes share: the entry schema, ids and the list filter. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Outbox, OutboxEntry } from './types';

export const outboxEntrySchema = z.object({
  id: z.string().min(1),
  channel: z.enum(['email', 'sms']),
  to: z.string().min(1),
  toName: z.string().nullable(),
  subject: z.string().nullable(),
  text: z.string(),
  html: z.string().nullable(),
  idempotencyKey: z.string().min(1),
  sentAt: z.iso.datetime(),
}) satisfies z.ZodType<OutboxEntry>;

export type NewOutboxEntry = Parameters<Outbox['append']>[0];
export type OutboxFilter = NonNullable<Parameters<Outbox['list']>[0]>;

/** The dedupe key: one logical message per channel. */
export function dedupeKey(channel: OutboxEntry['channel'], idempotencyKey: string): string {
  return `${channel}\u0000${idempotencyKey}`;
}

/**
 * Derived from (channel, key) rather than random, so two processes that race to append the same
 * message produce the same id, and a link to an entry stays valid.
 */
export function entryId(channel: OutboxEntry['channel'], idempotencyKey: string): string {
  return `${channel}-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 20)}`;
}

export function newEntry(input: NewOutboxEntry, now: Date): OutboxEntry {
  if (input.idempotencyKey === '') throw new Error('outbox: idempotencyKey must not be empty');
  if (input.to.trim() === '') throw new Error('outbox: recipient must not be empty');
  return {
    id: entryId(input.channel, input.idempotencyKey),
    channel: input.channel,
    to: input.to,
    toName: input.toName,
    subject: input.subject,
    text: input.text,
    html: input.html,
    idempotencyKey: input.idempotencyKey,
    sentAt: now.toISOString(),
  };
}

/** Newest first: `entries` is in append order. */
export function filterEntries(entries: readonly OutboxEntry[], filter: OutboxFilter = {}): OutboxEntry[] {
  const to = filter.to?.trim().toLowerCase();
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  const result: OutboxEntry[] = [];
  for (let i = entries.length - 1; i >= 0 && result.length < limit; i--) {
    const entry = entries[i]!;
    if (filter.channel && entry.channel !== filter.channel) continue;
    if (to !== undefined && entry.to.toLowerCase() !== to) continue;
    result.push(entry);
  }
  return result;
}
