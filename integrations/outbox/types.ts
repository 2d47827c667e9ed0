/**
 * The embedded default's stand-in for the mail server and the SMS provider: everything the
 * journeys send is kept here so a person trying `npm start` can read it in the portal.
 */
export interface OutboxEntry {
  id: string;
  channel: 'email' | 'sms';
  /** email address or E.164 number */
  to: string;
  toName: string | null;
  subject: string | null;
  text: string;
  html: string | null;
  idempotencyKey: string;
  /** ISO timestamp */
  sentAt: string;
}

export interface Outbox {
  /** Appends unless an entry with the same idempotencyKey and channel exists; returns the stored entry. */
  append(entry: Omit<OutboxEntry, 'id' | 'sentAt'>): Promise<OutboxEntry>;
  /** Newest first. */
  list(filter?: { channel?: 'email' | 'sms'; to?: string; limit?: number }): Promise<OutboxEntry[]>;
}
