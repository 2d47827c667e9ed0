/**
 * The only send path for email and SMS: every message goes through the send ledger, so an
 * activity retried after a crash (on this worker or another) does not send it twice.
 *
 * The window between "the provider accepted" and "the ledger recorded" cannot be made atomic
 * (neither SMTP nor Twilio takes an idempotency key), so it is made visible and then settled:
 *
 * 1. The key is claimed in the ledger BEFORE the provider is called. A retry that finds a claim
 *    without a recorded result knows an earlier attempt died inside the window (`in-doubt`).
 * 2. SMS in doubt: Twilio can be asked. `findSent` lists the messages to that number since the
 *    claim; if the same body is there, its SID is recorded and nothing is sent again. If not,
 *    the earlier attempt never reached Twilio and the SMS is sent as if new.
 * 3. Email in doubt: SMTP cannot be asked. It is resent with the SAME deterministic Message-ID
 *    (derived from the idempotency key), so mail systems and clients can drop the duplicate,
 *    and counted first (`noteInDoubtResend`) with a warning naming the ledger key. The count is
 *    the number of copies beyond the first a recipient may have; `readInDoubtResends`
 *    (integrations/ledger/postgres-ledger.ts) reads it. Chosen over not resending, because a
 *    lost login email is worse than a duplicate that carries the same Message-ID.
 * 4. When the provider surely refused (it answered with an error, or we refused before calling
 *    it), the claim is released, so the next attempt starts clean instead of in doubt.
 *
 * A claim also looks in doubt while the attempt that made it is still running: a worker cut off
 * from Temporal but not from the provider, whose attempt Temporal has already retried elsewhere.
 * Its provider call ends within the adapter's timeout (10 s by default); a retry that asks Twilio
 * before then may not see the message yet and send it again. That takes a network partition,
 * not a crash (a killed worker sends nothing more), and an email resent so is still counted.
 */
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import type { EmailMessage } from '../integrations/email/types';
import { isIntegrationError } from '../integrations/errors';
import type { SendLedger } from '../integrations/ledger/types';
import type { SmsMessage } from '../integrations/sms/types';
import { classifyFailures } from './errors';

export interface Delivery {
  /** Provider id (Message-ID / Twilio SID). */
  providerId: string;
  /** true when the ledger (or, in doubt, Twilio itself) showed it had already been sent: not sent again. */
  alreadySent: boolean;
}

/**
 * How far before the claim to look for the SMS at Twilio: the claim's time is the database's
 * clock, the message's is Twilio's.
 */
export const providerClockSkewMs = 60_000;

/**
 * Sends an email at most once per idempotency key, except when an earlier attempt died between
 * the SMTP server accepting it and the ledger recording it: then it is resent with the same
 * Message-ID and counted (see the top of this file). Transient failures are rethrown for
 * Temporal to retry.
 */
export async function deliverEmail(
  deps: Pick<ActivityDeps, 'mailer' | 'ledger'>,
  message: EmailMessage,
): Promise<Delivery> {
  const key = `email:${message.idempotencyKey}`;
  const claim = await deps.ledger.claim(key);
  if (claim.state === 'sent') return { providerId: claim.providerId, alreadySent: true };
  const inDoubt = claim.state === 'in-doubt';
  if (inDoubt) {
    const count = await deps.ledger.noteInDoubtResend(key);
    warn(
      `send ledger: ${key} is in doubt (claimed ${claim.claimedAt.toISOString()}, no result recorded); SMTP cannot be asked, so it is resent with the same Message-ID (in-doubt resend ${count})`,
      { ledgerKey: key, claimedAt: claim.claimedAt.toISOString(), inDoubtResends: count },
    );
  }
  const sent = await sendClaimed(deps.ledger, key, inDoubt, () => deps.mailer.send(message));
  await recordSent(deps.ledger, key, sent.messageId);
  return { providerId: sent.messageId, alreadySent: false };
}

/**
 * Sends an SMS at most once per idempotency key. In doubt, Twilio is asked first (`findSent`)
 * and a message it already has is recorded instead of sent again; a sender that cannot be
 * asked resends and counts it, as for email.
 */
