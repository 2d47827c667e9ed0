import type { Outbox } from '../outbox/types';
import { messageIdFor } from './mailbox';
import type { Mailer } from './types';
import { validateEmailMessage } from './validate-message';

/**
 * The embedded default's {@link Mailer}: instead of sending, appends the message to the outbox
 * for the portal to show. Idempotent by key (the outbox keeps one entry per key and channel), and
 * returns the same Message-ID the SMTP mailer would, derived from the key at `fromAddress`'s
 * domain. Invalid messages fail exactly as with SMTP (permanent InvalidRequest).
 */
export function createOutboxMailer(outbox: Outbox, options: { fromAddress?: string } = {}): Mailer {
  const fromAddress = options.fromAddress ?? 'it@eagle5.example';
  return {
    async send(input) {
      const message = validateEmailMessage(input);
      await outbox.append({
        channel: 'email',
        to: message.to.address,
        toName: message.to.name === '' ? null : message.to.name,
        subject: message.subject,
        text: message.text,
        html: message.html,
        idempotencyKey: message.idempotencyKey,
      });
      return { messageId: messageIdFor(message.idempotencyKey, fromAddress) };
    },
    close: () => Promise.resolve(),
  };
}
