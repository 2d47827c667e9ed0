/** A rendered email: both parts are always present. */
export interface EmailMessage {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /**
   * Stable key for this logical message (e.g. `<workflowId>/receipt`). Used as the Message-ID
   * so that a retried send is recognisable as the same message.
   */
  idempotencyKey: string;
}

export interface SentEmail {
  messageId: string;
}

/** Outgoing mail. Retry-safe together with the ledger in activities. */
export interface Mailer {
  send(message: EmailMessage): Promise<SentEmail>;
  close(): Promise<void>;
}