export async function deliverSms(deps: Pick<ActivityDeps, 'sms' | 'ledger'>, message: SmsMessage): Promise<Delivery> {
  const key = `sms:${message.idempotencyKey}`;
  const claim = await deps.ledger.claim(key);
  if (claim.state === 'sent') return { providerId: claim.providerId, alreadySent: true };
  let countedResend = false;
  if (claim.state === 'in-doubt') {
    const sms = deps.sms;
    if (sms.findSent) {
      const since = new Date(claim.claimedAt.getTime() - providerClockSkewMs);
      const found = await classifyFailures(() => sms.findSent!(message, since));
      if (found) {
        await recordSent(deps.ledger, key, found.sid);
        info(`send ledger: ${key} was in doubt; the provider has it (${found.sid}), recorded and not sent again`, {
          ledgerKey: key,
          providerId: found.sid,
        });
        return { providerId: found.sid, alreadySent: true };
      }
      info(`send ledger: ${key} was in doubt; the provider does not have it, sending it now`, { ledgerKey: key });
    } else {
      const count = await deps.ledger.noteInDoubtResend(key);
      countedResend = true;
      warn(
        `send ledger: ${key} is in doubt (claimed ${claim.claimedAt.toISOString()}, no result recorded) and the SMS provider cannot be asked; resending (in-doubt resend ${count})`,
        {
          ledgerKey: key,
          claimedAt: claim.claimedAt.toISOString(),
          inDoubtResends: count,
        },
      );
    }
  }
  const sent = await sendClaimed(deps.ledger, key, countedResend, () => deps.sms.send(message));
  await recordSent(deps.ledger, key, sent.sid);
  return { providerId: sent.sid, alreadySent: false };
}

/**
 * Calls the provider for a claimed key. If it surely refused, the claim is released (or the
 * in-doubt resend taken back) so the next attempt does not start in doubt; anything else leaves
 * the claim as it is: the provider may have the message.
 */
async function sendClaimed<T>(
  ledger: SendLedger,
  key: string,
  countedResend: boolean,
  send: () => Promise<T>,
): Promise<T> {
  return classifyFailures(async () => {
    try {
      return await send();
    } catch (err) {
      if (providerSurelyRefused(err)) {
        // Best effort: if the ledger is down too, the claim stays and the next attempt is merely in doubt.
        await (countedResend ? ledger.cancelInDoubtResend(key) : ledger.release(key)).catch(() => undefined);
      }
      throw err;
    }
  });
}

/**
 * Records what the provider accepted. Retried a few times in place: failing here reopens the
 * in-doubt window for this message, so it is worth a second.
 */
async function recordSent(ledger: SendLedger, key: string, providerId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ledger.record(key, providerId);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((resolve) => setTimeout(resolve, attempt * 250));
    }
  }
}

/** Refusals decided before anything was sent: the message was validated and rejected, or the account refused. */
const refusedCodes = new Set(['InvalidRequest', 'NotAuthorized', 'RecipientOptedOut', 'NotFound']);

/**
 * True only when the provider cannot have accepted the message: it answered the request with an
 * error (Twilio: an HTTP 4xx status; SMTP: a 4xx/5xx reply code), or the adapter refused it
 * before any request (a permanent error without an underlying cause). Timeouts, dropped
 * connections, 5xx from Twilio, "accepted but no SID" and anything unknown are not: the
 * provider may have it.
 */
export function providerSurelyRefused(err: unknown): boolean {
  if (!isIntegrationError(err)) return false;
  const cause: unknown = err.cause;
  if (cause === undefined) return !err.retryable && refusedCodes.has(err.code);
  if (typeof cause !== 'object' || cause === null) return false;
  if ('status' in cause && typeof cause.status === 'number') return cause.status >= 400 && cause.status < 500;
  if ('responseCode' in cause && typeof cause.responseCode === 'number') return cause.responseCode >= 400;
  return false;
}

type LogMeta = Record<string, unknown>;

/** The Temporal activity logger (workflow and activity ids attached); a process warning outside an activity. */
function warn(message: string, meta: LogMeta): void {
  const context = currentContext();
  if (context) context.log.warn(message, meta);
  else process.emitWarning(message, { code: 'SEND_LEDGER_IN_DOUBT' });
}

function info(message: string, meta: LogMeta): void {
  currentContext()?.log.info(message, meta);
}

function currentContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}
