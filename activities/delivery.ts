import type { ActivityDeps } from './deps';
import type { EmailMessage } from '../integrations/email/types';
import type { SmsMessage } from '../integrations/sms/types';
import { classifyFailures } from './errors';

export interface Delivery {
  /** Provider id (Message-ID / Twilio SID). */
  providerId: string;
  /** true when the ledger showed it had already been sent (a retry after a crash): not sent again. */
  alreadySent: boolean;
}

/**
 * Sends an email at most once per idempotency key: the ledger is checked first and written
 * after the provider accepted it. Transient failures are rethrown for Temporal to retry.
 */
export async function deliverEmail(deps: Pick<ActivityDeps, 'mailer' | 'ledger'>, message: EmailMessage): Promise<Delivery> {
  const key = `email:${message.idempotencyKey}`;
  const previous = await deps.ledger.lookup(key);
  if (previous) return { providerId: previous, alreadySent: true };
  const sent = await classifyFailures(() => deps.mailer.send(message));
  await deps.ledger.record(key, sent.messageId);
  return { providerId: sent.messageId, alreadySent: false };
}

/** Sends an SMS at most once per idempotency key (see {@link deliverEmail}). */
export async function deliverSms(deps: Pick<ActivityDeps, 'sms' | 'ledger'>, message: SmsMessage): Promise<Delivery> {
  const key = `sms:${message.idempotencyKey}`;
  const previous = await deps.ledger.lookup(key);
  if (previous) return { providerId: previous, alreadySent: true };
  const sent = await classifyFailures(() => deps.sms.send(message));
  await deps.ledger.record(key, sent.sid);
  return { providerId: sent.sid, alreadySent: false };
}
