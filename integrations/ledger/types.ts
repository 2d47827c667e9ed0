/**
 * Remembers which logical messages were already handed to a provider, so an activity retried
 * after a worker crash does not send the same SMS or email twice (SMTP and Twilio have no
 * idempotency keys of their own).
 */
export interface SendLedger {
  /** The provider id recorded for this key, or null when it was never sent. */
  lookup(key: string): Promise<string | null>;
  /** Records that `key` was sent as `providerId`. Recording the same key again is a no-op. */
  record(key: string, providerId: string): Promise<void>;
}
