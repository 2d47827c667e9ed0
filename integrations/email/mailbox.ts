import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A display name and an address, e.g. `IT Service Desk <it@eagle5.example>`. */
export interface Mailbox {
  name: string;
  address: string;
}

const address = z.email();

/** Parses `addr@example` or `Display Name <addr@example>` (name optionally quoted); null if neither. */
export function parseMailbox(value: string): Mailbox | null {
  const trimmed = value.trim();
  const named = /^(?:"([^"]*)"|([^<>"]*?))\s*<([^<>\s]+)>$/.exec(trimmed);
  const name = named ? (named[1] ?? named[2] ?? '').trim() : '';
  const candidate = named ? named[3]! : trimmed;
  if (!address.safeParse(candidate).success) return null;
  return { name, address: candidate };
}

/**
 * The Message-ID of a logical message: a hash of its idempotency key at the sender's domain.
 * Deterministic, so a resend after a crash carries the same Message-ID (mail servers and
 * clients can recognise the duplicate) and the key itself, which names workflows, stays private.
 */
export function messageIdFor(idempotencyKey: string, fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1) || 'service-journeys.invalid';
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  return `<sj.${hash}@${domain}>`;
}
