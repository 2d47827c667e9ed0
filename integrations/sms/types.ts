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
}
