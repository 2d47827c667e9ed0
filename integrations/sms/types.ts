export interface SmsMessage {
  /** Any reasonable phone notation; the adapter normalises to E.164 or rejects (InvalidRequest). */
  to: string;
  body: string;
  /** Stable key of this logical message (e.g. `<workflowId>/download-link`). */
  idempotencyKey: string;
}

export interface SentSms {
  /** Provider message id (Twilio SM…). */
  sid: string;
  /** E.164 the message went to. */
  to: string;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<SentSms>;
  /**
   * Asks the provider whether it already has this message: one to the same number with the same
   * (prepared) body, created at or after `since`. For the send ledger's in-doubt case (an attempt
   * died between the provider accepting and the ledger recording). Returns the earliest such
   * message, or null. Optional: a sender that cannot be asked leaves it out.
   */
  findSent?(message: SmsMessage, since: Date): Promise<SentSms | null>;
}
