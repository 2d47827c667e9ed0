/**
 * Remembers which logical messages were already handed to a provider, so an activity retried
 * after a worker crash does not send the same SMS or email twice (SMTP and Twilio have no
 * idempotency keys of their own).
 *
 * The protocol (activities/delivery.ts is the only caller):
 *
 * 1. `claim(key)` BEFORE the provider is called. `new`: nobody claimed it, this caller now holds
 *    the claim. `sent`: an earlier attempt recorded the provider id: do not send. `in-doubt`: an
 *    earlier attempt claimed it and never recorded a result; it died (or is stuck) somewhere
 *    between calling the provider and recording, so the provider may or may not have the message.
 * 2. `record(key, providerId)` once the provider accepted it.
 * 3. `release(key)` when the provider surely refused it (it answered with an error), so the next
 *    attempt starts `new` again instead of `in-doubt`.
 * 4. In doubt and the provider cannot be asked (SMTP): `noteInDoubtResend(key)` BEFORE resending,
 *    `cancelInDoubtResend(key)` if that resend is surely refused. The count is how many copies
 *    beyond the first may have reached the recipient (see {@link SendLedger.inDoubtResends}).
 */
export type Claim =
  /** This caller holds a fresh claim, recorded before the provider is called. */
  | { state: 'new' }
  /** Already sent: the provider id recorded by an earlier attempt. */
  | { state: 'sent'; providerId: string }
  /**
   * An earlier attempt claimed it at `claimedAt` (the first claim of this key: a message that
   * attempt sent is no older than that) and never recorded a result.
   */
  | { state: 'in-doubt'; claimedAt: Date };

export interface SendLedger {
  /** The provider id recorded for this key, or null when it was never sent. */
  lookup(key: string): Promise<string | null>;
  /**
   * Claims `key` before sending (see the protocol above). Atomic across every instance that
   * shares the ledger's storage: of several callers racing on a fresh key exactly one gets `new`.
   */
  claim(key: string): Promise<Claim>;
  /** Records that `key` was sent as `providerId`. Recording the same key again is a no-op (the first id stays). */
  record(key: string, providerId: string): Promise<void>;
  /**
   * Withdraws an unrecorded claim after the provider surely refused the message, so the next
   * claim is `new`. Does nothing when the key is recorded or has in-doubt resends (an earlier
   * attempt may have delivered it: the doubt stays).
   */
  release(key: string): Promise<void>;
  /** Counts one resend made while in doubt, before it is made; returns the key's new count. */
  noteInDoubtResend(key: string): Promise<number>;
  /** Takes back one {@link noteInDoubtResend} whose resend the provider surely refused (never below 0). */
  cancelInDoubtResend(key: string): Promise<void>;
  /** Every key with at least one in-doubt resend and its count (keys starting with `keyPrefix`, when given). */
  inDoubtResends(keyPrefix?: string): Promise<Map<string, number>>;
}
